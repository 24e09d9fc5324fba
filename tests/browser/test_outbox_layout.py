"""The E-mail page's messages on a phone (320 px): a failed message with a long address
offers "Send again"; one whose address was not kept says so instead; neither page
scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.models import OutboxMessage
from intake.outbox.services import FORGOTTEN_RECIPIENT
from tests.browser.test_workspace import _sign_in
from tests.outbox.support import queue

pytestmark = pytest.mark.browser

LONG_ADDRESS = (
    "maria.guadalupe.hernandez-villanueva.coordinadora@southeast-seattle-family.example.org"
)


def test_failed_messages_on_a_phone(page_js, live_server, app, make_coordinator, clock):
    kept, forgotten = queue(clock, LONG_ADDRESS, "director@example.org")
    for message_id, address in ((kept, LONG_ADDRESS), (forgotten, FORGOTTEN_RECIPIENT)):
        row = db.session.get(OutboxMessage, message_id)
        row.status, row.to_addr = "failed", address
        row.last_error = f"Not retried: SMTPRecipientsRefused: 550 5.1.1 <recipient>: {'x' * 60}"
    db.session.commit()
    user = make_coordinator(email="admin@example.org", admin=True)
    page = page_js
    page.set_viewport_size({"width": 320, "height": 800})
    _sign_in(page, user, clock)

    for message_id, can_send in ((kept, True), (forgotten, False)):
        page.goto(f"/coord/outbox/{message_id}")
        page.wait_for_load_state("load")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"message {message_id} scrolls sideways by {overflow}px"
        button = page.get_by_role("button", name="Send again")
        if can_send:
            expect(button).to_be_visible()
            expect(page.locator("main")).to_contain_text(LONG_ADDRESS)
        else:
            expect(button).to_have_count(0)
            expect(page.locator("main")).to_contain_text("was not kept, so it cannot be sent again")
