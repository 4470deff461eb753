from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionDetectLanguage, ActionRepeat, ActionSlowDown, last_bot_turn
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


async def test_service_answer_names_the_service_in_the_conversation_language() -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "service", "value": "pension"}]
    await ActionAnswerService().run(dispatcher, _tracker("pension", "ask_service", "en", entities=entities),
                                    DOMAIN)
    assert "pension and old-age insurance" in dispatcher.messages[0]["text"]


async def test_a_question_naming_no_service_offers_buttons() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerService().run(dispatcher, _tracker("我想办事", "ask_service"), DOMAIN)
    message = dispatcher.messages[0]
    assert message["text"].startswith("请问您想办哪一项")
    assert message["buttons"][0] == {"title": "居民身份证", "payload": '/ask_service{"service":"id_card"}'}
