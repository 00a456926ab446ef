"""The engine's identity gate, as a property: in any role flow, without `auth` in the call state no
keypress sequence reaches a protected action or an update recording; with it, the same keys do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.base.config import load_config
from hotline.ivr.flow import PROTECTED_ACTIONS, load_flows
from hotline.ivr.flow_engine import (
    CallState,
    Context,
    IncidentBrief,
    needs_pin,
    press,
    resume_point,
    screen,
)

BRIEFS = (IncidentBrief(7, "1007", "natural disaster", "paging"), IncidentBrief(8, "1008", "other", "new"))


@pytest.fixture(scope="module")
def flows():
    return load_flows(load_config(env={}))


def ctx() -> Context:
    return Context(org="Org", type_names={}, open_incidents=BRIEFS, type_codes={"1": "natural_disaster"},
                   sites={"101": "HQ"}, find_incident=lambda ref: BRIEFS[0] if ref == "1007" else None)


KEYS = st.lists(st.sampled_from(["1", "2", "3", "9", "0", "*", "#", "", "1007#", "101#", "482916#"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(flow_name=st.sampled_from(["operator", "staff", "admin"]), keys=KEYS)
def test_no_keys_reach_a_protected_action_without_proof(flows, flow_name, keys):
    flow = flows[flow_name]
    state = CallState(flow.start, "en-US", flow=flow_name).with_data(who="x")
    for key in keys:
        if state.flow != flow_name or flow.nodes[state.node].kind in ("record", "closing", "dial", "pin"):
            break  # left the role flow, or at a node whose outcome is not a keypress decision here
        out = press(flow, state, key, ctx())
        assert out.action not in PROTECTED_ACTIONS, (state, key)
        assert out.pin is None  # the PIN node is where digits become a PIN, not here
        nxt = flows[out.state.flow].nodes.get(out.state.node) if out.state.flow in flows else None
        assert not (nxt and nxt.kind == "record" and nxt.purpose == "update")
        state = out.state


def test_a_protected_choice_goes_to_the_pin_and_resumes_there_after(flows):
    staff = flows["staff"]
    state = CallState("open_incidents", "en-US", flow="staff", value="1").with_data(who="chen")
    out = press(staff, state, "1", ctx())  # accept
    assert out.action is None and out.state.node == staff.pin_node == "staff_pin"
    assert out.state.get("resume") == "open_incidents.1" and out.state.value == "1"
    assert screen(staff, out.state, ctx()).secret  # rendered as a secret Gather
    back, key = resume_point(out.state.with_data(auth="staff"))
    done = press(staff, back, key, ctx())
    assert done.action == "accept" and done.state.incident == 8 and back.get("resume") is None


def test_what_needs_a_pin(flows):
    op = flows["operator"]
    options = {o.key: o for o in op.nodes["op_actions"].options}
    assert needs_pin(op, options["1"]) and needs_pin(op, options["2"]) and not needs_pin(op, options["9"])
    assert not any(needs_pin(flows["default"], o) for n in flows["default"].nodes.values() for o in n.options)
