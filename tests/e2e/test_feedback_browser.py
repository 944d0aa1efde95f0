"""The chat page in Chromium: 👍 / 👎 under an answer, kept once per message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from store.backend import SqlStoreBackend
from store.feedback import FeedbackLog

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
TIMEOUT_MS = 20_000


def _scores(db_url: str, page: Any) -> list[tuple[str, int]]:
    """The scores kept for the page's conversation."""
    saved = json.loads(page.evaluate("() => localStorage.getItem('supportgraph.thread_id')"))
    log = FeedbackLog(SqlStoreBackend.from_url(db_url).engine)
    return [(r["message_id"], r["score"]) for r in log.for_thread(saved["thread_id"])]


def test_customer_rates_an_answer(acting_server, fresh_db_url, page: Any) -> None:
    page.goto(acting_server.url + "/")
    page.fill("#composer-input", "hello there")
    page.click("#send-button")

    answer = page.locator("#messages .bubble-assistant").last
    up, down = answer.locator(".feedback .feedback-up"), answer.locator(".feedback .feedback-down")
    expect(up).to_be_visible(timeout=TIMEOUT_MS)
    expect(up).to_have_attribute("aria-label", "Helpful")
    expect(down).to_have_attribute("aria-label", "Not helpful")
    expect(up).to_have_attribute("aria-pressed", "false")
    # Drawn icons, not emoji (which render as empty boxes without an emoji font).
    for button in (up, down):
        box = button.locator("svg").bounding_box()
        assert box and box["width"] >= 12 and box["height"] >= 12, box
    # The customer's own message has no buttons.
    expect(page.locator("#messages .bubble-user .feedback")).to_have_count(0)
    message_id = answer.get_attribute("data-message-id")
    assert message_id

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    assert _scores(fresh_db_url, page) == [(message_id, 1)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "feedback-375.png"), full_page=True)

    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    assert _scores(fresh_db_url, page) == [(message_id, -1)]

    # A failure leaves the score as it was and says so, quietly.
    page.route(
        "**/feedback",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"code": "storage_unavailable", "message": "down"}',
        ),
    )
    up.click()
    expect(answer.locator(".feedback-notice")).to_contain_text("Couldn’t save your feedback")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "true")
    assert _scores(fresh_db_url, page) == [(message_id, -1)]
    page.unroute("**/feedback")

    # After a reload the answers from the history can be rated too.
    page.reload()
    answer = page.locator("#messages .bubble-assistant").last
    expect(answer.locator(".feedback-up")).to_be_visible(timeout=TIMEOUT_MS)
    answer.locator(".feedback-up").click()
    expect(answer.locator(".feedback-up")).to_have_attribute("aria-pressed", "true")
    assert _scores(fresh_db_url, page) == [(message_id, 1)]
