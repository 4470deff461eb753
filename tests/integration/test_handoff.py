"""A person when it is needed, end to end over REST and Telegram; senior mode and proxy applications.

The operator works with ``python -m bot operator`` on the same data folder as
the running assistant; the citizen talks over the REST channel or Telegram.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid

import pytest

from tests.conftest import PROJECT_DIR, RunningAssistant
from tests.integration.test_telegram import _chat, _reply, _say
from tests.telegram_server import FakeBotApi

pytestmark = pytest.mark.server


def _operator(assistant: RunningAssistant, *args: str) -> str:
    env = {**os.environ, "DATA_DIR": str(assistant.data_dir)}
    done = subprocess.run([sys.executable, "-m", "bot", "operator", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _texts(assistant: RunningAssistant, sender: str, message: str) -> str:
    return "\n".join(assistant.texts(sender, message))


def _handoff_number(reply: str) -> str:
    found = re.search(r"(?:排队号|queue number) (\d+)", reply)
    assert found, reply
    return found.group(1)


def test_a_person_over_rest_takes_replies_and_hands_back(assistant: RunningAssistant) -> None:
    me = f"citizen-{uuid.uuid4().hex[:8]}"
    assert "关于「社会保障卡」" in _texts(assistant, me, "社保卡")
    number = _handoff_number(_texts(assistant, me, "我要找人工"))
    assert "稍等" in _texts(assistant, me, "我的社保卡丢了，急用")  # the assistant no longer answers itself
    queue = _operator(assistant, "handoffs")
    assert me in queue and "asked for a person" in queue
    shown = _operator(assistant, "show", number)
    assert "citizen: 社保卡" in shown and "citizen: 我的社保卡丢了，急用" in shown
    _operator(assistant, "take", number, "--as", "小王")
    _operator(assistant, "reply", number, "您好，请带身份证到西湖区民生服务中心补办。", "--as", "小王")
    assert "工作人员小王：您好，请带身份证到西湖区民生服务中心补办。" in _texts(assistant, me, "好的")
    _operator(assistant, "hand-back", number)
    assert "由我继续为您服务" in _texts(assistant, me, "谢谢")
    assert "不客气" in _texts(assistant, me, "谢谢你")
    assert me not in _operator(assistant, "handoffs")


def test_a_person_over_telegram_replies_at_once(assistant: RunningAssistant) -> None:
    api = assistant.telegram
    assert isinstance(api, FakeBotApi)
    chat = _chat(api)
    reply = _reply(api, chat, _say(api, chat, "/human"), "转接工作人员")
    number = _handoff_number(reply.text or "")
    since = api.mark()
    _operator(assistant, "reply", number, "您好，我是小李。", "--as", "小李")
    _reply(api, chat, since, "工作人员小李：您好，我是小李。")  # pushed without the citizen writing first
    _operator(assistant, "hand-back", number)
    _reply(api, chat, _say(api, chat, "好的"), "由我继续为您服务")
    _reply(api, chat, _say(api, chat, "谢谢"), "不客气")


def test_after_three_failed_answers_a_person_is_offered_and_the_form_can_be_resumed(
        assistant: RunningAssistant) -> None:
    me = f"citizen-{uuid.uuid4().hex[:8]}"
    for message in ("我要做养老金资格认证", "王秀英", "12", "34"):
        assistant.say(me, message)
    third = assistant.say(me, "56")
    assert any(b["payload"] == "/human_handoff" for r in third for b in r.get("buttons", []))
    number = _handoff_number(_texts(assistant, me, "/human_handoff"))
    _operator(assistant, "hand-back", number)
    _texts(assistant, me, "好")
    resumed = _texts(assistant, me, "继续刚才的申请")
    assert "接着办「养老金资格认证」" in resumed and "身份证号码" in resumed  # the name is kept


def test_senior_mode_is_offered_from_the_id_number_and_reads_numbers_back(
        assistant: RunningAssistant) -> None:
    me = f"citizen-{uuid.uuid4().hex[:8]}"
    replies = []
    for message in ("我想补办身份证，帮我申请", "丢了", "王秀英"):
        replies = assistant.say(me, message)
    replies = assistant.say(me, "330106194905120022")  # born 1949
    offer = next(r for r in replies if "长辈模式" in r.get("text", ""))
    assert offer["buttons"][0]["payload"] == "/elderly_mode"
    turned_on = assistant.say(me, "/elderly_mode")
    assert any(r.get("custom", {}).get("elderly_mode") for r in turned_on)
    assert "记下了：138 1234 5678" in _texts(assistant, me, "13812345678")


def test_a_proxy_application_records_the_proxy_and_the_consent(assistant: RunningAssistant) -> None:
    me = f"citizen-{uuid.uuid4().hex[:8]}"
    phone = "136" + str(uuid.uuid4().int)[:8]
    answers = ("帮我妈申请补办身份证", "过期了", "王秀英", "330106194905120022", phone, "第一个", "李明")
    for message in answers:
        assistant.say(me, message)
    assert "老人同意" in _texts(assistant, me, "13900002222")
    read_back = _texts(assistant, me, "她同意")
    assert "代办人：李明" in read_back and "本人同意：已同意" in read_back
    assert "申请号" in _texts(assistant, me, "对")
    with sqlite3.connect(assistant.portal_database) as db:
        [(proxy,)] = list(db.execute("SELECT proxy FROM applications WHERE applicant_phone = ?", (phone,)))
    assert json.loads(proxy) == {"name": "李明", "phone": "13900002222", "relationship": "mother",
                                 "consent": True}
