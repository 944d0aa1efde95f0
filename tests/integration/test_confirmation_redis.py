"""A data-changing action waits for the customer's yes across a server restart, then runs once."""

from __future__ import annotations

import httpx
from sqlalchemy import create_engine, func, select

from store import schema
from store.backend import SqlStoreBackend
from tests.conftest import open_thread
from tests.integration.test_api import parse_sse


def _events(response: httpx.Response) -> dict[str, list[dict]]:
    assert response.status_code == 200, response.text
    grouped: dict[str, list[dict]] = {}
    for event in parse_sse(response.text):
        grouped.setdefault(event["event"], []).append(event["data"])
    return grouped


def _cancellations(db_url: str, order_id: str) -> int:
    i = schema.interactions
    with create_engine(db_url).connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(i)
            .where(
                i.c.action == "cancel_order",
                i.c.detail["result"]["order_id"].as_string() == order_id,
            )
        ).scalar_one()


def test_confirmation_survives_a_restart_and_runs_once(acting_server, fresh_db_url) -> None:
    base, store = acting_server.url, SqlStoreBackend.from_url(fresh_db_url)
    thread_id, thread = open_thread(base)
    asked = _events(
        thread.post(
            f"/v1/threads/{thread_id}/messages",
            json={"content": "Please cancel order BS-100002, my email is ava.thompson@example.com"},
            timeout=30,
        )
    )
    [confirm] = asked["interrupt"]
    assert confirm["kind"] == "confirm" and confirm["action"] == "cancel_order"
    assert "Cancel order BS-100002" in confirm["summary"]
    assert "message" not in asked  # nothing was said as if it were done
    assert store.get_order("BS-100002")["status"] == "processing"

    acting_server.restart()
    view = thread.get(f"/v1/threads/{thread_id}").json()
    assert view["status"] == "waiting_for_customer"
    assert view["pending"]["id"] == confirm["id"]
    blocked = thread.post(
        f"/v1/threads/{thread_id}/messages", json={"content": "hello?"}, timeout=30
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "confirmation_pending"

    done = _events(
        thread.post(f"/v1/threads/{thread_id}/resume", json={"approved": True}, timeout=30)
    )
    assert "Order BS-100002 is now cancelled" in done["message"][0]["content"]
    assert "interrupt" not in done
    assert store.get_order("BS-100002")["status"] == "cancelled"
    assert _cancellations(fresh_db_url, "BS-100002") == 1

    again = thread.post(f"/v1/threads/{thread_id}/resume", json={"approved": True})
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_confirm"
    assert _cancellations(fresh_db_url, "BS-100002") == 1
    assert thread.get(f"/v1/threads/{thread_id}").json()["status"] == "idle"


def test_declining_leaves_the_store_unchanged(acting_server, fresh_db_url) -> None:
    base, store = acting_server.url, SqlStoreBackend.from_url(fresh_db_url)
    thread_id, thread = open_thread(base)
    asked = _events(
        thread.post(
            f"/v1/threads/{thread_id}/messages",
            json={"content": "cancel BS-100009 please, ben.okafor@example.com"},
            timeout=30,
        )
    )
    assert asked["interrupt"][0]["action"] == "cancel_order"
    done = _events(
        thread.post(f"/v1/threads/{thread_id}/resume", json={"approved": False}, timeout=30)
    )
    assert "Nothing was changed" in done["message"][0]["content"]
    assert store.get_order("BS-100009")["status"] == "processing"
    with create_engine(fresh_db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.interactions)).scalar() == 0


def test_resume_without_a_pending_action_is_a_409(acting_server) -> None:
    base = acting_server.url
    thread_id, thread = open_thread(base)
    response = thread.post(f"/v1/threads/{thread_id}/resume", json={"approved": True})
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_confirm"
    bad = thread.post(f"/v1/threads/{thread_id}/resume", json={"approved": "maybe"})
    assert bad.status_code == 422
