"""The HTTP API in-process (Starlette TestClient) over the embedded Redis."""

import itertools
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import AIMessage

from graph.llm.fake import ScriptedChatModel
from server.app import create_app
from server.settings import Settings
from tests.fakes import FakeTriage, StaticRetriever

REPLY = "Hello! I can help with orders, returns and appointments."


@pytest.fixture
def client(redis_url: str, seeded_db_url: str, backend) -> Iterator[TestClient]:
    settings = Settings(redis_url=redis_url, database_url=seeded_db_url)
    model = ScriptedChatModel(messages=itertools.repeat(AIMessage(REPLY)))
    app = create_app(
        settings, model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    with TestClient(app) as test_client:
        yield test_client


def parse_sse(text: str) -> list[dict]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "event" in fields:
            events.append(
                {
                    "event": fields["event"],
                    "id": fields.get("id"),
                    "data": json.loads(fields["data"]),
                }
            )
    return events


def send(client: TestClient, thread_id: str, content: str, **extra) -> list[dict]:
    with client.stream(
        "POST", f"/v1/threads/{thread_id}/messages", json={"content": content, **extra}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(response.read().decode())


def new_thread(client: TestClient) -> str:
    response = client.post("/v1/threads", json={})
    assert response.status_code == 201
    return response.json()["thread_id"]


def test_one_turn_streams_status_tokens_message_done_in_order(client: TestClient) -> None:
    thread_id = new_thread(client)
    events = send(client, thread_id, "hi there", client_message_id="m-1")
    kinds = [e["event"] for e in events]
    first_token, last_token = kinds.index("token"), len(kinds) - 1 - kinds[::-1].index("token")
    assert kinds[0] == "status"
    assert set(kinds[first_token : last_token + 1]) == {"token"}
    assert kinds[last_token + 1 :] == ["message", "done"]
    assert all(k == "status" for k in kinds[:first_token])
    assert [e["data"]["node"] for e in events if e["event"] == "status"] == ["triage", "respond"]
    assert "".join(e["data"]["text"] for e in events if e["event"] == "token") == REPLY
    message = events[-2]["data"]
    assert message["content"] == REPLY and message["role"] == "assistant"
    assert message["triage"]["intent"] == "greeting"
    ids = [e["id"] for e in events]
    assert all(ids) and len(set(ids)) == len(ids)


def test_event_ids_are_unique_across_turns(client: TestClient) -> None:
    thread_id = new_thread(client)
    first = send(client, thread_id, "hello")
    second = send(client, thread_id, "thanks!")
    ids = [e["id"] for e in first + second]
    assert len(set(ids)) == len(ids)


def test_thread_shows_messages_and_status(client: TestClient) -> None:
    thread_id = new_thread(client)
    send(client, thread_id, "hello")
    view = client.get(f"/v1/threads/{thread_id}").json()
    assert view["status"] == "idle"
    assert [(m["role"], m["content"]) for m in view["messages"]] == [
        ("user", "hello"),
        ("assistant", REPLY),
    ]


def test_emergency_turn_ends_waiting_for_an_agent(client: TestClient) -> None:
    thread_id = new_thread(client)
    events = send(client, thread_id, "I smell gas in the kitchen")
    kinds = [e["event"] for e in events]
    assert kinds[-3:] == ["message", "interrupt", "done"]
    assert events[-2]["data"]["priority"] == "urgent"
    assert client.get(f"/v1/threads/{thread_id}").json()["status"] == "waiting_for_agent"
    blocked = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "hello?"})
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "waiting_for_agent"


def test_errors_are_json_with_a_code(client: TestClient) -> None:
    missing = client.get("/v1/threads/does-not-exist")
    assert missing.status_code == 404 and missing.json()["code"] == "thread_not_found"
    thread_id = new_thread(client)
    too_long = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "x" * 4001})
    assert too_long.status_code == 422 and too_long.json()["code"] == "message_too_long"
    blank = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "   "})
    assert blank.status_code == 422 and blank.json()["code"] == "empty_message"
    no_body = client.post(f"/v1/threads/{thread_id}/messages", content=b"not json")
    assert no_body.status_code == 422 and no_body.json()["code"] == "invalid_request"
    # nothing was recorded by the rejected requests
    assert client.get(f"/v1/threads/{thread_id}").json()["messages"] == []


def test_health_ready_and_chat_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"redis": "ok", "model": "ok"}
    page = client.get("/")
    assert page.status_code == 200 and 'id="composer-input"' in page.text
    assert client.get("/ui/chat.js").status_code == 200
