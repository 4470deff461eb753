"""Applications end to end: a citizen talks to `make run` over REST; the portal's database shows the result.

The portal is the real reference portal started by `make run`; failures are
injected into that process (answers that fail or come too late, the process
paused or killed) while the conversation goes on.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from typing import Any

import pytest

from tests.conftest import PORTAL_TOKEN, RunningAssistant
from tests.processes import wait_until_gone

pytestmark = pytest.mark.server

ID_NUMBER = "330106194905120022"
SPOKEN_ID_NUMBER = "三三零一零六一九四九零五一二零零二二"
EN_ID_NUMBER = "11010519491231002X"


def _sender() -> str:
    return f"citizen-{uuid.uuid4().hex[:8]}"


def _phone() -> str:
    """A fresh mobile number, so each test finds its own rows."""
    return "139" + str(uuid.uuid4().int)[:8]


def _talk(assistant: RunningAssistant, sender: str, *messages: str) -> str:
    """Say each message in turn; return everything the assistant said to the last one."""
    replies: list[dict[str, Any]] = []
    for message in messages:
        replies = assistant.say(sender, message)
    return "\n".join(str(r.get("text", "")) for r in replies)


def _rows(assistant: RunningAssistant, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(assistant.portal_database) as db:
        return list(db.execute(sql, params))


def _applications_of(assistant: RunningAssistant, phone: str) -> list[tuple[Any, ...]]:
    return _rows(assistant, "SELECT application_no, service_id, kind, applicant_name, applicant_id_number, "
                            "fields, channel, status FROM applications WHERE applicant_phone = ?", phone)


def _portal(assistant: RunningAssistant, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        assistant.portal_url + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {PORTAL_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _portal_pid(assistant: RunningAssistant) -> int:
    found = subprocess.run(["pgrep", "-f", f"portal --host .* --port {assistant.portal_port}"],
                           capture_output=True, text=True, check=False).stdout.split()
    assert found, "the portal process was not found"
    return int(found[0])


def _wait_for_portal(assistant: RunningAssistant, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(assistant.portal_url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail("the portal did not come back")


def _id_card_until_read_back(assistant: RunningAssistant, sender: str, phone: str,
                             name: str = "王秀英") -> str:
    return _talk(assistant, sender, "我想补办身份证，帮我申请", "丢了", name, SPOKEN_ID_NUMBER,
                 " ".join((phone[:3], phone[3:7], phone[7:])), "第一个")


def test_replacing_an_id_card_in_chinese_lands_in_the_portal(assistant: RunningAssistant) -> None:
    sender, phone, corrected = _sender(), _phone(), _phone()
    read_back = _id_card_until_read_back(assistant, sender, phone)
    assert "330106 19490512 0022" in read_back and f"{phone[:3]} {phone[3:7]} {phone[7:]}" in read_back
    assert "西湖区民生服务中心" in read_back
    corrected_back = _talk(assistant, sender, f"电话不对，是{corrected}")
    assert f"{corrected[:3]} {corrected[3:7]} {corrected[7:]}" in corrected_back
    assert "王秀英" in corrected_back
    summary = _talk(assistant, sender, "对")
    number = re.search(r"申请号：(\d{4} \d{4} \d{4})", summary)
    assert number, summary
    assert "领证时请带" in summary and "西湖区民生服务中心" in summary
    assert _applications_of(assistant, phone) == []
    [row] = _applications_of(assistant, corrected)
    assert row[0] == number.group(1).replace(" ", "")
    assert row[1:5] == ("id_card", "replacement", "王秀英", ID_NUMBER)
    assert json.loads(row[5]) == {"reason": "lost", "collection_office_id": "xihu"}
    assert row[6] == "rest"


def test_pension_certification_in_english_by_a_home_visit(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    read_back = _talk(assistant, sender, "I need to do my pension certification", "my name is Mary Chen",
                      EN_ID_NUMBER, f"+86 {phone}", "home visit please",
                      "Room 301, Building 2, 100 Wensan Road, Xihu District")
    assert "Mary Chen" in read_back and "110105 19491231 002X" in read_back and "home visit" in read_back
    summary = _talk(assistant, sender, "yes")
    assert "Application number" in summary and "home visit" in summary
    [row] = _applications_of(assistant, phone)
    assert row[1:5] == ("pension", "qualification_certification", "Mary Chen", EN_ID_NUMBER)
    assert json.loads(row[5]) == {"method": "home_visit",
                                  "address": "Room 301, Building 2, 100 Wensan Road, Xihu District"}


def test_booking_an_appointment_from_the_free_slots(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    replies = []
    for message in ("帮我约个时间办社保卡", "西湖那个"):
        replies = assistant.say(sender, message)
    day = replies[-1]["buttons"][0]["payload"]
    times = assistant.say(sender, day)[-1]["buttons"]
    first = times[0]["payload"]
    read_back = _talk(assistant, sender, "第一个", "李建国", phone)
    assert "社会保障卡" in read_back and first in read_back and "李建国" in read_back
    summary = _talk(assistant, sender, "对")
    assert "预约好了" in summary and first in summary
    [(service, start, slot_date)] = _rows(
        assistant, "SELECT a.service_id, s.start, s.date FROM appointments a "
                   "JOIN slots s ON s.id = a.slot_id WHERE a.phone = ?", phone)
    assert (service, start, str(slot_date)) == ("social_security_card", first, day)


def test_checking_a_status_needs_the_right_phone(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone, name="赵大海")
    number = re.search(r"申请号：(\d{4} \d{4} \d{4})", _talk(assistant, sender, "对"))
    assert number
    _portal(assistant, "POST", f"/applications/{number.group(1).replace(' ', '')}/status",
            {"status": "accepted", "note": "材料齐全"})
    report = _talk(assistant, sender, "查一下我的申请进度", number.group(1), phone)
    assert "已受理" in report and "居民身份证" in report
    other = _talk(assistant, _sender(), "我的申请办到哪一步了", number.group(1), _phone())
    assert "没有查到" in other and "已受理" not in other


def test_a_question_in_the_middle_of_a_form_then_back_to_it(assistant: RunningAssistant) -> None:
    sender = _sender()
    _talk(assistant, sender, "帮我申请换身份证", "过期了")
    answer = _talk(assistant, sender, "办身份证要多少钱")
    assert "20" in answer and "请问办事人叫什么名字" in answer
    assert _talk(assistant, sender, "再说一遍").count("请问办事人叫什么名字") == 1
    assert "现在要填的是：姓名" in _talk(assistant, sender, "帮助")
    assert "身份证号码" in _talk(assistant, sender, "孙丽")


def test_cancel_submits_nothing(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone)
    assert "什么都没有提交" in _talk(assistant, sender, "取消")
    assert _applications_of(assistant, phone) == []
    assert "没有要重新提交" in _talk(assistant, sender, "再试一次")


def test_wrong_answers_are_explained_then_a_person_is_offered(assistant: RunningAssistant) -> None:
    sender = _sender()
    _talk(assistant, sender, "我要做养老金资格认证", "王秀英")
    assert "出生日期" in _talk(assistant, sender, "330106194902300021")
    _talk(assistant, sender, ID_NUMBER)
    first = assistant.say(sender, "12345")
    assert "138 1234 5678" in first[0]["text"] and not first[0].get("buttons")
    assistant.say(sender, "abc")
    third = assistant.say(sender, "不告诉你")
    assert any(b["payload"] == "/human_handoff" for r in third for b in r.get("buttons", []))


def test_malicious_values_never_reach_the_portal(assistant: RunningAssistant) -> None:
    before = _rows(assistant, "SELECT COUNT(*) FROM applications")[0][0]
    for bad in ("'; DROP TABLE applications; --", "<script>alert(1)</script>", "王" * 300,
                '/start_application{"service":"../../etc/passwd"}', "\u0000\u202e",
                "330106194905120022' OR '1'='1"):
        sender = _sender()
        _talk(assistant, sender, "我想补办身份证，帮我申请", "丢了")
        reply = _talk(assistant, sender, bad)
        assert any(word in reply for word in ("名字", "name", "取消", "stopped", "understand")), (bad, reply)
        assert "请核对" not in reply
    assert _rows(assistant, "SELECT COUNT(*) FROM applications")[0][0] == before
    assert _rows(assistant, "SELECT COUNT(*) FROM services")[0][0] >= 12


def _fault(assistant: RunningAssistant, **fault: Any) -> None:
    _portal(assistant, "POST", "/_faults", {"paths": "/api/v1/applications", "times": 1, **fault})


def test_a_portal_error_keeps_the_answers_and_try_again_submits_once(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone)
    _fault(assistant, status=503)
    apology = _talk(assistant, sender, "对")
    assert "再试一次" in apology and "不会重复提交" in apology
    assert _applications_of(assistant, phone) == []
    assert "申请号" in _talk(assistant, sender, "再试一次")
    assert len(_applications_of(assistant, phone)) == 1
    assert "没有要重新提交" in _talk(assistant, sender, "再试一次")
    assert len(_applications_of(assistant, phone)) == 1


def test_a_slow_portal_then_try_again_never_duplicates(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone)
    _fault(assistant, delay_ms=8000)  # stored at once, answered after the client gave up
    assert "再试一次" in _talk(assistant, sender, "对")
    time.sleep(4)
    assert len(_applications_of(assistant, phone)) == 1
    summary = _talk(assistant, sender, "再试一次")
    [row] = _applications_of(assistant, phone)
    assert row[0][:4] + " " + row[0][4:8] + " " + row[0][8:] in summary


def test_a_stopped_portal_then_try_again_submits_once(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone)
    pid = _portal_pid(assistant)
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)  # until then its socket may still accept a connection
    apology = _talk(assistant, sender, "对")
    assert "连不上" in apology and "再试一次" in apology
    _wait_for_portal(assistant)
    assert "申请号" in _talk(assistant, sender, "再试一次")
    assert len(_applications_of(assistant, phone)) == 1


def test_a_paused_portal_answers_kindly_and_the_retry_finds_the_original(assistant: RunningAssistant) -> None:
    sender, phone = _sender(), _phone()
    _id_card_until_read_back(assistant, sender, phone)
    pid = _portal_pid(assistant)
    os.kill(pid, signal.SIGSTOP)
    try:
        assert "再试一次" in _talk(assistant, sender, "对")
    finally:
        os.kill(pid, signal.SIGCONT)
    _wait_for_portal(assistant)
    _talk(assistant, sender, "再试一次")
    assert len(_applications_of(assistant, phone)) == 1
