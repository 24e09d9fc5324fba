"""Answering a request with and without htmx: the view helpers every blueprint uses.

In the spirit of django-htmx. A page and its fragments are one template: a fragment is
a named ``{% block %}`` of the page, rendered alone for htmx (jinja2-fragments). After
a change, a plain form gets a 303 to the next page and htmx an ``HX-Redirect`` to it
(a 3xx would be followed inside the XHR and swapped in as a fragment). Every response
says ``Vary: HX-Request``, so no cache serves a fragment for a page or the reverse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flask import Flask, Response, make_response, redirect, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block, render_blocks
from werkzeug.wrappers import Response as BaseResponse

from intake import ratelimits
from intake.extensions import htmx as htmx_extension


def init_app(app: Flask) -> None:
    """htmx-flask (``request.htmx``) and the ``Vary: HX-Request`` header."""
    htmx_extension.init_app(app)

    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        response.vary.add("HX-Request")
        return response


def is_htmx() -> bool:
    """An htmx request that is not a history restore (which needs the full page).

    A request refused by a rate limit gets the whole page too: htmx swaps a 429's
    <main> for the page's (htmx-config in base.html; see intake.ratelimits)."""
    if ratelimits.is_refused():
        return False
    return bool(request.htmx) and not request.htmx.history_restore_request


def redirect_after_post(location: str) -> BaseResponse:
    """After a change: 303 See Other to ``location``, or for htmx a 200 with
    ``HX-Redirect``, which htmx follows with a full page load."""
    if is_htmx():
        response = make_response("")
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def form_status() -> int:
    """The status of a form page shown (again): 200 for a GET, 422 for a POST that
    got this far (its input was refused), 429 when a rate limit refused it."""
    return ratelimits.status(422 if request.method == "POST" else 200)


def page_or_fragment(
    template: str,
    blocks: str | Sequence[str],
    context: Mapping[str, Any],
    *,
    status: int = 200,
    fragment: bool | None = None,
    oob: bool | Collection[str] = (),
    push_url: str | None = None,
    retarget: str | None = None,
    reswap: str | None = None,
) -> Response:
    """The whole page, or for htmx (``fragment``, by default ``is_htmx()``) only its
    ``blocks`` (one name or several), rendered with ``context``.

    ``oob`` reaches the template as ``oob``: what the fragment swaps out of band (True,
    or the names of the blocks); the whole page gets none. ``push_url``, ``retarget``
    and ``reswap`` become htmx's response headers on a fragment.
    """
    if fragment is None:
        fragment = is_htmx()
    if not fragment:
        return make_response(render_template(template, **context, oob=()), status)
    if isinstance(blocks, str):
        body = render_block(template, blocks, **context, oob=oob)
    else:
        body = render_blocks(template, list(blocks), **context, oob=oob)
    response = make_response(body, status)
    for header, value in (
        ("HX-Push-Url", push_url),
        ("HX-Retarget", retarget),
        ("HX-Reswap", reswap),
    ):
        if value is not None:
            response.headers[header] = value
    return response


def form_page(template: str, block: str, context: Mapping[str, Any]) -> Response:
    """A form's page (200, or 422/429 after a refused POST); after an htmx POST only
    the form's block, which htmx swaps in place."""
    return page_or_fragment(
        template,
        block,
        context,
        status=form_status(),
        fragment=request.method == "POST" and is_htmx(),
    )
