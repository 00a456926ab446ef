"""The flow engine as a table: where a caller is, what they press, where they go."""

from __future__ import annotations

import pytest

from hotline.base.config import load_config
from hotline.ivr.flow import load_flow
from hotline.ivr.flow_engine import CallState, Context, dial_finished, press, screen


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


@pytest.fixture(scope="module")
def flow(cfg):
    return load_flow(cfg)


def ctx(cfg, lang="zh-TW", caller_known=True, ref=None):
    return Context(org=cfg.org_name, type_names={k: t.name(lang) for k, t in cfg.incident_types.items()},
                   caller_known=caller_known, ref=ref, lifeline=cfg.lifeline_number)


@pytest.mark.parametrize("key,type_key", [("1", "natural_disaster"), ("2", "cyber_security"),
                                          ("3", "public_health"), ("4", "supply_chain"),
                                          ("5", "workplace_accident"), ("6", "reputation"), ("7", "other")])
def test_each_menu_key_classifies(cfg, flow, key, type_key):
    out = press(flow, CallState("menu", "zh-TW"), key, ctx(cfg))
    assert out.classify == type_key
    assert out.state.node == "severity"


def test_menu_speaks_every_option_from_the_same_table(cfg, flow):
    s = screen(flow, CallState("menu", "en-US"), ctx(cfg, "en-US"))
    text = " ".join(u.text for u in s.says)
    for option in flow.nodes["menu"].options:
        if option.type:
            assert f"{cfg.incident_types[option.type].name('en-US')}, press {option.key}" in text
    assert "For English" not in text  # the language option offers only the other language
    assert s.kind == "gather" and s.num_digits == 1


def test_greeting_only_on_first_entry(cfg, flow):
    first = screen(flow, CallState("menu", "en-US"), ctx(cfg, "en-US"))
    again = screen(flow, CallState("menu", "en-US", tries=1, fresh=False), ctx(cfg, "en-US"))
    assert first.says[0].prompt == "greeting" and "Example Org" in first.says[0].text
    assert all(u.prompt != "greeting" for u in again.says)


def test_language_key_switches_language_without_classifying(cfg, flow):
    out = press(flow, CallState("menu", "zh-TW"), "9", ctx(cfg))
    assert out.state.lang == "en-US" and out.state.node == "menu" and out.classify is None


@pytest.mark.parametrize("digits,notice", [("", "no_input"), ("0", "invalid"), ("#", "invalid")])
def test_bad_key_or_silence_reprompts_twice_then_unclassified(cfg, flow, digits, notice):
    state = CallState("menu", "en-US")
    for tries in (1, 2):
        out = press(flow, state, digits, ctx(cfg, "en-US"))
        assert out.classify is None and out.state.tries == tries and out.notice[0].prompt == notice
        state = out.state
    final = press(flow, state, digits, ctx(cfg, "en-US"))
    assert final.classify == "unclassified" and final.state.node == "severity"


def test_severity_silence_means_unknown_and_keys_set_it(cfg, flow):
    state = CallState("severity", "en-US", incident=5)
    assert press(flow, state, "1", ctx(cfg)).fields == {"severity": "danger"}
    assert press(flow, state, "2", ctx(cfg)).fields == {"severity": "normal"}
    silent = press(flow, state, "", ctx(cfg))
    assert silent.fields == {"severity": "unknown"} and silent.state.node == "callback"
    assert silent.state.incident == 5


def test_callback_skipped_when_caller_id_known(cfg, flow):
    s = screen(flow, CallState("callback", "en-US", incident=5), ctx(cfg, caller_known=True))
    assert s.kind == "record" and s.state.node == "closing" and s.state.incident == 5


def test_withheld_caller_is_asked_for_a_number(cfg, flow):
    c = ctx(cfg, caller_known=False)
    s = screen(flow, CallState("callback", "en-US", incident=5), c)
    assert s.kind == "gather" and s.num_digits is None
    ok = press(flow, CallState("callback", "en-US", incident=5), "0912345678", c)
    assert ok.fields == {"callback_number": "+886912345678"} and ok.state.node == "record"
    bad = press(flow, CallState("callback", "en-US", incident=5), "12", c)
    assert bad.state.node == "callback" and bad.notice[0].prompt == "callback_invalid"


def test_closing_reads_reference_digit_by_digit(cfg, flow):
    s = screen(flow, CallState("closing", "en-US", incident=5), ctx(cfg, "en-US", ref="1005"))
    assert s.kind == "hangup" and "1 0 0 5" in s.says[0].text


def test_lifeline_key_forwards_and_failure_returns_to_menu(cfg, flow):
    out = press(flow, CallState("menu", "en-US"), "8", ctx(cfg))
    assert out.state.node == "lifeline" and out.classify is None
    s = screen(flow, out.state, ctx(cfg))
    assert s.kind == "dial" and s.dial_number == cfg.lifeline_number
    assert dial_finished(flow, out.state, "no-answer").state.node == "menu"
    assert dial_finished(flow, out.state, "completed").fields == {"hangup": "1"}


def test_state_round_trips_through_the_url(flow):
    flows = {"default": flow}
    state = CallState("severity", "en-US", tries=1, incident=42, fresh=False, value="3").with_data(op="north")
    assert CallState.from_query(state.query(), flows, "default", "zh-TW") == state
    assert CallState.from_query({"n": "nope"}, flows, "default", "zh-TW").node == flow.start
