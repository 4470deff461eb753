"""The production profile shared by the production tests (profile, load, faults)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.production import ProductionRun, start_production, stop_production, stores_are_running


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionRun]:
    """`make run PROFILE=production` with two Rasa servers, on this machine's stores.

    Its teardown checks that Ctrl-C stops every part cleanly and frees every port.
    """
    if not stores_are_running():
        pytest.skip("needs PostgreSQL, Redis, RabbitMQ and nginx here")
    # The fault tests make the real portal fail or answer late on demand.
    run = start_production(tmp_path_factory.mktemp("production"), extra_env={"PORTAL_FAULT_INJECTION": "1"})
    try:
        yield run
    finally:
        clean = stop_production(run)
    assert clean and "Stopped." in "".join(run.output), "".join(run.output[-30:])
