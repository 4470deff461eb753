"""Load on the production profile: one Rasa server against two, in the same run.

Starts ``make run PROFILE=production`` (PostgreSQL, Redis, RabbitMQ and nginx
on this machine) with one Rasa server, runs the simulated citizens of
``bench/citizens.py`` (each a 20-turn conversation with a form), stops it,
then does the same with two Rasa servers, and prints latency and throughput
side by side. Each run has its own databases and queue, removed at the end.

    python -m bench.production_load [--citizens 200] [--processes 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.citizens import LoadReport, run_citizens
from tests.production import start_production, stop_production, stores_are_running


def measure(processes: int, citizens: int, run_tag: int) -> LoadReport:
    """Start the profile with ``processes`` Rasa servers, run the citizens, stop it."""
    with tempfile.TemporaryDirectory(prefix="production-load-") as folder:
        run = start_production(Path(folder), processes=processes, echo="")
        try:
            run_citizens(run.url, 4, f"warm-{processes}", run_tag=9)  # first turns load lazy parts
            return run_citizens(run.url, citizens, f"load-{processes}", run_tag=run_tag)
        finally:
            stop_production(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=200, help="citizens at once (default 200)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2],
                        help="Rasa server counts to compare (default: 1 2)")
    args = parser.parse_args()
    if not stores_are_running():
        raise SystemExit("PostgreSQL, Redis, RabbitMQ and nginx must be running here.")
    reports = {}
    for number, processes in enumerate(args.processes):
        print(f"{processes} Rasa server(s), {args.citizens} citizens x 20 turns...", flush=True)
        reports[processes] = report = measure(processes, args.citizens, run_tag=number + 1)
        print(f"  {len(report.turns)} messages in {report.wall_seconds:.0f} s, "
              f"{len(report.failures)} failed", flush=True)
    print("\n| Rasa servers | messages | failed | p50 ms | p95 ms | messages/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for processes, report in reports.items():
        print(f"| {processes} | {len(report.turns)} | {len(report.failures)} | {report.p(0.50):.0f} | "
              f"{report.p(0.95):.0f} | {report.throughput:.1f} |")
    if len(reports) > 1:
        first, last = reports[args.processes[0]], reports[args.processes[-1]]
        print(f"\nthroughput {args.processes[-1]} vs {args.processes[0]} servers: "
              f"x{last.throughput / first.throughput:.2f}")


if __name__ == "__main__":
    main()
