"""Two turns on one thread, with the server process restarted between them."""

import httpx

from tests.integration.test_api import parse_sse


def _send(base: str, thread_id: str, text: str, auth: dict) -> list[dict]:
    response = httpx.post(
        f"{base}/v1/threads/{thread_id}/messages", json={"content": text}, timeout=30, headers=auth
    )
    assert response.status_code == 200
    return parse_sse(response.text)


def test_conversation_survives_a_server_restart(server_process) -> None:
    base = server_process.url
    created = httpx.post(f"{base}/v1/threads", json={}).json()
    thread_id, auth = created["thread_id"], {"Authorization": f"Bearer {created['thread_token']}"}
    first = _send(base, thread_id, "hello, I'm Ava", auth)
    assert first[-2]["data"]["content"].startswith("I have seen 1 customer messages")

    old_pid = server_process.process.pid
    server_process.restart()
    assert server_process.process.pid != old_pid

    second = _send(base, thread_id, "thanks, do you remember me?", auth)
    # The model of the new process was shown the first turn: state came back from Redis.
    assert second[-2]["data"]["content"] == (
        "I have seen 2 customer messages; the latest was: thanks, do you remember me?"
    )
    view = httpx.get(f"{base}/v1/threads/{thread_id}", headers=auth).json()
    assert [m["content"] for m in view["messages"] if m["role"] == "user"] == [
        "hello, I'm Ava",
        "thanks, do you remember me?",
    ]
