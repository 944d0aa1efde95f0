"""Schemathesis against the app's own OpenAPI schema: no 5xx, no response off its schema.

Driven through Hypothesis directly (schemathesis's pytest plugin doesn't load under
this pytest); each operation gets ``EXAMPLES_PER_OPERATION`` generated requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import AGENTS, ServerProcess, open_thread

EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="module")
def fuzz_server(
    redis_url: str, seeded_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    # The store is only read here: fuzzed requests can't authenticate as a customer.
    keys = ",".join(f"{key}:{name}:agent" for key, name in AGENTS.items())
    server = ServerProcess(
        redis_url, seeded_db_url, tmp_path_factory.mktemp("fuzz"), env={"AGENT_KEYS": keys}
    )
    server.start()
    yield server
    server.stop()


def test_no_server_errors_and_responses_match_the_schema(fuzz_server: ServerProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    schema.config.base_url = fuzz_server.url
    # /events streams until the client leaves: not something to fuzz.
    operations = [r.ok() for r in schema.exclude(path_regex=r"/events$").get_all_operations()]
    # Real credentials, so the requests get past authentication into the handlers.
    thread_id, thread = open_thread(fuzz_server.url)
    cases: dict[str, int] = {}
    statuses: dict[str, int] = {}
    failures: list[str] = []
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        cases[label] = 0
        try:
            _fuzz(operation, label, cases, thread_id, dict(thread.headers), statuses)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{label}: {exc}")
    total = sum(cases.values())
    print(f"schemathesis: {total} cases over {len(cases)} operations; statuses {statuses}")
    # The fuzzer got past authentication: turns really ran.
    assert statuses.get("POST /v1/threads/{thread_id}/messages 200", 0) > 0
    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 10 and total >= 10 * len(operations) // 2


def _fuzz(
    operation,
    label: str,
    cases: dict[str, int],
    thread_id: str,
    thread_auth: dict[str, str],
    statuses: dict[str, int],
) -> None:
    headers = {"Authorization": f"Bearer {next(iter(AGENTS))}"}
    if "{thread_id}" in operation.path:
        headers = {"Authorization": thread_auth["authorization"]}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        cases[label] += 1
        if "{thread_id}" in operation.path:
            case.path_parameters = {**(case.path_parameters or {}), "thread_id": thread_id}
        response = case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )
        statuses[f"{label} {response.status_code}"] = (
            statuses.get(f"{label} {response.status_code}", 0) + 1
        )

    run()
