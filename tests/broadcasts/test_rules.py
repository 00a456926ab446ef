"""The broadcasts' decisions as plain functions, tested as tables: which channels a person is
tried on and in what order, how a reply is read, how a group rule is written, what a provider's
status word means, and what a recipient reads in each language."""

from __future__ import annotations

import pytest

from hotline.broadcasts.deliveries import CALL_STATUS, SMS_STATUS
from hotline.broadcasts.fanout import channel_plan
from hotline.broadcasts.models import DELIVERY, DeliveryState
from hotline.broadcasts.phrases import sms_body, voice_menu
from hotline.broadcasts.questions import SAFETY, read_reply
from hotline.directory.groups import parse_rule, rule_text


@pytest.mark.parametrize(("preferred", "chosen", "reachable", "plan"), [
    (["email", "sms"], ["sms", "voice", "email"], {"sms", "voice", "email"}, ["email", "sms", "voice"]),
    ([], ["sms", "email"], {"sms", "email"}, ["sms", "email"]),  # no preference: the broadcast's order
    (["push"], ["sms", "email"], {"sms", "email", "push"}, ["sms", "email"]),  # push not chosen
    (["sms", "voice"], ["sms", "voice"], {"voice"}, ["voice"]),  # opted out of SMS: still called
    (["email"], ["email"], set(), []),  # unsubscribed: unreachable, never guessed
])
def test_channel_plan(preferred, chosen, reachable, plan):
    assert channel_plan(preferred, chosen, reachable) == plan


@pytest.mark.parametrize(("text", "key"), [
    ("1", "1"), (" 2 ", "2"), ("2 help!", "2"), ("Safe", "1"), ("I NEED HELP.", "2"), ("平安", "1"),
    ("救命", "2"), ("我平安。", "1"), ("3", None), ("safe now?", None), ("fire on floor 3", None), ("", None),
])
def test_reading_a_reply(text, key):
    found = read_reply(SAFETY, text)
    assert (found.key if found else None) == key


def test_group_rules_as_written():
    rules, problem = parse_rule("site = Taipei, Hsinchu; department = HR")
    assert problem is None and rules == {"site": ["Taipei", "Hsinchu"], "department": ["HR"]}
    assert rule_text(rules) == "site = Taipei, Hsinchu; department = HR"
    assert parse_rule("") == ({}, None)  # picked by hand
    assert "FIELD = VALUE" in (parse_rule("site Taipei")[1] or "")
    assert "at least one value" in (parse_rule("site = ")[1] or "")


def test_provider_words_and_legal_moves():
    assert SMS_STATUS["undelivered"] == SMS_STATUS["failed"] == DeliveryState.FAILED
    assert SMS_STATUS["queued"] is None and CALL_STATUS["no-answer"] == DeliveryState.FAILED
    assert CALL_STATUS["completed"] == DeliveryState.DELIVERED
    assert DELIVERY.can(DeliveryState.SENDING, DeliveryState.DELIVERED)  # a callback before our own record
    assert not DELIVERY.can(DeliveryState.DELIVERED, DeliveryState.FAILED)  # delivered stays delivered
    assert not DELIVERY.can(DeliveryState.SKIPPED, DeliveryState.QUEUED)  # an opt-out is never sent


def test_what_a_recipient_reads_and_hears():
    assert sms_body("Org", "Fire.", SAFETY, "en-US") == "Org: Fire. Are you safe? Reply 1 = I am safe, 2 = I need help."
    assert sms_body("機構", "火災。", SAFETY, "zh-TW") == "機構：火災。 您平安嗎？請回覆 1＝我平安，2＝我需要協助。"
    assert sms_body("Org", "All clear.", None, "en-US") == "Org: All clear."
    assert voice_menu(SAFETY, "en-US") == "Are you safe? Press 1: I am safe. Press 2: I need help."
