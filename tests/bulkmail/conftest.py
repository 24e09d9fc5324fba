"""Bulk e-mail fixtures: people on the waitlist in their languages, and the steps of
the form as a browser sends them (the form, the preview, the send button)."""

from __future__ import annotations

import html
import re

import pytest

from intake.extensions import db
from tests import factories
from tests.helpers import csrf_token

NEW = "/coord/bulk-email/new"
SEND = "/coord/bulk-email/send"

ENGLISH = {
    "subject_en": "News about the groups",
    "body_en": "Hello from the team.\n\nA new group starts soon.",
}
SPANISH = {
    "subject_es": "Noticias de los grupos",
    "body_es": "Hola del equipo.\n\nPronto empieza un grupo.",
}
CHINESE = {"subject_zh": "小组消息", "body_zh": "团队向您问好。\n\n新的小组即将开始。"}


@pytest.fixture
def person(ctx, clock):
    """An application (and its applicant) in ``locale``, who agreed to e-mail."""
    add = factories.application_maker(clock)

    def make(name=None, *, locale="en", consent=True, commit=True, **kwargs):
        application = add(name, commit=False, **kwargs)
        application.applicant.locale = locale
        application.applicant.consent_contact = consent
        if commit:
            db.session.commit()
        return application

    return make


def open_form(client, query=""):
    response = client.get(NEW + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _hidden(page: str, form_class: str) -> dict[str, str]:
    match = re.search(rf'<form[^>]*class="{form_class}".*?</form>', page, re.S)
    assert match, f"no {form_class} form on the page"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'name="(\w+)" (?:type="hidden" )?value="([^"]*)"', match.group(0)
        )
    }


def preview(client, query="", headers=None, **fields):
    """Open the form, write the versions in ``fields``, ask for the preview."""
    page = open_form(client, query)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_token(page), "form_token": token, **fields}
    return client.post(NEW + query, data=data, headers=headers or {})


def send_from(client, page: str, query="", headers=None):
    """Press "Send" on a confirmation page."""
    data = _hidden(page, "bulk-send")
    return client.post(SEND + query, data=data, headers=headers or {})


def confirm(client, query="", **fields):
    response = preview(client, query, **fields)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)
