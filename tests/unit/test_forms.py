"""The forms' helpers: picking choices, spotting corrections, escalating after failures."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import application_body
from actions.conversation import last_bot_turn
from actions.fields import display_value, field_named_in, form_fields, value_after_field_word
from actions.forms import ValidateIdCardForm, choice_by_position, match_office, pick_time
from actions.portal_client import Office, Slot

OFFICES = [Office("xihu", "西湖区民生服务中心", "文三路", "0571", "t"),
           Office("gongshu", "拱墅区民生服务中心", "湖墅路", "0571", "t")]
SLOTS = [Slot(1, "xihu", date(2026, 11, 24), "09:00", "09:30", 3),
         Slot(2, "xihu", date(2026, 11, 24), "09:30", "10:00", 3),
         Slot(3, "xihu", date(2026, 11, 24), "14:00", "14:30", 3)]


def _tracker(message: str, intent: str = "inform", **slots: Any) -> Tracker:
    return Tracker("u", {"language": "zh", "failed_attempts": 0, **slots},
                   {"text": message, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
                   [], False, None, {"name": "id_card_form"}, "action_listen")


@pytest.mark.parametrize(("said", "position"), [
    ("第一个", 0), ("第二个吧", 1), ("the second one", 1), ("3", 2), ("第5个", 4), ("西湖", None), ("", None),
])
def test_choice_by_position(said: str, position: int | None) -> None:
    assert choice_by_position(said) == position


@pytest.mark.parametrize(("said", "office_id"), [
    ("西湖区民生服务中心", "xihu"), ("西湖那个", "xihu"), ("去拱墅", "gongshu"), ("第二个", "gongshu"),
    ("Xihu District Citizen Service Centre", "xihu"), ("the one in xihu", "xihu"), ("上城", None), ("", None),
])
def test_match_office_by_name_short_name_position_or_other_language(said: str, office_id: str | None) -> None:
    office = match_office(said, OFFICES, {"xihu": "Xihu District Citizen Service Centre"})
    assert (office.id if office else None) == office_id


@pytest.mark.parametrize(("said", "slot_id"), [
    ("9点", 1), ("九点半", 2), ("09:45", 2), ("下午两点", 3), ("第二个", 2), ("下午", 3), ("上午", 1),
    ("十二点", None), ("随便", None),
])
def test_pick_time(said: str, slot_id: int | None) -> None:
    slot = pick_time(said, SLOTS)
    assert (slot.id if slot else None) == slot_id


@pytest.mark.parametrize(("said", "field"), [
    ("电话不对，是13900001111", "phone"), ("手机号错了", "phone"), ("名字写错了", "applicant_name"),
    ("身份证号不对", "id_number"), ("the phone number is wrong", "phone"),
    ("my name is wrong", "applicant_name"),
    ("领证地点要改", "collection_office"), ("原因不对", "id_card_reason"), ("都对", None),
])
def test_a_correction_names_its_field(said: str, field: str | None) -> None:
    assert field_named_in(said, form_fields("id_card_form")) == field


@pytest.mark.parametrize(("said", "value"), [
    ("电话不对，是13900001111", "13900001111"), ("名字应该是李秀英", "李秀英"),
    ("the phone number should be 139 0000 1111", "139 0000 1111"), ("电话不对", "电话不对"),
])
def test_the_new_value_follows_the_field(said: str, value: str) -> None:
    assert value_after_field_word(said) == value


def test_home_address_is_a_field_only_for_a_home_visit() -> None:
    assert "home_address" in form_fields("pension_certification_form", {"pension_method": "home_visit"})
    assert "home_address" not in form_fields("pension_certification_form", {"pension_method": "hall"})


def test_read_back_groups_numbers() -> None:
    assert display_value("id_number", "330106194905120022", "zh", {}) == "330106 19490512 0022"
    assert display_value("phone", "13812345678", "en", {}) == "138 1234 5678"
    assert display_value("appointment_date", "2026-11-24", "zh", {}) == "11月24日（星期二）"
    assert display_value("appointment_date", "2026-11-24", "en", {}) == "Tuesday 24 November"
    names = {"xihu": "西湖区民生服务中心"}
    assert display_value("collection_office", "xihu", "zh", names) == "西湖区民生服务中心"


def test_failures_escalate_from_example_to_buttons_to_a_person() -> None:
    form = ValidateIdCardForm()
    texts, buttons = [], []
    failures = 0
    for _ in range(3):
        dispatcher = CollectingDispatcher()
        tracker = _tracker("不知道", failed_attempts=failures)
        result = form.validate_id_card_reason("不知道", dispatcher, tracker, {})
        failures = int(result["failed_attempts"])
        assert result["id_card_reason"] is None
        texts.append(dispatcher.messages[0]["text"])
        buttons.append([b["payload"] for b in dispatcher.messages[0]["buttons"]])
    assert buttons[0] == [] and "过期了" in buttons[1] and "/human_handoff" in buttons[2]
    assert "转人工" in texts[2]


def test_a_good_answer_resets_the_failures() -> None:
    result = ValidateIdCardForm().validate_id_card_reason("身份证丢了", CollectingDispatcher(),
                                                         _tracker("身份证丢了", failed_attempts=2), {})
    assert result == {"id_card_reason": "lost", "failed_attempts": 0.0}


@pytest.mark.parametrize(("said", "problem"), [
    ("33010619490512002", "bad_id_length"), ("330106194902300021", "bad_id_birth_date"),
    ("330106194905120029", "bad_id_check_digit"),
])
def test_a_wrong_id_number_is_explained(said: str, problem: str) -> None:
    dispatcher = CollectingDispatcher()
    ValidateIdCardForm().validate_id_number(said, dispatcher, _tracker(said), {})
    from actions.texts import TEXTS
    expected = TEXTS[problem]["zh"].split("{")[0][:6]
    assert dispatcher.messages[0]["text"].startswith(expected)


async def test_confirming_keeps_a_key_for_the_submission() -> None:
    form = ValidateIdCardForm()
    result = await form.validate_confirmed("对", CollectingDispatcher(), _tracker("对", intent="affirm"), {})
    assert result["confirmed"] == "yes" and result["pending_form"] == "id_card_form"
    assert len(result["submission_key"]) >= 16
    again = await form.validate_confirmed("对", CollectingDispatcher(),
                                          _tracker("对", intent="affirm", submission_key="kept-key-0001"), {})
    assert again["submission_key"] == "kept-key-0001"


async def test_a_correction_with_a_value_changes_only_that_field() -> None:
    form = ValidateIdCardForm()
    said = "电话不对，是139 0000 1111"
    result = await form.validate_confirmed(said, CollectingDispatcher(),
                                           _tracker(said, intent="deny", phone="13812345678"), {})
    assert result["phone"] == "13900001111" and result["confirmed"] is None
    assert "applicant_name" not in result


async def test_a_correction_without_a_value_asks_for_the_field_again() -> None:
    result = await ValidateIdCardForm().validate_confirmed(
        "名字不对", CollectingDispatcher(), _tracker("名字不对", intent="deny", applicant_name="王秀英"), {})
    assert result["applicant_name"] is None and result["confirmed"] is None


def test_application_body_never_takes_unvalidated_extra_slots() -> None:
    slots = {"applicant_name": "王秀英", "id_number": "330106194905120022", "phone": "13812345678",
             "id_card_reason": "lost", "collection_office": "xihu", "service": "hukou"}
    body = application_body("id_card_form", slots, "rest")
    assert body["kind"] == "replacement"
    assert body["fields"] == {"reason": "lost", "collection_office_id": "xihu"}
    assert body["applicant"] == {"name": "王秀英", "id_number": "330106194905120022", "phone": "13812345678"}


def test_repeat_inside_a_form_leaves_the_question_to_the_form() -> None:
    events = [
        {"event": "user", "text": "a"}, {"event": "action", "name": "id_card_form"},
        {"event": "bot", "text": "电话号码不对"}, {"event": "bot", "text": "请说手机号"},
        {"event": "action", "name": "action_listen"}, {"event": "user", "text": "再说一遍"},
    ]
    assert [e["text"] for e in last_bot_turn(events, without_question_of="id_card_form")] == ["电话号码不对"]
    assert len(last_bot_turn(events)) == 2


@pytest.mark.parametrize(("said", "service"), [
    ("社保卡", "social_security_card"), ("我想办医保", "medical_insurance"), ("ID card", "id_card"),
    ("Senior citizen card", "elderly_benefits"), ("随便", None),
])
def test_appointment_service_is_a_catalogue_id(said: str, service: str | None) -> None:
    from actions.forms import ValidateAppointmentForm

    form = ValidateAppointmentForm()
    result = form.validate_appointment_service(said, CollectingDispatcher(), _tracker(said), {})
    assert result["appointment_service"] == service
