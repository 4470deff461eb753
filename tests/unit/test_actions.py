from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.conversation import ActionDetectLanguage, ActionRepeat, ActionSlowDown, last_bot_turn
from actions.portal_client import Guide, PortalError
from actions.services import ActionAnswerService

DOMAIN: dict[str, Any] = {}


def _tracker(text: str = "", intent: str = "greet", language: str = "zh",
             events: list[dict[str, Any]] | None = None, entities: list[dict[str, Any]] | None = None
             ) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return Tracker("citizen", {"language": language}, latest, events or [], False, None, {}, "action_listen")


def _user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text}


def _bot(text: str, **data: Any) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": data}


def test_last_bot_turn_is_the_answer_before_the_latest_message() -> None:
    events = [_user("你好"), _bot("您好！"), _user("身份证丢了"), _bot("第一句"), _bot("第二句"),
              {"event": "action", "name": "action_listen"}, _user("再说一遍")]
    assert [e["text"] for e in last_bot_turn(events)] == ["第一句", "第二句"]
    assert last_bot_turn([_user("再说一遍")]) == []


async def test_repeat_says_the_last_answer_again_with_its_buttons() -> None:
    buttons = [{"title": "社保卡", "payload": "/ask_service"}]
    events = [_user("办事"), _bot("请问您想办哪一项？", buttons=buttons), _user("再说一遍")]
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, _tracker("再说一遍", "repeat", events=events), DOMAIN)
    assert dispatcher.messages[0]["text"] == "请问您想办哪一项？"
    assert dispatcher.messages[0]["buttons"] == buttons


async def test_repeat_with_nothing_said_yet() -> None:
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, _tracker("再说一遍", "repeat", events=[_user("再说一遍")]), DOMAIN)
    assert dispatcher.messages[0]["text"] == "我刚才还没说什么。请问您想办什么事？"


async def test_slow_down_remembers_the_pace() -> None:
    events = await ActionSlowDown().run(CollectingDispatcher(), _tracker("说慢点", "slower"), DOMAIN)
    assert events == [{"event": "slot", "timestamp": None, "name": "speech_rate", "value": "slow"}]


async def _detected(text: str, intent: str = "greet", language: str = "zh") -> Any:
    tracker = _tracker(text, intent, language)
    events = await ActionDetectLanguage().run(CollectingDispatcher(), tracker, DOMAIN)
    return events[0]["value"] if events else None


async def test_language_follows_the_user() -> None:
    assert await _detected("hello there", language="zh") == "en"
    assert await _detected("你好", language="en") == "zh"
    assert await _detected("你好", language="zh") is None  # no change, no event
    assert await _detected("ok", language="en") is None
    assert await _detected("😀", language="en") is None
    assert await _detected('/ask_service{"service":"id_card"}', "ask_service", "zh") is None  # a button


async def test_change_language_goes_to_the_named_language_or_toggles() -> None:
    assert await _detected("说英语", "change_language", "zh") == "en"
    assert await _detected("switch to Chinese", "change_language", "en") == "zh"
    assert await _detected("switch language", "change_language", "en") == "zh"
    assert await _detected("换个语言", "change_language", "zh") == "en"


GUIDE = Guide(id="pension", lang="en", name="pension and old-age insurance", summary="Monthly pension.",
              eligibility=("retired",), materials=("ID card", "bank card", "photo", "form", "hukou book"),
              fee="free", processing_time="one day", online="Zheliban app", elderly_notes=("home visits",),
              application_kinds=("qualification_certification",), offices=())


async def test_service_answer_comes_from_the_guide_in_the_conversation_language(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def guide(service_id: str, lang: str) -> Guide:
        assert (service_id, lang) == ("pension", "en")
        return GUIDE

    monkeypatch.setattr(services, "get_guide", guide)
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "service", "value": "pension"}]
    events = await ActionAnswerService().run(
        dispatcher,
        _tracker("what do I need to bring for my pension", "ask_service", "en", entities=entities),
        DOMAIN)
    message = dispatcher.messages[0]
    assert message["text"].startswith("For pension and old-age insurance, bring: ID card; bank card; photo.")
    assert "2 more" in message["text"] and message["buttons"][0]["payload"] == "/more_info"
    assert {"event": "slot", "name": "more_available", "value": True, "timestamp": None} in events


async def test_service_answer_when_the_portal_is_down_is_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    async def guide(service_id: str, lang: str) -> Guide:
        raise PortalError("unavailable", "down")

    monkeypatch.setattr(services, "get_guide", guide)
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "service", "value": "pension"}]
    tracker = _tracker("养老金", "ask_service", "zh", entities=entities)
    await ActionAnswerService().run(dispatcher, tracker, DOMAIN)
    assert "12345" in dispatcher.messages[0]["text"]


async def test_a_question_naming_no_service_offers_buttons() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerService().run(dispatcher, _tracker("我想办事", "ask_service"), DOMAIN)
    message = dispatcher.messages[0]
    assert message["text"].startswith("请问您想办哪一项")
    assert message["buttons"][0] == {"title": "居民身份证", "payload": '/ask_service{"service":"id_card"}'}


async def test_a_button_payload_is_not_read_for_words(monkeypatch: pytest.MonkeyPatch) -> None:
    async def guide(service_id: str, lang: str) -> Guide:
        return GUIDE

    monkeypatch.setattr(services, "get_guide", guide)
    dispatcher = CollectingDispatcher()
    payload = '/ask_service{"service":"elderly_benefits"}'
    entities = [{"entity": "service", "value": "elderly_benefits"}]
    tracker = _tracker(payload, "ask_service", "en", entities=entities)
    await ActionAnswerService().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["text"].startswith("pension and old-age insurance: Monthly pension.")


async def test_the_language_command_toggles_the_language() -> None:
    events = await ActionDetectLanguage().run(CollectingDispatcher(),
                                              _tracker("/change_language", "change_language", "zh"), DOMAIN)
    assert events == [{"event": "slot", "name": "language", "value": "en", "timestamp": None}]
    payload = _tracker("/greet", "greet", "en")
    assert await ActionDetectLanguage().run(CollectingDispatcher(), payload, DOMAIN) == []


async def test_a_channels_own_language_switch_names_the_language() -> None:
    tracker = _tracker("/change_language", "change_language", "zh")
    tracker.latest_message["metadata"] = {"language": "zh", "channel": "kiosk"}
    assert await ActionDetectLanguage().run(CollectingDispatcher(), tracker, DOMAIN) == []  # already zh
    tracker.latest_message["metadata"] = {"language": "en"}
    events = await ActionDetectLanguage().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events[0]["value"] == "en"
    tracker.latest_message["metadata"] = {"language": "fr"}  # not one of ours: toggles as before
    events = await ActionDetectLanguage().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events[0]["value"] == "en"
