"""The outbox writes its messages its own way (``OutboxMail``: the parts with
``compat32``, each header folded with ``policy.SMTP``), faster than Flask-Mail's
``as_bytes``; the bytes must be the same, but for a header that would start another.

Each case is built twice from the same parts, once as Flask-Mail's own ``Message`` and
once as ``OutboxMail``: the two must be byte for byte equal but for the multipart
boundaries (random), and read back with the modern parser without defects.

The boundaries differ on purpose in one more case: a part whose text holds the
boundary drawn gets another. Flask-Mail's writer keeps it (the standard library's check
misses lines that end in CRLF), and the part then ends early.
"""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from flask_mail import BadHeaderError, Message

from intake.outbox.delivery import OutboxMail

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
ICS = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Grupo de práctica reflexiva\r\nEND:VCALENDAR\r\n"
)

CASES = {
    "plain English": {"subject": "We received your application", "body": "Dear Ana,\n\nThanks."},
    "Spanish": {
        "subject": "Recibimos su solicitud — Grupo de práctica reflexiva",
        "body": "Estimada Begoña:\n\nGracias por su solicitud. ¿Preguntas? Escríbanos.",
        "html": "<p>Estimada Begoña:</p><p>Gracias por su solicitud.</p>",
    },
    "Chinese, a subject longer than a line": {
        "subject": "我们已收到您的申请。" * 8,
        "body": "您好，\n\n我们已收到您的申请。" * 30,
        "html": "<p>您好，</p>" * 30,
    },
    "long English subject and long lines": {
        "subject": "Your place in the reflective practice group for home visitors " * 3,
        "body": ("word " * 400) + "\n.\n..leading dots\nFrom the start of a line\n",
        "html": "<p>" + "x" * 2000 + "</p>",
    },
    "a calendar invitation": {
        "subject": "Sesión del martes",
        "body": "Adjuntamos la invitación.",
        "html": "<p>Adjuntamos la invitación.</p>",
        "ics": ICS,
    },
    "an empty subject": {"subject": "", "body": "Nothing to say."},
    "a letter and no HTML": {
        "subject": "Your letter",
        "body": "Attached.",
        "pdf": ("letter.pdf", PDF),
    },
    "a letter with a file name not in ASCII": {
        "subject": "Carta de aceptación",
        "body": "Su carta.",
        "html": "<p>Su carta.</p>",
        "pdf": ("carta-aceptación-José.pdf", PDF),
    },
}


def build(cls, case: dict, sender, reply_to):
    message = cls(
        subject=case["subject"],
        recipients=["Begoña Núñez <begona@example.org>"],
        body=case["body"],
        html=case.get("html"),
        sender=sender,
        reply_to=reply_to,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.date = 1_767_225_600  # the Date header depends on it: the same for both
    message.msgId = "<outbox-7.1@intake.example.org>"
    if "ics" in case:
        message.attach("invite.ics", "text/calendar; method=REQUEST; charset=utf-8", case["ics"])
    if "pdf" in case:
        message.attach(*case["pdf"][:1], "application/pdf", case["pdf"][1])
    return message


def read(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def without_boundaries(raw: bytes) -> bytes:
    return re.sub(rb"={15}\d+==", b"BOUNDARY", raw)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize(
    ("sender", "reply_to"),
    [
        ("Reflective Practice Groups <no-reply@example.org>", None),
        (
            ("Grupos de Práctica Reflexiva 反思实践小组", "no-reply@example.org"),
            "Zoë <zoe@example.org>",
        ),
    ],
)
def test_the_outbox_bytes_read_back_as_flask_mails_message(ctx, name, sender, reply_to):
    ours = build(OutboxMail, CASES[name], sender, reply_to).as_bytes()
    theirs = build(Message, CASES[name], sender, reply_to).as_bytes()
    assert without_boundaries(ours) == without_boundaries(theirs)
    assert len(re.findall(rb"={15}\d+==", ours)) == len(re.findall(rb"={15}\d+==", theirs))

    message = read(ours)
    subject = " ".join(CASES[name]["subject"].split())
    assert " ".join(str(message["Subject"] or "").split()) == subject
    assert all(not part.defects for part in message.walk())
    if "pdf" in CASES[name]:
        (letter,) = [part for part in message.walk() if part.get_filename()]
        assert (letter.get_filename(), letter.get_content()) == CASES[name]["pdf"]


@pytest.mark.parametrize("name", list(CASES))
def test_every_line_ends_as_smtp_wants_and_headers_are_folded(ctx, name):
    raw = build(OutboxMail, CASES[name], "Intake <no-reply@example.org>", None).as_bytes()
    lines = raw.split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines)
    headers = lines[: lines.index(b"")]
    assert headers[0].startswith(b"Content-Type: ")
    assert max(len(line) for line in headers) <= 78


BREAKS = [
    "x\nBcc: someone@example.org",
    "x\r\nBcc: someone@example.org",
    "x\rBcc: y",
    "x\n\n",
    "x\r\r",
]


@pytest.mark.parametrize("value", BREAKS)
def test_a_header_that_would_start_another_or_end_them_is_refused(ctx, value):
    extra = OutboxMail("Hello", recipients=["a@example.org"], body="Hi", sender="i@example.org")
    extra.extra_headers = {"X-Note": value}
    subject = OutboxMail(value, recipients=["a@example.org"], body="Hi", sender="i@example.org")

    for message in (extra, subject):
        with pytest.raises(BadHeaderError):
            message.as_bytes()


def test_a_folded_header_goes_on_with_a_space(ctx):
    message = OutboxMail("Hi\n there", recipients=["a@example.org"], body="Hi", sender="i@e.org")
    message.extra_headers = {"X-Note": "x\r\n\tand more"}

    # Refused neither: the headers end once, where they should.
    assert message.as_bytes().count(b"\r\n\r\n") == 1


def test_a_boundary_that_occurs_in_the_text_is_drawn_again(ctx, monkeypatch):
    def boundary(number: int) -> str:
        return "=" * 15 + f"{number:019d}" + "=="

    body = f"A line that happens to hold a boundary:\n--{boundary(7)}\nand goes on."
    # The alternative's boundary is drawn first (7, found in the text: 8), then the
    # whole message's (9).
    draws = [7, 8, 9]

    def draw(_limit):
        assert draws, "more boundaries were drawn than this test expects"
        return draws.pop(0)

    monkeypatch.setattr("intake.outbox.delivery.random.randrange", draw)
    message = OutboxMail(
        "Hello", recipients=["a@example.org"], body=body, html="<p>Hi</p>", sender="i@example.org"
    )
    raw = message.as_bytes()

    assert f'boundary="{boundary(7)}"'.encode() not in raw
    assert f'boundary="{boundary(8)}"'.encode() in raw
    assert f'boundary="{boundary(9)}"'.encode() in raw
    parsed = read(raw)
    assert all(not part.defects for part in parsed.walk())
    plain = parsed.get_body(preferencelist=("plain",)).get_content()
    assert plain.replace("\r\n", "\n").rstrip("\n") == body
