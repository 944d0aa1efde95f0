"""A failing dependency: a clear error with a code, and nothing accepted is lost."""

from __future__ import annotations

import itertools
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
