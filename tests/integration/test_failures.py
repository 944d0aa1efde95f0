"""A failing dependency: a clear error with a code, and nothing accepted is lost."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from graph.llm.fake import ScriptedChatModel
from server import app as server_app
from server.app import create_app
from server.embedded_redis import EmbeddedRedis
from server.settings import Settings
from tests.fakes import FakeTriage, StaticRetriever
from tests.integration.test_api import new_thread, send


class UnreachableModel(ScriptedChatModel):
    """A model server that refuses connections."""

    messages: Iterator[AIMessage | str] = itertools.repeat("")

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        raise httpx.ConnectError("connection refused")


def _app(redis_url: str, db_url: str, backend, model) -> Any:
    settings = Settings(redis_url=redis_url, database_url=db_url, rate_limit_per_client=100_000)
    return create_app(
        settings, model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )


def test_a_model_that_is_down_ends_the_turn_with_model_unavailable(
    redis_url: str, seeded_db_url: str, backend
) -> None:
    with TestClient(_app(redis_url, seeded_db_url, backend, UnreachableModel())) as client:
        thread_id = new_thread(client)
        events = send(client, thread_id, "hello there")
        assert events[-1]["event"] == "error"
        assert events[-1]["data"]["code"] == "model_unavailable"
        # The customer's message was accepted and kept.
        view = client.get(f"/v1/threads/{thread_id}").json()
        assert [(m["role"], m["content"]) for m in view["messages"]] == [("user", "hello there")]
        assert (
            'supportgraph_errors_total{code="model_unavailable"} 1.0' in client.get("/metrics").text
        )


def test_redis_down_is_a_503_with_a_code(seeded_db_url: str, backend, tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis", persist=False)
    url = redis.start()
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage("Hi!")))
    try:
        with TestClient(_app(url, seeded_db_url, backend, model)) as client:
            thread_id = new_thread(client)
            send(client, thread_id, "hello")
            redis.stop()
            for response in (
                client.get(f"/v1/threads/{thread_id}"),
                client.post(f"/v1/threads/{thread_id}/messages", json={"content": "still there?"}),
                client.post("/v1/threads", json={}),
            ):
                assert response.status_code == 503
                assert response.json()["code"] == "storage_unavailable"
                assert response.headers["Retry-After"] == "5"
            assert client.get("/readyz").status_code == 503
    finally:
        redis.stop()


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL")  # the failures are expected; their tracebacks are noise


def _training_app(redis_url: str, db_url: str, backend, tmp_path: Path) -> Any:
    """An app whose triage model must be trained first, by ``train``."""
    settings = Settings(
        redis_url=redis_url,
        database_url=db_url,
        data_dir=tmp_path,
        rate_limit_per_client=100_000,
    )
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage("Hi! How can I help?")))
    return create_app(settings, model=model, retriever=StaticRetriever(), backend=backend)


def _wait_ready(client: TestClient, seconds: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response.json()
        time.sleep(0.05)


def test_a_server_training_its_triage_model_answers_and_refuses_turns_until_trained(
    redis_url: str, seeded_db_url: str, backend, tmp_path: Path, monkeypatch
) -> None:
    release, trained = threading.Event(), []

    def train(directory: Path) -> FakeTriage:
        assert release.wait(30)
        trained.append(directory)
        return FakeTriage()

    monkeypatch.setattr(server_app, "training_reason", lambda directory: "first start")
    monkeypatch.setattr(server_app, "load_or_train", train)
    with TestClient(_training_app(redis_url, seeded_db_url, backend, tmp_path)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"redis": "ok", "model": "ok", "triage": "training"}
        thread_id = new_thread(client)
        refused = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "hello"})
        assert refused.status_code == 503
        assert refused.json()["code"] == "starting"
        assert refused.headers["Retry-After"] == "30"
        # Bad input is still a 422, and the refused message left nothing behind.
        assert (
            client.post(f"/v1/threads/{thread_id}/messages", json={"content": " "}).json()["code"]
            == "empty_message"
        )
        assert client.get(f"/v1/threads/{thread_id}").json()["messages"] == []

        release.set()
        assert _wait_ready(client)["status"] == "ready"
        assert trained == [tmp_path / "triage"]
        events = send(client, thread_id, "hello")
        assert events[-1]["event"] == "done"
        assert [e["data"]["content"] for e in events if e["event"] == "message"] == [
            "Hi! How can I help?"
        ]


def test_a_triage_model_that_fails_to_train_is_reported(
    redis_url: str, seeded_db_url: str, backend, tmp_path: Path, monkeypatch
) -> None:
    def train(directory: Path) -> FakeTriage:
        raise OSError("disk full")

    monkeypatch.setattr(server_app, "training_reason", lambda directory: "first start")
    monkeypatch.setattr(server_app, "load_or_train", train)
    with TestClient(_training_app(redis_url, seeded_db_url, backend, tmp_path)) as client:
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["checks"]["triage"] == "training":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["triage"] == "failed: OSError"
        thread_id = new_thread(client)
        refused = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "hello"})
        assert (refused.status_code, refused.json()["code"]) == (503, "triage_unavailable")
