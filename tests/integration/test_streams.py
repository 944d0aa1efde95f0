"""Streams you can trust: resume after a cut, idempotent messages, limits."""

from __future__ import annotations

import itertools
import threading

import httpx
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from graph.llm.fake import ScriptedChatModel
from server.app import create_app
from server.settings import Settings
from tests.conftest import open_thread
from tests.fakes import FakeTriage, StaticRetriever
from tests.integration.test_api import new_thread, parse_sse, send


def _events(lines: list[str]) -> list[dict]:
    return parse_sse("\n".join(lines) + "\n\n")


def test_a_stream_cut_after_the_third_token_resumes_with_last_event_id(slow_server) -> None:
    thread_id, thread = open_thread(slow_server.url)
    seen: list[str] = []
    with thread.stream(
        "POST", f"/v1/threads/{thread_id}/messages", json={"content": "where is my fridge?"}
    ) as response:
        tokens = 0
        for line in response.iter_lines():
            seen.append(line)
            if line.startswith("event: token"):
                tokens += 1
            if tokens == 3 and line.startswith("data:"):
                break  # the connection drops here
    first = _events(seen)
    last_id = first[-1]["id"]
    assert [e["event"] for e in first].count("token") == 3

    rest: list[str] = []
    with thread.stream(
        "GET", f"/v1/threads/{thread_id}/events", headers={"Last-Event-ID": last_id}
    ) as response:
        for line in response.iter_lines():
            rest.append(line)
            if line.startswith("event: done"):
                break
    rest_events = _events(rest + ["data: {}"])
    tokens = [e for e in first + rest_events if e["event"] == "token"]
    text = "".join(e["data"]["text"] for e in tokens)
    message = next(e for e in rest_events if e["event"] == "message")["data"]["content"]
    assert text == message  # every token exactly once, in order
    assert message.startswith("I have seen 1 customer messages; the latest was: where is my")
    ids = [int(e["id"]) for e in first + rest_events if e["id"]]
    assert ids == sorted(set(ids))  # no event twice
    view = thread.get(f"/v1/threads/{thread_id}").json()
    assert [m["role"] for m in view["messages"]] == ["user", "assistant"]


async def _turns_in_checkpoints(redis_url: str, thread_id: str) -> int:
    """How many runs started on the thread (one ``input`` checkpoint each), from Redis."""
    from langgraph.checkpoint.redis.aio import AsyncRedisSaver

    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    async with AsyncRedisSaver.from_conn_string(redis_url) as saver:
        sources = [c.metadata.get("source") async for c in saver.alist(config)]
    assert "loop" in sources, sources  # the history is really there
    return sources.count("input")


def test_the_same_client_message_id_never_runs_a_second_turn(slow_server, redis_url) -> None:
    thread_id, thread = open_thread(slow_server.url)
    body = {"content": "hello there", "client_message_id": "msg-42"}
    results: list[list[dict]] = []

    def post() -> None:
        response = thread.post(f"/v1/threads/{thread_id}/messages", json=body, timeout=60)
        results.append(parse_sse(response.text))

    first = threading.Thread(target=post)
    first.start()
    second = threading.Thread(target=post)  # joins the running turn
    second.start()
    first.join()
    second.join()
    post()  # after it finished: replayed
    assert len(results) == 3
    assert results[0] == results[1] == results[2]
    assert results[0][-1]["event"] == "done"
    view = thread.get(f"/v1/threads/{thread_id}").json()
    assert [m["role"] for m in view["messages"]] == ["user", "assistant"]
    import asyncio

    assert asyncio.run(_turns_in_checkpoints(redis_url, thread_id)) == 1
    metrics = httpx.get(f"{slow_server.url}/metrics").text
    assert 'supportgraph_turns_total{kind="message"} 1.0' in metrics


def test_too_many_messages_get_429_with_retry_after(
    redis_url: str, seeded_db_url: str, backend
) -> None:
    settings = Settings(
        redis_url=redis_url,
        database_url=seeded_db_url,
        rate_limit_per_thread=2,
        rate_limit_per_client=100_000,
    )
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage("Hi!")))
    app = create_app(
        settings, model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    with TestClient(app) as client:
        thread_id = new_thread(client)
        send(client, thread_id, "hello")
        send(client, thread_id, "hello again")
        limited = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "and again"})
        assert limited.status_code == 429
        body = limited.json()
        assert body["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert body["retry_after"] == int(limited.headers["Retry-After"])
        assert len(client.get(f"/v1/threads/{thread_id}").json()["messages"]) == 4


def test_cors_allows_only_the_configured_origins(
    redis_url: str, seeded_db_url: str, backend
) -> None:
    settings = Settings(
        redis_url=redis_url,
        database_url=seeded_db_url,
        cors_origins=["https://shop.example"],
    )
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage("Hi!")))
    app = create_app(
        settings, model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    with TestClient(app) as client:
        preflight = {"Access-Control-Request-Method": "POST"}
        ok = client.options("/v1/threads", headers={"Origin": "https://shop.example", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        other = client.options(
            "/v1/threads", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers
