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
    settings = Settings(
        redis_url=redis_url,
        database_url=seeded_db_url,
        rate_limit_per_client=100_000,
        rate_limit_per_thread=1000,
    )
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


def new_thread(client: TestClient, **body) -> str:
    """Create a thread; the client sends its token from then on."""
    response = client.post("/v1/threads", json=body)
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['thread_token']}"
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
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "redis": "ok",
        "model": "ok",
        "triage": "ok",
    }
    page = client.get("/")
    assert page.status_code == 200 and 'id="composer-input"' in page.text
    assert client.get("/ui/chat.js").status_code == 200


def test_a_signed_customer_token_binds_the_thread_to_the_customer(
    redis_url: str, seeded_db_url: str, backend
) -> None:
    from server.auth import mint_customer_token
    from tests.fakes import tool_call

    secret = "test-secret-of-at-least-32-bytes-length"
    settings = Settings(
        redis_url=redis_url, database_url=seeded_db_url, customer_token_secret=secret
    )
    model = ScriptedChatModel(
        messages=iter([tool_call("list_recent_orders"), "Here are your recent orders."])
    )
    app = create_app(
        settings, model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    with TestClient(app) as c:
        created = c.post(
            "/v1/threads", json={"customer_token": mint_customer_token(secret, "C0001")}
        )
        assert created.status_code == 201
        assert created.json()["customer"] == {"id": "C0001", "name": "Ava Thompson"}
        c.headers["Authorization"] = f"Bearer {created.json()['thread_token']}"
        events = send(c, created.json()["thread_id"], "where is my order?")
        assert events[-2]["data"]["content"] == "Here are your recent orders."
        # The tool ran for the customer of the token: the model was shown Ava's orders.
        shown = str(model.seen[-1])
        assert all(o["id"] in shown for o in backend.list_orders("C0001"))
        assert not any(o["id"] in shown for o in backend.list_orders("C0002"))

        for token in (
            mint_customer_token("another-secret-of-at-least-32-bytes", "C0001"),
            mint_customer_token(secret, "C0001", minutes=-5),  # expired
            mint_customer_token(secret, "C9999"),  # no such customer
            "not-a-jwt",
        ):
            refused = c.post("/v1/threads", json={"customer_token": token})
            assert refused.status_code == 401
            assert refused.json()["code"] == "invalid_customer_token"


def test_a_thread_answers_only_to_its_own_token(client: TestClient) -> None:
    mine = new_thread(client)
    send(client, mine, "hello")
    other = client.post("/v1/threads", json={}).json()
    for headers in (
        {"Authorization": f"Bearer {other['thread_token']}"},  # another thread's token
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": ""},
    ):
        for method, path, body in (
            ("GET", f"/v1/threads/{mine}", None),
            ("POST", f"/v1/threads/{mine}/messages", {"content": "hi"}),
            ("POST", f"/v1/threads/{mine}/resume", {"approved": True}),
            ("GET", f"/v1/threads/{mine}/events", None),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, headers)
            assert response.json()["code"] == "thread_not_found"
    assert [m["content"] for m in client.get(f"/v1/threads/{mine}").json()["messages"]] == [
        "hello",
        REPLY,
    ]


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    thread_id = new_thread(client)
    huge = client.post(
        f"/v1/threads/{thread_id}/messages",
        content=b'{"content": "' + b"x" * 70_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"
    assert client.get(f"/v1/threads/{thread_id}").json()["messages"] == []


def test_metrics_count_turns_and_errors(client: TestClient) -> None:
    thread_id = new_thread(client)
    send(client, thread_id, "hello")
    client.post(f"/v1/threads/{thread_id}/messages", json={"content": "   "})
    text = client.get("/metrics").text
    assert 'supportgraph_turns_total{kind="message"} 1.0' in text
    assert "supportgraph_turn_seconds_count 1.0" in text
    assert "supportgraph_first_token_seconds_count 1.0" in text
    assert 'supportgraph_errors_total{code="empty_message"} 1.0' in text
