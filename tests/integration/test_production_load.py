"""Load: 200 citizens at once, each a 20-turn conversation with a form, over two Rasa servers.

Bounded: 4,000 messages, each waiting at most 300 s. The figures (latency,
throughput, one server against two) come from ``python -m bench.production_load``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from bench.citizens import phone_of, run_citizens
from tests.production import ProductionRun, drain_queue, postgres

pytestmark = pytest.mark.server

CITIZENS = 200
TURNS = 20
RUN_TAG = 7


def test_two_hundred_citizens_at_once_lose_duplicate_and_reorder_nothing(production: ProductionRun) -> None:
    report = run_citizens(production.url, CITIZENS, "load", run_tag=RUN_TAG)
    assert len(report.turns) == CITIZENS * TURNS
    assert not report.failures, [(t.sender, t.index, t.text, t.status, t.error, t.replies)
                                 for t in report.failures[:5]]

    sent: dict[str, list[str]] = defaultdict(list)
    for turn in sorted(report.turns, key=lambda turn: (turn.sender, turn.index)):
        sent[turn.sender].append(turn.text)
    rows = postgres(production.tracker_db, "SELECT sender_id, type_name, timestamp, data FROM events "
                                           "WHERE sender_id LIKE 'load-%%' ORDER BY id")
    stored: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    for sender, kind, timestamp, data in rows:
        stored[sender].append((kind, timestamp, data))
    assert set(stored) == set(sent)
    for sender, events in stored.items():
        # Nothing lost, nothing twice, nothing out of order: the messages as sent, each answered
        # before the next, and no event stored twice.
        users = [json.loads(data)["text"] for kind, _, data in events if kind == "user"]
        assert users == sent[sender], sender
        duplicates = [event for event, count in Counter(events).items() if count > 1]
        assert not duplicates, (sender, duplicates[:3])
        timestamps = [timestamp for _, timestamp, _ in events]
        assert timestamps == sorted(timestamps), sender
        kinds = [kind for kind, _, _ in events]
        user_at = [i for i, kind in enumerate(kinds) if kind == "user"]
        for number, start in enumerate(user_at):
            end = user_at[number + 1] if number + 1 < len(user_at) else None
            assert "bot" in kinds[start:end], (sender, number)

    # Both Rasa servers took a share of the load.
    served = Counter(re.findall(r'"POST /webhooks/rest/webhook [^"]*" 200 upstream=127\.0\.0\.1:(\d+)',
                                production.log("nginx.log")))
    for port in production.rasa_ports:
        assert served[str(port)] > CITIZENS * TURNS // 5, served

    # One application per citizen reached the portal, none twice.
    phones = [phone_of(RUN_TAG, number) for number in range(CITIZENS)]
    applications = postgres(production.portal_db, "SELECT applicant_phone, count(*) FROM applications "
                                                  "WHERE applicant_phone = ANY(%s) GROUP BY applicant_phone",
                            phones)
    assert dict(applications) == dict.fromkeys(phones, 1)

    # The event broker got every stored event of every conversation, none lost, none twice. Each Rasa
    # server publishes in the background after its turn: events of two turns answered by two servers
    # may reach RabbitMQ in either order, so consumers order a conversation's events by timestamp.
    published: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for event in asyncio.run(drain_queue(production.queue)):
        if str(event.get("sender_id", "")).startswith("load-"):
            published[event["sender_id"]].append((event["event"], event.get("timestamp")))
    for sender, events in stored.items():
        in_order = sorted(published[sender], key=lambda event: event[1])
        assert in_order == [(kind, timestamp) for kind, timestamp, _ in events], sender
