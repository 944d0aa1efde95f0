"""A customer asks for a person; an agent edits the suggested reply in the inbox; it shows live."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import AGENTS

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
KEY = next(iter(AGENTS))


def test_agent_edits_the_suggested_reply_and_the_customer_sees_it_live(
    agent_server, chromium
) -> None:
    base = agent_server.url
    marker = uuid.uuid4().hex[:6]
    customer = chromium.new_context(viewport={"width": 375, "height": 740})
    agent = chromium.new_context(viewport={"width": 1024, "height": 800})
    errors: list[str] = []
    try:
        chat = customer.new_page()
        inbox = agent.new_page()
        for page in (chat, inbox):
            page.on("pageerror", lambda exc: errors.append(str(exc)))

        chat.goto(base + "/")
        chat.fill("#composer-input", f"I want to talk to a human please ({marker})")
        chat.click("#send-button")
        expect(chat.locator(".notice").last).to_contain_text("member of our team", timeout=20_000)

        queue = httpx.get(f"{base}/v1/handoffs", headers={"Authorization": f"Bearer {KEY}"}).json()[
            "handoffs"
        ]
        [handoff] = [h for h in queue if marker in h["summary"][-1]["content"]]

        inbox.goto(base + "/ui/inbox.html")
        inbox.fill("#agent-key", KEY)
        inbox.click("#sign-in")
        item = inbox.locator(f'.handoff-item[data-id="{handoff["id"]}"]')
        expect(item).to_be_visible(timeout=10_000)
        item.click()
        expect(inbox.locator("#detail")).to_contain_text(marker)
        inbox.click("#claim")
        reply = inbox.locator("#reply")
        expect(reply).to_have_value(handoff["suggested_reply"], timeout=10_000)
        edited = f"Hi, this is {AGENTS[KEY]} from Brightside. How can I help? ({marker})"
        reply.fill(edited)
        SHOTS.mkdir(parents=True, exist_ok=True)
        inbox.screenshot(path=str(SHOTS / "inbox-1024.png"), full_page=True)
        inbox.click("#send")

        # The customer's page shows it without a reload, marked as from a person.
        bubble = chat.locator(".bubble-agent").last
        expect(bubble).to_contain_text(edited, timeout=20_000)
        chat.screenshot(path=str(SHOTS / "chat-agent-reply-375.png"), full_page=True)
        expect(inbox.locator(f'.handoff-item[data-id="{handoff["id"]}"]')).to_have_count(
            0, timeout=10_000
        )
    finally:
        customer.close()
        agent.close()
    assert not errors, f"JavaScript errors: {errors}"
