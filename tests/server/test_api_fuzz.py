"""The JSON API fuzzed from its own OpenAPI document (schemathesis, a bounded number of examples per
operation) against a real server: no 5xx, every answer as the document says (status, content type,
body, headers), bad input refused, good input accepted.

Each operation is driven through its Hypothesis strategy here, not schemathesis's pytest plugin, which
does not yet follow pytest 9's internals."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from surveys.people.accounts import open_session
from tests import log_scan
from tests.factories import World

# Enough to find the 500s and schema breaks of every operation, few enough for every CI run.
EXAMPLES_PER_OPERATION = 40


@pytest.fixture
async def ward_token(world: World) -> str:
    """A bearer token of the fixture ward's officer: the widest access short of an admin."""
    return await open_session(world.users["ward"], "api", timedelta(hours=1))


def _pin(case: Any, records: dict[str, Any]) -> Any:
    """The case aimed at the fixture's real records (its body and query still fuzzed)."""
    for name in case.path_parameters or {}:
        if name in records:
            case.path_parameters[name] = records[name]
    if case.query and "village" in case.query:
        case.query["village"] = records["village_id"]
    return case


# Hypothesis also draws the string constants of phocap's own modules, and the demo's names and hamlets
# are the fixtures' too: a path made of one is logged (server/access_log.py), and the run's scan of the
# logs (tests/log_scan.py) would take it for the fixtures' data leaking. Such cases are not sent.
PERSONAL = log_scan.personal_strings()


def _names_nobody(case: Any) -> bool:
    values = [str(v) for v in (case.path_parameters or {}).values()]
    return not any(s in v for v in values for s in PERSONAL)


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], records: dict[str, Any] | None) -> None:
    strategy = operation.as_strategy().filter(_names_nobody)
    if records is not None:
        strategy = strategy.map(lambda case: _pin(case, records))

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        # Every other health check stays on. Too slow: each example is a real HTTP request to a live
        # server and a database round trip, slow by Hypothesis's measure by design.
        suppress_health_check=[HealthCheck.too_slow],
    )
    def run(case: Any) -> None:
        # Every default check but one: a body the schema allows can still break a rule (a visit marked
        # done without the household's consent), which the API refuses with a documented 422.
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=[positive_data_acceptance])

    run()


# The operations in SHARDS tests of their own (each with its live server, world and token), so that the
# workers share them: one test of every operation took 46 s on an idle machine and over 100 s on a loaded
# one, the last test a worker ran while the other had none left. Past the suite's 120 s, pytest-timeout's
# interrupt landed inside an example and Hypothesis reported it as a flaky test instead of a timeout.
SHARDS = 4


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "shard", range(SHARDS), ids=[f"operations-{i + 1}-of-{SHARDS}" for i in range(SHARDS)]
)
def test_the_api_answers_as_its_schema_says(
    live_server: str, ward_token: str, world: World, shard: int
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")
    every = [result.ok() for result in schema.get_all_operations()]
    every.sort(key=lambda operation: (operation.path, operation.method.upper()))
    assert len(every) >= 9
    operations = every[shard::SHARDS]
    # Signing out ends the token every other operation uses: it goes last.
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    # Once with everything generated (mostly unknown records), once aimed at the fixture's own.
    records = {"token": world.households["an"], "village_id": world.villages["v1"], "code": "01849"}
    failures = []
    for operation in operations:
        for aimed in (None, records):
            try:
                _fuzz(operation, live_server, {"Authorization": f"Bearer {ward_token}"}, aimed)
            except Exception as exc:  # every operation is run; all failures are reported together
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({'aimed' if aimed else 'random'}): {exc}"
                )
    assert not failures, "\n\n".join(failures)


def test_a_case_whose_path_names_a_fixtures_person_or_address_is_not_sent() -> None:
    def case(**path: str) -> Any:
        return SimpleNamespace(path_parameters=path)

    assert not _names_nobody(case(code="Xóm Giữa"))
    assert not _names_nobody(case(token="x", code="Nguyễn Văn An"))
    assert _names_nobody(case(code="01849")) and _names_nobody(SimpleNamespace(path_parameters=None))
