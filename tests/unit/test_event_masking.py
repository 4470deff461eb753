"""Events published to the event broker carry no ID number and no mobile number (bot/event_masking.py).

Ends with a real publish: Rasa's tracker store saving a conversation through
the broker the endpoints name, to the RabbitMQ on this machine, on a queue and
an exchange of the test's own (deleted afterwards).
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import socket
from typing import Any

import pytest
import yaml

from bot.event_masking import ID_NUMBER_SLOTS, PHONE_SLOTS, UNMASKED_KEYS, mask_event
from bot.operators.masking import mask_identifiers
from bot.production import event_broker_config
from tests.conftest import PROJECT_DIR

ID_NUMBER = "330106194901010028"
MOBILE = "13812345678"
MASKED_ID = "330106********0028"
MASKED_MOBILE = "138****5678"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.mark.parametrize(("text", "masked"), [
    (f"我的身份证号是{ID_NUMBER}", f"我的身份证号是{MASKED_ID}"),
    ("33010619490101002X", "330106********002X"),
    ("33010619490101002x。", "330106********002X。"),
    ("老证 330106490101002", "老证 330106*****1002"),
    ("330106 19490101 0028", MASKED_ID),
    ("330106-19490101-0028", MASKED_ID),
    ("3301 0619 4901 0100 28", MASKED_ID),
    ("３３０１０６１９４９０１０１００２８", MASKED_ID),
    ("三三零幺零六幺九四九零幺零幺零零二八", MASKED_ID),
    ("3301 0619 4901 0100 2X", "330106********002X"),
    ("三三零幺零六幺九四九零幺零幺零零二叉", "330106********002X"),
    (f"电话{MOBILE}", f"电话{MASKED_MOBILE}"),
    ("+86 138-1234-5678", MASKED_MOBILE),
    ("0086 13812345678", MASKED_MOBILE),
    ("+8613812345678", MASKED_MOBILE),
    ("１３８　１２３４　５６７８", MASKED_MOBILE),
    ("幺三八 幺二三四 五六七八", MASKED_MOBILE),
    ("1 3 8 1 2 3 4 5 6 7 8", MASKED_MOBILE),
    ("one three eight one two three four five six seven eight", MASKED_MOBILE),
    ("1 3 8 1 2 3 4 5 6 7 8 x", f"{MASKED_MOBILE} x"),
])
def test_identifiers_are_masked_however_they_are_written(text: str, masked: str) -> None:
    assert mask_identifiers(text) == masked
    assert mask_identifiers(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("text", [
    "2024-05-01 12:00:00", "confidence 0.123456789012345", "0.13812345678", "1700000000.123456",
    "message a3f2c1e4b5d6473891a2b3c4d5e6f708", "申请编号 2024 0512 0001", "12345678 人", "一二三四五六七",
    "办事大厅电话 0571-87654321", "1 2 3 4 5 6 7 x", "",
])
def test_other_numbers_stay(text: str) -> None:
    assert mask_identifiers(text) == text


def user_event() -> dict[str, Any]:
    return {
        "sender_id": "kiosk-7", "event": "user", "timestamp": 1732300000.123456,
        "text": f"身份证{ID_NUMBER}，手机{MOBILE}",
        "parse_data": {
            "intent": {"name": "inform", "confidence": 0.123456789012345},
            "entities": [{"entity": "service", "value": "id_card", "start": 0, "end": 3},
                         {"entity": "phone", "value": "138 1234 5678", "start": 4, "end": 17}],
            "text": f"身份证{ID_NUMBER}，手机{MOBILE}",
            "message_id": "a3f2c1e4b5d6473891a2b3c4d5e6f708",
            "metadata": {"caller": "+86 138-1234-5678", "number": 13812345678, "deep": [[{"id": ID_NUMBER}]]},
        },
        "input_channel": "rest", "message_id": "a3f2c1e4b5d6473891a2b3c4d5e6f708",
        "metadata": {"model_id": "20241122-194300-drab-frogman"},
    }


def test_a_user_event_is_masked_everywhere_and_left_as_it_was() -> None:
    event = user_event()
    before = copy.deepcopy(event)
    masked = mask_event(event)
    assert event == before
    text = json.dumps(masked, ensure_ascii=False)
    assert ID_NUMBER not in text and MOBILE not in text and "1234 5678" not in text
    assert masked["text"] == f"身份证{MASKED_ID}，手机{MASKED_MOBILE}"
    assert masked["parse_data"]["text"] == masked["text"]
    assert masked["parse_data"]["entities"][1]["value"] == MASKED_MOBILE
    assert masked["parse_data"]["metadata"] == {"caller": MASKED_MOBILE, "number": MASKED_MOBILE,
                                                "deep": [[{"id": MASKED_ID}]]}
    # What identifies the event and its time stays, and so does every other value.
    for key in ("timestamp", "message_id", "sender_id", "input_channel", "event"):
        assert masked[key] == event[key]
    assert masked["parse_data"]["intent"] == event["parse_data"]["intent"]
    assert masked["parse_data"]["entities"][0] == event["parse_data"]["entities"][0]
    assert masked["metadata"] == event["metadata"]
    assert mask_event(masked) == masked


@pytest.mark.parametrize(("slot", "value", "masked"), [
    ("id_number", ID_NUMBER, MASKED_ID),
    ("id_number", "33010619490101002X", "330106********002X"),
    ("phone", MOBILE, MASKED_MOBILE),
    ("proxy_phone", "+86 138-1234-5678", MASKED_MOBILE),
    ("callback_phone", "13812345678", MASKED_MOBILE),
    ("callback_phone", 13812345678, MASKED_MOBILE),
    ("callback_phone", "057187654321", "057*****4321"),  # a landline in a phone slot: masked whole
    ("phone", None, None),
    ("applicant_name", "王秀英", "王秀英"),
    ("id_card_reason", f"lost, call {MOBILE}", f"lost, call {MASKED_MOBILE}"),
])
def test_slot_events_carry_masked_values(slot: str, value: Any, masked: Any) -> None:
    event = {"sender_id": "s", "event": "slot", "timestamp": 1.5, "name": slot, "value": value}
    assert mask_event(event) == {**event, "value": masked}


def test_bot_texts_buttons_and_data_are_masked() -> None:
    event = {
        "sender_id": "s", "event": "bot", "timestamp": 2.0,
        "text": "请核对：身份证号 330106 19490101 0028，手机号 138 1234 5678。",
        "data": {"buttons": [{"title": "对", "payload": f'/inform{{"phone": "{MOBILE}"}}'}],
                 "custom": {"read_back": ["三三零幺零六幺九四九零幺零幺零零二八"]}},
        "metadata": {"utter_action": "utter_confirm", "id_number": ID_NUMBER},
    }
    masked = mask_event(event)
    assert masked["text"] == f"请核对：身份证号 {MASKED_ID}，手机号 {MASKED_MOBILE}。"
    assert masked["data"]["buttons"][0]["payload"] == f'/inform{{"phone": "{MASKED_MOBILE}"}}'
    assert masked["data"]["custom"]["read_back"] == [MASKED_ID]
    assert masked["metadata"] == {"utter_action": "utter_confirm", "id_number": MASKED_ID}


def test_action_and_form_events_are_masked() -> None:
    action = {"sender_id": "s", "event": "action", "timestamp": 3.0, "name": "validate_id_card_form",
              "policy": "RulePolicy", "confidence": 1.0, "action_text": f"号码 {ID_NUMBER}",
              "hide_rule_turn": False}
    assert mask_event(action) == {**action, "action_text": f"号码 {MASKED_ID}"}
    loop = {"sender_id": "s", "event": "active_loop", "timestamp": 4.0, "name": "id_card_form"}
    assert mask_event(loop) == loop


def test_every_id_number_and_phone_slot_of_the_domain_is_masked_whole() -> None:
    slots = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))["slots"]
    assert {name for name in slots if "phone" in name} == PHONE_SLOTS
    assert {name for name in slots if "id_number" in name} == ID_NUMBER_SLOTS
    assert not UNMASKED_KEYS & set(slots)


def test_rasa_loads_the_masking_broker_the_endpoints_name() -> None:
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.shared.utils.common import class_from_module_path

    from bot.brokers import MaskingPikaEventBroker

    deployed = yaml.safe_load((PROJECT_DIR / "deploy" / "endpoints.yml").read_text(encoding="utf-8"))
    for broker_type in (event_broker_config(RABBITMQ, "q")["type"], deployed["event_broker"]["type"]):
        assert class_from_module_path(broker_type) is MaskingPikaEventBroker
    assert issubclass(MaskingPikaEventBroker, PikaEventBroker)


def rabbitmq_is_running() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5672)) == 0


async def consume(queue_name: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    """Up to ``count`` messages of a queue (consumed)."""
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        bodies: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(bodies) < count and asyncio.get_running_loop().time() < deadline:
            message = await queue.get(no_ack=True, fail=False, timeout=5)
            if message is None:
                await asyncio.sleep(0.2)
            else:
                bodies.append(json.loads(message.body))
        return bodies
    finally:
        await connection.close()


async def delete_queue_and_exchange(queue_name: str, exchange_name: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(RABBITMQ)
    try:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
        await channel.exchange_delete(exchange_name)
    finally:
        await connection.close()


@pytest.mark.skipif(not rabbitmq_is_running(), reason="needs RabbitMQ on 127.0.0.1:5672 (guest/guest)")
@pytest.mark.filterwarnings("ignore:Slot auto-fill")
async def test_rasa_publishes_masked_events_to_rabbitmq_and_keeps_the_real_ones() -> None:
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.brokers import MaskingPikaEventBroker

    token = secrets.token_hex(4)
    queue, exchange = f"assistant_events_test_{token}", f"assistant_exchange_test_{token}"
    # The production profile's broker settings, on an exchange of the test's own (others' queues stay out).
    config = EndpointConfig.from_dict({**event_broker_config(RABBITMQ, queue), "exchange_name": exchange})
    broker = await EventBroker.create(config)
    try:
        assert isinstance(broker, MaskingPikaEventBroker)
        domain = Domain.from_dict({"slots": {
            "id_number": {"type": "text", "mappings": [{"type": "custom"}]},
            "phone": {"type": "text", "mappings": [{"type": "custom"}]}}})
        store = InMemoryTrackerStore(domain, event_broker=broker)
        said = f"我的身份证号 {ID_NUMBER}，电话 +86 138-1234-5678"
        tracker = DialogueStateTracker.from_events("kiosk-7", [
            UserUttered(said, {"name": "inform", "confidence": 0.9},
                        parse_data={"text": said, "intent": {"name": "inform", "confidence": 0.9},
                                    "entities": []},
                        metadata={"caller": MOBILE}),
            SlotSet("id_number", ID_NUMBER),
            SlotSet("phone", MOBILE),
            BotUttered("请核对：身份证号 330106 19490101 0028，手机号 138 1234 5678。",
                       metadata={"id_number": ID_NUMBER}),
        ], slots=domain.slots)
        await store.save(tracker)
        published = await consume(queue, 4)
        kept = await store.retrieve("kiosk-7")
    finally:
        await broker.close()
        await delete_queue_and_exchange(queue, exchange)

    assert [event["event"] for event in published] == ["user", "slot", "slot", "bot"]
    text = json.dumps(published, ensure_ascii=False)
    assert ID_NUMBER not in text and MOBILE not in text
    assert "1234 5678" not in text and "1234-5678" not in text
    assert published[0]["text"] == f"我的身份证号 {MASKED_ID}，电话 {MASKED_MOBILE}"
    assert published[0]["metadata"] == {"caller": MASKED_MOBILE}
    assert [(event["name"], event["value"]) for event in published[1:3]] == [
        ("id_number", MASKED_ID), ("phone", MASKED_MOBILE)]
    assert published[3]["text"] == f"请核对：身份证号 {MASKED_ID}，手机号 {MASKED_MOBILE}。"
    # The tracker store keeps what the application needs.
    assert kept is not None
    assert kept.get_slot("id_number") == ID_NUMBER and kept.get_slot("phone") == MOBILE
    assert kept.latest_message is not None and kept.latest_message.text == said
