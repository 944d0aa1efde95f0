"""The agent API on a real server process over Redis: auth, queue, claim race, resolve, restart."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx

from server.auth import mint_customer_token
from tests.conftest import ADMIN_KEY, AGENTS, open_thread
from tests.integration.test_api import parse_sse

KEY = next(iter(AGENTS))


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


THREADS: dict[str, httpx.Client] = {}
"""Each thread's client (it carries the thread token)."""


def _ask_for_person(base: str, text: str = "I want to talk to a human") -> tuple[str, dict]:
    thread_id, thread = open_thread(base)
    THREADS[thread_id] = thread
    response = thread.post(f"/v1/threads/{thread_id}/messages", json={"content": text}, timeout=30)
    [pending] = [e["data"] for e in parse_sse(response.text) if e["event"] == "interrupt"]
    assert pending["kind"] == "handoff"
    return thread_id, pending


def _mine(base: str, thread_ids: set[str], key: str = KEY) -> list[dict]:
    queue = httpx.get(f"{base}/v1/handoffs", headers=_auth(key)).json()["handoffs"]
    return [h for h in queue if h["thread_id"] in thread_ids]


def test_no_agent_endpoint_answers_without_an_agent_key(agent_server) -> None:
    base = agent_server.url
    thread_id, pending = _ask_for_person(base)
    customer_token = mint_customer_token("any-secret-of-at-least-32-bytes-long", "C0001")
    calls = [
        ("GET", "/v1/agents/me", None),
        ("GET", "/v1/handoffs", None),
        ("GET", "/v1/handoffs/templates", None),
        ("GET", f"/v1/handoffs/{pending['id']}", None),
        ("POST", f"/v1/handoffs/{pending['id']}/claim", None),
        ("POST", f"/v1/handoffs/{pending['id']}/resolve", {"action": "close"}),
        ("GET", "/v1/audit", None),
    ]
    for headers in ({}, _auth("wrong-key"), _auth(customer_token), {"Authorization": KEY}):
        for method, path, body in calls:
            response = httpx.request(method, base + path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["code"] == "unauthorized"
    # Still pending and unclaimed: nothing happened.
    [record] = _mine(base, {thread_id})
    assert record["status"] == "pending" and record["claimed_by"] is None
    me = httpx.get(f"{base}/v1/agents/me", headers=_auth()).json()
    assert me == {"name": AGENTS[KEY], "role": "agent"}
    forbidden = httpx.get(f"{base}/v1/audit", headers=_auth())
    assert forbidden.status_code == 403


def test_queue_is_ordered_by_priority_then_waiting_time(agent_server) -> None:
    base = agent_server.url
    first, _ = _ask_for_person(base, "human please, first")
    second, _ = _ask_for_person(base, "human please, second")
    urgent, pending = _ask_for_person(base, "I smell gas in the kitchen")
    assert pending["priority"] == "urgent"
    order = [h["thread_id"] for h in _mine(base, {first, second, urgent})]
    assert order == [urgent, first, second]
    [detail] = [h for h in _mine(base, {first})]
    assert detail["summary"][-1] == {"role": "customer", "content": "human please, first"}
    assert detail["suggested_reply"].startswith("I have seen 1 customer messages")


def test_twenty_agents_claim_at_once_and_exactly_one_wins(agent_server) -> None:
    base = agent_server.url
    thread_id, pending = _ask_for_person(base)

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await asyncio.gather(
                *[
                    client.post(f"/v1/handoffs/{pending['id']}/claim", headers=_auth(key))
                    for key in AGENTS
                ]
            )

    responses = asyncio.run(race())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    winner = next(r for r in responses if r.status_code == 200).json()["claimed_by"]
    assert all(
        r.json()["code"] == "already_claimed" and winner in r.json()["message"]
        for r in responses
        if r.status_code == 409
    )
    [record] = _mine(base, {thread_id})
    assert record["claimed_by"] == winner and record["status"] == "claimed"
    loser = next(k for k, name in AGENTS.items() if name != winner)
    blocked = httpx.post(
        f"{base}/v1/handoffs/{pending['id']}/resolve",
        json={"action": "respond", "message": "hi"},
        headers=_auth(loser),
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "not_claimed"


def test_pending_handoff_survives_a_restart_and_the_reply_reaches_the_open_chat(
    agent_server,
) -> None:
    base = agent_server.url
    thread_id, pending = _ask_for_person(base)
    thread = THREADS[thread_id]
    agent_server.restart()

    [record] = _mine(base, {thread_id})
    assert record["id"] == pending["id"]
    assert thread.get(f"/v1/threads/{thread_id}").json()["status"] == "waiting_for_agent"
    claimed = httpx.post(f"{base}/v1/handoffs/{pending['id']}/claim", headers=_auth())
    assert claimed.status_code == 200

    received: list[dict] = []

    def listen() -> None:  # the customer's open chat
        with thread.stream("GET", f"/v1/threads/{thread_id}/events", timeout=30) as stream:
            name = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and name:
                    received.append({"event": name, "data": json.loads(line[5:])})
                    if name == "status":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(1.0)  # let the listener subscribe (a late one would still get it by replay)
    edited = "Hi, this is Agent01. Your fridge arrives Tuesday; I've added a note for the driver."
    done = httpx.post(
        f"{base}/v1/handoffs/{pending['id']}/resolve",
        json={"action": "edit", "message": edited},
        headers=_auth(),
        timeout=30,
    )
    assert done.status_code == 200, done.text
    listener.join(timeout=20)
    assert [e["event"] for e in received] == ["message", "status"]
    assert received[0]["data"]["role"] == "agent"
    assert received[0]["data"]["content"] == edited
    assert received[0]["data"]["agent"] == AGENTS[KEY]
    assert received[1]["data"] == {"status": "idle"}

    view = thread.get(f"/v1/threads/{thread_id}").json()
    assert view["status"] == "idle"
    assert view["messages"][-1] == {
        "id": view["messages"][-1]["id"],
        "role": "agent",
        "content": edited,
        "citations": [],
        "receipts": [],
    }
    assert _mine(base, {thread_id}) == []  # off the queue
    again = httpx.post(
        f"{base}/v1/handoffs/{pending['id']}/resolve", json={"action": "close"}, headers=_auth()
    )
    assert again.status_code == 409 and again.json()["code"] == "already_resolved"

    # A reconnecting chat gets everything since Last-Event-ID again: the first turn's
    # events, then the person's reply.
    with thread.stream(
        "GET",
        f"/v1/threads/{thread_id}/events",
        headers={"Last-Event-ID": "0"},
        timeout=10,
    ) as stream:
        lines = []
        for line in stream.iter_lines():
            lines.append(line)
            if '"status": "idle"' in line:
                break
    assert any(edited in line for line in lines)

    audit = httpx.get(
        f"{base}/v1/audit", params={"thread_id": thread_id}, headers=_auth(ADMIN_KEY)
    ).json()["actions"]
    assert [(a["agent"], a["action"]) for a in audit] == [
        (AGENTS[KEY], "edit"),
        (AGENTS[KEY], "claim"),
    ]
    assert audit[0]["detail"] == {"message": edited}


def test_resolve_checks_its_input(agent_server) -> None:
    base = agent_server.url
    thread_id, pending = _ask_for_person(base)
    thread = THREADS[thread_id]
    url = f"{base}/v1/handoffs/{pending['id']}"
    assert (
        httpx.post(f"{url}/resolve", json={"action": "close"}, headers=_auth()).json()["code"]
        == "not_claimed"
    )
    httpx.post(f"{url}/claim", headers=_auth())
    empty = httpx.post(f"{url}/resolve", json={"action": "respond"}, headers=_auth())
    assert empty.status_code == 422 and empty.json()["code"] == "message_required"
    bad = httpx.post(f"{url}/resolve", json={"action": "delete"}, headers=_auth())
    assert bad.status_code == 422
    missing = httpx.post(f"{base}/v1/handoffs/nope/claim", headers=_auth())
    assert missing.status_code == 404
    approve = httpx.post(f"{url}/resolve", json={"action": "approve"}, headers=_auth(), timeout=30)
    assert approve.status_code == 200
    view = thread.get(f"/v1/threads/{thread_id}").json()
    assert view["messages"][-1]["role"] == "agent"
    assert view["messages"][-1]["content"].startswith("I have seen 1 customer messages")
