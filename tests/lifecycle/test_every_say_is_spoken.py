"""Every flow through the sim, in both languages, with the sim checking each <Say> as Twilio
would (sim/voices.py): the caller, the responder, the crisis team, on-call staff, a radio
operator, an admin recording a prompt, a drill's notice, the app's fallback flow and the TwiML
Bin. No <Say> is refused (Twilio's warning 13511), and both languages are actually spoken.

The hotline runs on the repository's own config.toml and plans/, with Lin and Counsel English
first and everyone else Chinese first, so each flow is heard in each language somewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.config import ROOT
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.pins import set_pin
from hotline.base.states import IncidentStatus
from hotline.drills import commands as drills
from hotline.drills.models import DrillState
from hotline.drills.settings import Scenario
from hotline.ivr.fallback import twiml_bin
from hotline.paging import commands
from sim.handle import CallHandle
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline
from tests.support.twiml_bin import TwimlBin

ZH, EN = "cmn-TW", "en-US"  # what <Say language> carries for the hotline's zh-TW and en-US
ENGLISH_FIRST = ("lin", "counsel")
PINS = {"admin": "424242", "operator": "515151", "person:wang": "135792"}
RADIO = "+881631234567"  # [operators.radio_north]
WANG = "+886912000003"  # in the it_security rota: recognised as on-call staff
DIRECTOR, LIN, COUNSEL = "+886912000009", "+886912000002", "+886912000010"
BIN_NUMBER = "+886277009999"  # a number whose only answer is the TwiML Bin
DOWN_NUMBER = "+886277008888"  # a number whose primary URL fails: Twilio fetches /voice/fallback
ASTRAY_NUMBER = "+886277007777"  # a mid-flow URL for a call that never started there: the apology


def write_config(folder: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    text = text.replace('plans_dir = "plans"', f'plans_dir = "{ROOT / "plans"}"')
    section = ""
    lines = []
    for line in text.splitlines(keepends=True):
        section = line.strip() if line.startswith("[") else section
        if section.removeprefix("[people.").removesuffix("]") in ENGLISH_FIRST and line.startswith("languages ="):
            line = 'languages = ["en-US", "zh-TW"]\n'
        lines.append(line)
    path = folder / "config.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
@starts_processes
def h(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp("every-say")
    hotline = Hotline(tmp, redis_url, "sqlite", config_path=write_config(tmp))
    for who, pin in PINS.items():
        set_pin(hotline.config.data_dir, who, pin)
    for person in hotline.config.people.values():
        hotline.sim.phone(person.phone).manual()
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()  # fails if any <Say> of the whole module was refused


@pytest.fixture(autouse=True)
def every_say_spoken(h: Hotline) -> Iterator[None]:
    """Each walk answers only calls placed during it; after it, no <Say> so far was refused."""
    h.__dict__["taken"] = {c.sid for c in h.sim.call_objects()}
    yield
    refused = h.refused_says()
    assert not refused, f"refused <Say>: {refused}"


def heard_both(h: Hotline, since: int) -> None:
    """Both languages were spoken since event `since`: the walk reached both voices."""
    heard = {e["language"] for e in h.sim.events[since:] if e["kind"] == "say"}
    assert {ZH, EN} <= heard, f"both languages should be heard; heard {heard}"


def new_call(h: Hotline, number: str) -> CallHandle:
    """The next outbound call to `number`, placed during this test, that it has not answered yet."""
    taken: set[str] = h.__dict__.setdefault("taken", set())
    call = h.sim.wait_for(lambda: next((c for c in h.sim.call_objects() if c.to == number and c.sid not in taken
                                        and c.direction == "outbound-api" and c.status.value == "ringing"), None),
                          30, f"a call to {number}")
    taken.add(call.sid)
    return h.sim.handle(call.sid)


def report_in_english(h: Hotline, keys: str, caller: str, wav: Path) -> CallHandle:
    c = h.sim.dial(caller, HOTLINE)
    c.expect_say("For English, press 9")
    c.press("9")
    c.expect_say("Choose the kind of emergency")
    c.press(keys)
    c.expect_record()
    c.speak(wav)
    c.press("#")
    c.expect_say("Your report number is")
    c.expect_hangup()
    return c


def test_callers_responders_and_the_crisis_team(h: Hotline, speech_wav: Path) -> None:
    since = len(h.sim.events)
    zh_call = h.report("12", "+886955000001", speech_wav)  # natural disaster: the director, Chinese first
    assert any("您的通報編號是" in line for line in zh_call.said())
    report_in_english(h, "62", "+886955000002", speech_wav)  # reputation: the PR rota, Lin, English first

    lin = new_call(h, LIN)
    lin.answer()
    lin.expect_say("Press 1 to accept")
    lin.press("1")
    lin.expect_say("Thank you, Lin Mei")
    lin.hangup()

    director = new_call(h, DIRECTOR)
    director.answer()
    director.expect_say("受理請按1")
    director.press("1")
    director.expect_say("您已受理通報")
    director.expect_say("確認通報屬實並啟動危機應變計畫請按7")
    director.press("7")
    director.expect_say("危機應變計畫已啟動")

    counsel = new_call(h, COUNSEL)  # the legal lead, English first
    counsel.answer()
    counsel.expect_say("You are the legal lead")
    counsel.press("1")
    counsel.expect_say("Thank you, you are confirmed")
    management = new_call(h, DIRECTOR)  # the director again, as the management lead, in Chinese
    management.answer()
    management.expect_say("您是")
    management.press("2")
    management.expect_say("正在加入危機電話會議")
    for call in (counsel, management):
        call.hangup()
    heard_both(h, since)


def test_on_call_staff_in_both_languages(h: Hotline) -> None:
    since = len(h.sim.events)
    c = h.sim.dial(WANG, HOTLINE)
    c.expect_say("值班人員您好")
    c.press("0")  # report a new emergency: the caller's menu, where 9 is English
    c.expect_say("For English, press 9")
    c.press("9")
    c.expect_say("Choose the kind of emergency")
    c.press("*")
    c.expect_say("Enter your PIN")
    c.press(PINS["person:wang"] + "#")
    c.expect_say("On-call line")
    c.hangup()
    heard_both(h, since)


def test_a_radio_operator_files_a_report_in_chinese_and_hears_the_menu_in_english(h: Hotline) -> None:
    since = len(h.sim.events)
    c = h.sim.dial(RADIO, HOTLINE)
    c.expect_gather()
    c.press("1")  # a new report
    c.expect_say("請輸入密碼")  # filed under the operator's name: their PIN first
    c.press(PINS["operator"] + "#")
    for key in ("2", "1", "1", "1"):  # type 2, confirm; severity 1, confirm
        c.expect_gather()
        c.press(key)
    c.expect_gather()
    c.press("101#")  # a site code from [sites]
    c.expect_gather()
    c.press("1")  # confirm the site
    c.expect_gather()
    c.press("2")  # no voice note
    c.expect_hangup()
    english = h.sim.dial(RADIO, HOTLINE)
    english.expect_gather()
    english.press("0")
    english.expect_say("For English, press 9")
    english.press("9")
    english.press("*")
    english.expect_say("Enter your PIN")
    english.press(PINS["operator"] + "#")
    english.expect_gather()
    english.hangup()
    assert not any(e["kind"] == "error" for e in c.events + english.events), c.events
    heard_both(h, since)


def test_an_admin_records_a_prompt_in_each_language(h: Hotline, speech_wav: Path) -> None:
    since = len(h.sim.events)
    for english in (False, True):
        c = h.sim.dial("+886955000099", HOTLINE)
        c.expect_say("For English, press 9")
        if english:
            c.press("9")
            c.expect_say("Choose the kind of emergency")
        c.press("*")
        c.press(PINS["admin"] + "#")
        c.expect_say("Choose a prompt to record" if english else "請選擇要錄製的提示音")
        c.press("1")  # the greeting
        c.expect_gather()
        c.press("2" if english else "1")  # its English or Chinese version
        c.expect_record()
        c.speak(speech_wav)
        c.press("#")
        c.expect_play()  # the recording, played back for review
        c.hangup()
    heard_both(h, since)


def test_a_drill_call_says_it_is_a_drill_in_each_language(h: Hotline) -> None:
    since = len(h.sim.events)
    with h.session() as s:
        open_ids = list(s.scalars(select(Incident.id).where(Incident.status != IncidentStatus.CLOSED,
                                                           Incident.drill.is_(False))))
    for incident_id in open_ids:  # a drill never starts while a real incident is open
        jobs.run(commands.resolve, incident_id, Actor("walk", Channel.CONSOLE), "done")
    facilitator = Actor("facilitator", Channel.CONSOLE)
    for person, policy, number, notice in (("director", "default", DIRECTOR, "這是演練"),
                                           ("lin", "reputation", LIN, "This is a drill")):
        sc = Scenario(key="", kind="full_scale", type_key="other", severity="danger", report_text="Smoke",
                      participants=(person,), policy_key=policy)
        created = drills.run(drills.create, h.config, sc, facilitator)
        assert drills.run(drills.start, h.config, created.drill_id, facilitator).ok
        call = new_call(h, number)
        call.answer()
        call.expect_say(notice)
        call.hangup()
        drills.run(drills.end, created.drill_id, DrillState.STOPPED, facilitator, "heard")
    heard_both(h, since)


def test_the_twiml_bin_the_apps_fallback_flow_and_the_apology(h: Hotline, speech_wav: Path) -> None:
    since = len(h.sim.events)
    echo = TwimlBin(twiml_bin(h.public_url, h.config.record_max_seconds, h.config.voices))
    try:
        h.sim.add_number(BIN_NUMBER, voice_url=f"{echo.url_base}/bin")
        h.sim.add_number(DOWN_NUMBER, voice_url=f"{echo.url_base}/down",
                         voice_fallback_url=f"{h.public_url}/voice/fallback")
        h.sim.add_number(ASTRAY_NUMBER, voice_url=f"{h.public_url}/voice/step?w=default&n=severity&l=zh-TW&i=1")
        for number in (BIN_NUMBER, DOWN_NUMBER, ASTRAY_NUMBER):
            c = h.sim.dial("+886955000123", number)
            if number == ASTRAY_NUMBER:
                c.expect_say("抱歉，系統發生問題")
                c.expect_say("Sorry, something went wrong")
            else:
                c.expect_say("這裡是緊急通報專線")
                c.expect_say("This is the emergency line")
            c.expect_record()
            c.speak(speech_wav)
            c.press("#")
            c.expect_say("謝謝，我們已收到")
            c.expect_say("Thank you, we have your message")
            c.expect_hangup()
    finally:
        echo.close()
    heard_both(h, since)
