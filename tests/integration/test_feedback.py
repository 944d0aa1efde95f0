"""Customers' scores of answers: kept once per message, and sent to LangSmith when tracing is on."""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from graph.llm.fake import ScriptedChatModel
from server.app import create_app
from server.settings import Settings
from store.feedback import FeedbackLog
from tests.conftest import ServerProcess, open_thread
from tests.fakes import FakeTriage, StaticRetriever
from tests.integration import test_api
from tests.integration.test_api import new_thread, parse_sse, send
from tests.langsmith_standin import StandIn

client = test_api.client  # the same in-process app (fake model, embedded Redis, the store)


@pytest.fixture
def backend(fresh_backend):
    """A private copy of the store for ``client``: these tests write feedback rows."""
    return fresh_backend


def _answer(client: TestClient, thread_id: str) -> dict[str, Any]:
    events = send(client, thread_id, "hello")
    return next(e["data"] for e in events if e["event"] == "message")


def _feedback(client: TestClient, thread_id: str, message_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/v1/threads/{thread_id}/messages/{message_id}/feedback", json=body)


def test_feedback_on_an_answer_is_kept_once_per_message(client: TestClient) -> None:
    thread_id = new_thread(client)
    message = _answer(client, thread_id)
    uuid.UUID(message["run_id"])  # every answer names its run
    log: FeedbackLog = client.app.state.feedback

    up = _feedback(client, thread_id, message["id"], score=1, comment="  Quick and clear. ")
    assert up.status_code == 201, up.text
    assert up.json() == {"id": up.json()["id"], "score": 1}
    rows = log.for_thread(thread_id)
    assert [(r["message_id"], r["score"], r["comment"]) for r in rows] == [
        (message["id"], 1, "Quick and clear.")
    ]
    assert rows[0]["run_id"] == message["run_id"]

    down = _feedback(client, thread_id, message["id"], score=-1)
    assert down.status_code == 201, down.text
    assert down.json() == {"id": up.json()["id"], "score": -1}
    rows = log.for_thread(thread_id)
    assert [(r["message_id"], r["score"], r["comment"]) for r in rows] == [
        (message["id"], -1, None)
    ]


def test_feedback_names_an_answer_of_the_thread(client: TestClient) -> None:
    thread_id = new_thread(client)
    _answer(client, thread_id)
    user_message = client.get(f"/v1/threads/{thread_id}").json()["messages"][0]
    assert user_message["role"] == "user"
    for message_id in ("no-such-message", user_message["id"]):
        response = _feedback(client, thread_id, message_id, score=1)
        assert response.status_code == 404, message_id
        assert response.json()["code"] == "message_not_found"
    for body in ({"score": 0}, {"score": 2}, {}, {"score": 1, "comment": "x" * 1001}):
        response = _feedback(client, thread_id, "no-such-message", **body)
        assert response.status_code == 422, body
    assert client.app.state.feedback.for_thread(thread_id) == []


def test_feedback_needs_the_threads_token(client: TestClient) -> None:
    mine = new_thread(client)
    message = _answer(client, mine)
    other = client.post("/v1/threads", json={}).json()
    for headers in (
        {"Authorization": f"Bearer {other['thread_token']}"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": ""},
    ):
        response = client.post(
            f"/v1/threads/{mine}/messages/{message['id']}/feedback",
            json={"score": 1},
            headers=headers,
        )
        assert response.status_code == 404, headers
        assert response.json()["code"] == "thread_not_found"
    # Another thread's own token doesn't reach this thread's answer either.
    response = client.post(
        f"/v1/threads/{other['thread_id']}/messages/{message['id']}/feedback",
        json={"score": 1},
        headers={"Authorization": f"Bearer {other['thread_token']}"},
    )
    assert response.status_code == 404 and response.json()["code"] == "message_not_found"
    assert client.app.state.feedback.for_thread(mine) == []


class FailingLangSmith:
    """A LangSmith client whose every call fails, and which counts the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> None:
            self.calls.append(name)
            raise ConnectionError("LangSmith is down")

        return fail


def test_a_failing_langsmith_never_fails_the_request(
    redis_url: str, seeded_db_url: str, fresh_backend, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        redis_url=redis_url,
        database_url=seeded_db_url,
        langsmith_tracing=True,
        langsmith_api_key="test-key",
    )
    broken = FailingLangSmith()
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage(test_api.REPLY)))
    app = create_app(
        settings,
        model=model,
        retriever=StaticRetriever(),
        backend=fresh_backend,
        triager=FakeTriage(),
        langsmith=lambda: broken,
    )
    with TestClient(app) as c, caplog.at_level(logging.WARNING, "supportgraph.tracing"):
        thread_id = new_thread(c)
        message = _answer(c, thread_id)
        response = _feedback(c, thread_id, message["id"], score=1)
        assert response.status_code == 201, response.text
        assert "create_feedback" in broken.calls  # it was tried, after the response
        assert "LangSmith did not take the feedback" in caplog.text
        assert [r["score"] for r in c.app.state.feedback.for_thread(thread_id)] == [1]


# ---- LangSmith: a stand-in API on 127.0.0.1 records what the SDK sends ----


@pytest.fixture
def langsmith() -> Iterator[StandIn]:
    with StandIn() as stand_in:
        yield stand_in


@pytest.fixture
def traced_server(
    redis_url: str, fresh_db_url: str, tmp_path: Path, langsmith: StandIn
) -> Iterator[ServerProcess]:
    """The test server with LangSmith tracing on, pointed at the stand-in.

    A separate process: the LangSmith SDK reads (and caches) its environment once
    per process, so tracing can't be switched on for one in-process test.
    """
    env = {
        "LANGSMITH_TRACING": "true",
        "LANGSMITH_API_KEY": "test-key",
        "LANGSMITH_ENDPOINT": langsmith.url,
        "LANGSMITH_PROJECT": "supportgraph-test",
    }
    server = ServerProcess(redis_url, fresh_db_url, tmp_path, env=env)
    server.start()
    yield server
    server.stop()


def test_scores_reach_the_answers_run_in_langsmith(traced_server, langsmith: StandIn) -> None:
    thread_id, http = open_thread(traced_server.url)
    with http.stream(
        "POST", f"/v1/threads/{thread_id}/messages", json={"content": "hello"}
    ) as response:
        assert response.status_code == 200
        events = parse_sse(response.read().decode())
    message = next(e["data"] for e in events if e["event"] == "message")
    run_id = message["run_id"]

    up = http.post(
        f"/v1/threads/{thread_id}/messages/{message['id']}/feedback",
        json={"score": 1, "comment": "Spot on"},
    )
    assert up.status_code == 201, up.text

    posted = langsmith.seen(lambda r: r["method"] == "POST" and r["path"].endswith("/feedback"))
    assert posted, [(r["method"], r["path"]) for r in langsmith.requests]
    body = posted[0]["json"]
    assert body["run_id"] == run_id
    assert body["key"] == "user_score" and body["score"] == 1.0
    assert body["comment"] == "Spot on"
    assert posted[0]["headers"]["x-api-key"] == "test-key"

    # The traced run itself reached the stand-in, under the id the message event named
    # (the SDK sends it as a multipart part "post.<id>", or in JSON to /runs or /runs/batch).
    def names_the_run(r: dict[str, Any]) -> bool:
        if r["method"] != "POST" or r["path"] not in {"/runs", "/runs/batch", "/runs/multipart"}:
            return False
        if r["path"] == "/runs/multipart":
            return f'name="post.{run_id}"'.encode() in r["raw"]
        return run_id in json.dumps(r["json"])

    runs = langsmith.seen(names_the_run)
    assert runs, [(r["method"], r["path"]) for r in langsmith.requests]

    # A changed mind updates that feedback (one per message) instead of adding another.
    down = http.post(
        f"/v1/threads/{thread_id}/messages/{message['id']}/feedback", json={"score": -1}
    )
    assert down.status_code == 201, down.text
    patched = langsmith.seen(lambda r: r["method"] == "PATCH" and "/feedback/" in r["path"])
    assert patched and patched[0]["path"].endswith(f"/feedback/{body['id']}")
    assert patched[0]["json"]["score"] == 0.0
    assert len(langsmith.seen(lambda r: r["method"] == "POST" and r["path"] == "/feedback", 0)) == 1
    http.close()
