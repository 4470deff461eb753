"""Simulated citizens: many 20-turn conversations at once, each applying for a service.

Every citizen asks about replacing a lost ID card, applies for it through the
form (with a question in the middle of it), confirms, checks the status of the
application it was given, and asks about another service. Used by
``bench/production_load.py`` and the production load test; each citizen has
its own sender id and phone number, so its conversation and its application
can be found afterwards.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp

from bench.common import percentile

#: Names the form accepts (two or three Chinese characters).
NAMES = ("王秀英", "李建国", "张桂兰", "刘德明", "陈淑珍", "杨志强", "赵玉兰", "黄国华")
#: A valid ID number (its check digit is right), given as digits.
ID_NUMBER = "330106194905120022"
APPLICATION_NUMBER = re.compile(r"申请号：(\d{4} \d{4} \d{4})")
#: Turns whose replies must say something particular: (turn index, words that must appear).
EXPECTED = {12: "申请号", 15: "居民身份证"}


def phone_of(run_tag: int, number: int) -> str:
    """A mobile number unique to the citizen ``number`` of one run."""
    return f"13{run_tag % 10}{number:08d}"


def citizen_turns(number: int, phone: str, application: Callable[[], str]) -> list[Callable[[], str]]:
    """The 20 messages of citizen ``number``; the application number is known only once given."""
    fixed = ["你好", "我的身份证丢了怎么办", "需要带什么", "办身份证要多少钱", "在哪里办",
             "我想补办身份证，帮我申请", "丢了", "办身份证要多少钱", NAMES[number % len(NAMES)], ID_NUMBER,
             " ".join((phone[:3], phone[3:7], phone[7:])), "第一个", "对", "查一下我的申请进度"]
    later = ["社保卡怎么办", "需要带什么", "谢谢", "再见"]
    return [*map(said, fixed), application, said(phone), *map(said, later)]


def said(text: str) -> Callable[[], str]:
    """A message known in advance."""
    return lambda: text


@dataclass
class Turn:
    """One message and what came back."""

    sender: str
    index: int
    text: str
    status: int
    replies: list[dict[str, Any]]
    seconds: float
    error: str = ""


@dataclass
class LoadReport:
    """Every turn of a load run, and its wall time."""

    turns: list[Turn] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def failures(self) -> list[Turn]:
        """Turns that did not get HTTP 200 with a reply, or missed what they had to say."""
        failed = []
        for turn in self.turns:
            said = " ".join(str(reply.get("text", "")) for reply in turn.replies)
            expected = EXPECTED.get(turn.index)
            if turn.error or turn.status != 200 or not turn.replies or (expected and expected not in said):
                failed.append(turn)
        return failed

    @property
    def latencies(self) -> list[float]:
        return [turn.seconds for turn in self.turns if turn.status == 200]

    @property
    def throughput(self) -> float:
        """Messages answered per second."""
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else 0.0

    def p(self, fraction: float) -> float:
        """A latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000


async def citizen(session: aiohttp.ClientSession, url: str, sender: str, number: int, phone: str,
                  report: LoadReport, pace: Pace) -> None:
    """Hold one citizen's 20-turn conversation, each message a moment after the reply to the previous one."""
    given = {"application": ""}
    chance = random.Random(number)
    await asyncio.sleep(pace.arrival_seconds * number)
    for index, message in enumerate(citizen_turns(number, phone, lambda: given["application"])):
        if index:
            await asyncio.sleep(chance.uniform(*pace.reading_seconds))
        text = message()
        started = time.perf_counter()
        status, replies, error = 0, [], ""
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                status = response.status
                body = await response.json(content_type=None)
                replies = body if isinstance(body, list) else []
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as problem:
            error = f"{type(problem).__name__}: {problem}"
        report.turns.append(Turn(sender, index, text, status, replies, time.perf_counter() - started, error))
        said = " ".join(str(reply.get("text", "")) for reply in replies)
        if found := APPLICATION_NUMBER.search(said):
            given["application"] = found.group(1)


@dataclass(frozen=True)
class Pace:
    """How citizens arrive and how long they take to read a reply and answer."""

    #: Seconds between one citizen's first message and the next citizen's.
    arrival_seconds: float = 0.1
    #: Least and most seconds between a reply and the citizen's next message (reading the
    #: reply and saying or typing the answer: quick for a citizen, often slower for the elderly).
    reading_seconds: tuple[float, float] = (2.0, 6.0)


async def run_citizens_async(base_url: str, count: int, tag: str, run_tag: int = 0, pace: Pace = Pace(),
                             timeout: float = 300) -> LoadReport:
    """Run ``count`` citizens at once against the REST channel at ``base_url``.

    They arrive one after another ``pace.arrival_seconds`` apart (200 in 20 s by
    default) and then all talk at once, each pausing ``pace.reading_seconds``
    between a reply and its next message.
    """
    report = LoadReport()
    url = f"{base_url}/webhooks/rest/webhook"
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(citizen(session, url, f"{tag}-{number}", number, phone_of(run_tag, number),
                                       report, pace) for number in range(count)))
        report.wall_seconds = time.perf_counter() - started
    return report


def run_citizens(base_url: str, count: int, tag: str, run_tag: int = 0, pace: Pace = Pace()) -> LoadReport:
    """:func:`run_citizens_async` from synchronous code."""
    return asyncio.run(run_citizens_async(base_url, count, tag, run_tag, pace))
