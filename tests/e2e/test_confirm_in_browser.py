"""The chat page in Chromium: a data-changing action is confirmed with a button."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from store.backend import SqlStoreBackend

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


def _ask(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.click("#send-button")


def test_customer_confirms_a_cancellation_with_the_button(
    acting_server, fresh_db_url, page
) -> None:
    store = SqlStoreBackend.from_url(fresh_db_url)
    page.goto(acting_server.url + "/")
    _ask(page, "Please cancel order BS-100002, my email is ava.thompson@example.com")

    card = page.locator(".confirm-card")
    expect(card).to_be_visible(timeout=20_000)
    expect(card).to_contain_text("Cancel order BS-100002")
    expect(page.locator(".confirm-approve")).to_be_focused()
    assert store.get_order("BS-100002")["status"] == "processing"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "confirm-card-375.png"), full_page=True)

    page.click(".confirm-approve")
    expect(page.locator(".bubble-assistant").last).to_contain_text(
        "Order BS-100002 is now cancelled", timeout=20_000
    )
    expect(card).to_contain_text(re.compile("Confirmed"))
    # The store's own words are shown under the reply, whatever the model wrote.
    expect(page.locator(".bubble-assistant").last.locator(".receipt-done")).to_contain_text(
        "Order BS-100002 is now cancelled."
    )
    assert store.get_order("BS-100002")["status"] == "cancelled"


def test_declining_in_the_page_changes_nothing(acting_server, fresh_db_url, page) -> None:
    store = SqlStoreBackend.from_url(fresh_db_url)
    page.goto(acting_server.url + "/")
    _ask(page, "cancel BS-100009 please, ben.okafor@example.com")
    expect(page.locator(".confirm-card")).to_be_visible(timeout=20_000)
    page.click(".confirm-decline")
    expect(page.locator(".bubble-assistant").last).to_contain_text(
        "Nothing was changed", timeout=20_000
    )
    expect(page.locator(".confirm-card")).to_contain_text("nothing was changed")
    assert store.get_order("BS-100009")["status"] == "processing"

    # A reload shows the conversation without a pending card.
    page.reload()
    expect(page.locator(".bubble-user").first).to_contain_text("BS-100009", timeout=10_000)
    expect(page.locator(".confirm-card .confirm-approve")).to_have_count(0)
