"""Malformed requests by the thousand, and what they cost the citizens talking at the same time.

Starts the assistant's parts as `make run` does (reference portal, action
server, Rasa server, web pages, and the Telegram connector in webhook mode
against a Bot-API-compatible server on loopback), on spare ports and a
scratch data folder. Then:

1. baseline: valid clients alone for a while (REST citizens asking about a
   service in Chinese and English, a Telegram user greeting through the
   webhook, a portal client reading a guide);
2. the seeded fuzzer (`tests/fuzzing.py`) sends its malformed requests to the
   REST channel, the portal API and the Telegram webhook, with the same valid
   clients running alongside;
3. baseline again (the two baselines are pooled).

Prints the answers per target and status class, the fuzzer's requests per
second, every answer that breaks the rules (a 5xx, a dropped connection, an
unkind refusal), and the p50/p95 latency of the valid traffic with and
without the fuzzer.

Run: ``.venv/bin/python -m bench.fuzz [--rest 900 --portal 800 --telegram 700]`` (about 4 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp

from bench.common import percentile
from bot.assistant import build_parts, write_run_endpoints
from bot.settings import Settings, get_settings
from bot.supervisor import Supervisor
from bot.training import train
from tests.fuzzing import (
    Fuzzer,
    Outcome,
    Round,
    Tally,
    ValidTraffic,
    keep_going,
    new_session,
    portal_reader,
    problem_with,
    rest_citizen,
    send_all,
    telegram_user,
)
from tests.telegram_server import FakeBotApi

WEBHOOK_SECRET = "bench-webhook-secret"
PORTAL_TOKEN = "bench-portal-token"


def valid_clients(settings: Settings, api: FakeBotApi, session: aiohttp.ClientSession) -> dict[str, Round]:
    """The valid clients run alone (baseline) and alongside the fuzzer."""
    return {
        "REST citizen (zh)": rest_citizen(session, settings.rasa_url, "我的身份证丢了怎么办", "居民身份证"),
        "REST citizen (en)": rest_citizen(session, settings.rasa_url, "how do I renew my driving licence",
                                          "driving licence"),
        "Telegram user": telegram_user(api),
        "portal client": portal_reader(session, settings.portal_api_url, PORTAL_TOKEN),
    }


async def run_valid(settings: Settings, api: FakeBotApi, seconds: float, traffic: ValidTraffic) -> None:
    """The valid clients alone for ``seconds``."""
    done = asyncio.Event()
    async with new_session() as session:
        tasks = [asyncio.create_task(keep_going(who, one_round, done, traffic))
                 for who, one_round in valid_clients(settings, api, session).items()]
        await asyncio.sleep(seconds)
        done.set()
        await asyncio.gather(*tasks)


async def run_fuzz(settings: Settings, api: FakeBotApi, fuzzer: Fuzzer, counts: dict[str, int],
                   traffic: ValidTraffic, concurrency: int) -> tuple[list[Outcome], float]:
    """The fuzzer with the valid clients alongside; the outcomes and the fuzzer's wall time."""
    cases = (fuzzer.rest_cases(counts["rest"]) + fuzzer.portal_cases(counts["portal"], PORTAL_TOKEN)
             + fuzzer.telegram_cases(counts["telegram"], WEBHOOK_SECRET))
    targets = {"rest": settings.rasa_url, "portal": settings.portal_api_url.removesuffix("/api/v1"),
               "telegram": f"http://{settings.host}:{settings.telegram_webhook_port}"}
    done = asyncio.Event()
    async with new_session() as session:
        tasks = [asyncio.create_task(keep_going(who, one_round, done, traffic))
                 for who, one_round in valid_clients(settings, api, session).items()]
        started = time.perf_counter()
        try:
            outcomes = await send_all(cases, targets, concurrency)
        finally:
            done.set()
        wall = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return outcomes, wall


def report(outcomes: list[Outcome], wall: float, baseline: ValidTraffic, alongside: ValidTraffic) -> None:
    """Print the fuzzer's figures and the valid traffic's latency with and without it."""
    print(f"\n{len(outcomes)} malformed requests in {wall:.1f} s: {len(outcomes) / wall:.0f} requests/s")
    print(Tally().add(outcomes).table())
    for target in sorted({o.case.target for o in outcomes}):
        seconds = [o.seconds for o in outcomes if o.case.target == target]
        print(f"{target}: {len(seconds)} requests, answer p50 {percentile(seconds, 0.5) * 1000:.0f} ms, "
              f"slowest {max(seconds):.2f} s")
    problems = [(o, p) for o in outcomes if (p := problem_with(o))]
    print(f"\nanswers breaking the rules: {len(problems)}")
    for outcome, problem in problems[:20]:
        print(f"  {outcome.case!r}: {problem}")
    print(f"\nwrong answers to valid clients: alone {len(baseline.wrong)}, "
          f"with the fuzzer {len(alongside.wrong)}")
    for wrong in (baseline.wrong + alongside.wrong)[:10]:
        print(f"  {wrong}")
    print("\n| valid traffic | n alone | p50 ms | p95 ms | n with fuzzer | p50 ms | p95 ms | p95 ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in sorted(baseline.latencies):
        alone, fuzzed = baseline.latencies[kind], alongside.latencies.get(kind, [])
        cells = [kind]
        for values in (alone, fuzzed):
            cells += [str(len(values)), f"{percentile(values, 0.5) * 1000:.0f}",
                      f"{percentile(values, 0.95) * 1000:.0f}"]
        ratio = percentile(fuzzed, 0.95) / percentile(alone, 0.95)
        print("| " + " | ".join(cells) + f" | {ratio:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rest", type=int, default=900, help="malformed requests to the REST channel")
    parser.add_argument("--portal", type=int, default=800, help="malformed requests to the portal API")
    parser.add_argument("--telegram", type=int, default=700, help="malformed calls of the Telegram webhook")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per target")
    parser.add_argument("--baseline-seconds", type=float, default=30.0,
                        help="seconds of valid traffic alone, before and again after the fuzzing")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    api = FakeBotApi().start()
    webhook_port = 27443
    # The connector reads its settings from the environment the supervisor passes on.
    os.environ.update({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                       "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
                       "TELEGRAM_WEBHOOK_PORT": str(webhook_port), "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                       "VOSK_MODEL_ZH": "", "VOSK_MODEL_EN": ""})
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fuzz-") as scratch:
            settings: Settings = replace(
                get_settings(), rasa_port=27005, action_server_port=27055, portal_port=27080, web_port=27081,
                portal_url="", portal_api_token=PORTAL_TOKEN, data_dir=Path(scratch) / "var",
                rasa_auth_token=None, telegram_bot_token=api.token, telegram_api_base_url=api.base_url,
                telegram_webhook_url=f"http://127.0.0.1:{webhook_port}/telegram",
                telegram_webhook_port=webhook_port, telegram_webhook_secret=WEBHOOK_SECRET)
            parts = build_parts(settings, train(settings.models_dir), write_run_endpoints(settings))
            supervisor = Supervisor(parts, startup_timeout=600)
            supervisor.start()
            try:
                api.wait_for("setWebhook", timeout=120)
                baseline, alongside = ValidTraffic(), ValidTraffic()
                asyncio.run(run_valid(settings, api, 5, ValidTraffic()))  # warm-up
                asyncio.run(run_valid(settings, api, args.baseline_seconds, baseline))
                counts = {"rest": args.rest, "portal": args.portal, "telegram": args.telegram}
                outcomes, wall = asyncio.run(run_fuzz(settings, api, Fuzzer(args.seed), counts, alongside,
                                                      args.concurrency))
                asyncio.run(run_valid(settings, api, args.baseline_seconds, baseline))
                report(outcomes, wall, baseline, alongside)
                stopped = [part.name for part in supervisor.parts if not part.is_running()]
                print(f"\nparts stopped during the run: {stopped or 'none'}")
            finally:
                supervisor.stop()
    finally:
        api.stop()


if __name__ == "__main__":
    main()
