"""The chat page in Chromium: replies stream in, render Markdown safely, survive a dropped link."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
TIMEOUT_MS = 20_000
REPLIES = "#messages .bubble-assistant"
XSS = '<img src=x onerror="window.__pwned=1"> **bold** [site](javascript:alert(1))'

# The newest reply's text, whether it is still streaming, and whether the turn is over
# (the reply is settled and the composer unlocked again).
SNAPSHOT = """() => {
  const replies = document.querySelectorAll('#messages .bubble-assistant');
  const last = replies[replies.length - 1];
  const text = last ? last.querySelector('.bubble-text').textContent : '';
  const settled = Boolean(last) && !last.hasAttribute('data-streaming');
  return {
    length: text.length,
    busy: last ? last.getAttribute('aria-busy') : null,
    done: settled && !document.getElementById('send-button').disabled,
  };
}"""


def _send(page: Any, text: str) -> None:
    page.fill("#composer-input", text)
    page.click("#send-button")


def _wait_for_answer(page: Any) -> None:
    page.wait_for_function(f"() => ({SNAPSHOT})().done", timeout=TIMEOUT_MS)


def _words(text: str) -> list[str]:
    return text.split()


def test_the_reply_streams_in_before_it_is_done(slow_server: ServerProcess, page: Any) -> None:
    page.goto(slow_server.url + "/")
    _send(page, "Good morning, my fridge hums loudly at night.")

    lengths: list[int] = []
    busy: set[str | None] = set()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        snap = page.evaluate(SNAPSHOT)
        if snap["length"] and (not lengths or snap["length"] != lengths[-1]):
            lengths.append(snap["length"])
            busy.add(snap["busy"])
        if snap["done"]:
            break
        assert time.monotonic() < deadline, f"no complete reply within 20 s (lengths {lengths})"
        page.wait_for_timeout(100)

    assert len(lengths) >= 3, lengths
    assert lengths == sorted(set(lengths)), lengths  # it only grows
    assert "true" in busy  # the streaming bubble is aria-busy, so it is announced once
    reply = page.locator(REPLIES).last
    expect(reply).not_to_have_attribute("aria-busy", "true")
    assert reply.locator(".bubble-text").inner_text().startswith("I have seen 1 customer messages")
    expect(page.locator(REPLIES)).to_have_count(1)


def test_markdown_in_a_reply_is_rendered_without_running_html(
    slow_server: ServerProcess, page: Any
) -> None:
    page.goto(slow_server.url + "/")
    _send(page, XSS)
    _wait_for_answer(page)

    reply = page.locator(REPLIES).last.locator(".bubble-text")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    expect(page.locator("#messages img")).to_have_count(0)
    expect(reply.locator('a[href^="javascript"]')).to_have_count(0)
    expect(reply.locator("strong")).to_have_text(["bold"])
    expect(reply).to_contain_text("<img src=x")
    expect(reply).to_contain_text("site")  # a refused link keeps its text
    # The customer's own message is plain text, Markdown and all.
    expect(page.locator("#messages .bubble-user").last).to_have_text(XSS)


def test_the_answer_completes_after_the_connection_drops(
    slow_server: ServerProcess, page: Any
) -> None:
    page.goto(slow_server.url + "/")
    _send(page, "Good evening, can you tell me about delivery?")
    reply = page.locator(REPLIES).last.locator(".bubble-text")
    expect(reply).to_contain_text("the latest was", timeout=TIMEOUT_MS)  # mid-answer

    page.context.set_offline(True)
    try:
        time.sleep(1.5)
    finally:
        page.context.set_offline(False)
    _wait_for_answer(page)

    saved = page.evaluate("() => JSON.parse(localStorage.getItem('supportgraph.thread_id'))")
    view = httpx.get(
        f"{slow_server.url}/v1/threads/{saved['thread_id']}",
        headers={"Authorization": f"Bearer {saved['thread_token']}"},
        timeout=10,
    )
    assert view.status_code == 200, view.text
    answer = [m for m in view.json()["messages"] if m["role"] == "assistant"][-1]["content"]
    assert answer.startswith("I have seen 1 customer messages")

    shown = reply.inner_text()
    assert _words(shown) == _words(answer)  # complete, and no token twice
    assert shown.count("I have seen") == 1
    expect(page.locator(REPLIES)).to_have_count(1)
    expect(page.locator("#messages .notice-error")).to_have_count(0)


def test_screenshot_of_a_streamed_answer_at_375_px(slow_server: ServerProcess, page: Any) -> None:
    page.goto(slow_server.url + "/")
    _send(
        page,
        "Is **quiet mode** on the DW-500 worth it? See [the manual](https://example.com/dw500)",
    )
    _wait_for_answer(page)
    reply = page.locator(REPLIES).last.locator(".bubble-text")
    expect(reply.locator("strong")).to_have_text(["quiet mode"])
    link = reply.locator("a")
    expect(link).to_have_attribute("href", "https://example.com/dw500")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    expect(page.locator("#composer-input")).to_be_focused()
    assert page.viewport_size == {"width": 375, "height": 740}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-375.png"), full_page=True)
