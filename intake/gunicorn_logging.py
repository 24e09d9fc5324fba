"""gunicorn's logger with secrets taken out of the access log (see gunicorn.conf.py).

gunicorn fills its access-log line from "atoms": the request line, path, query,
Referer, every request and response header. Here each atom that can carry a link's
token or a person's data is redacted before any format sees it, so even a changed
``access_log_format`` cannot bring the raw path, the query string or the Referer back.
"""

from __future__ import annotations

from typing import Any, cast

from gunicorn.glogging import Logger

from intake.logredact import MASK, redact_path, redact_query, redact_text, redact_url

# Never written, even redacted: they are credentials or the page a person came from.
_DROPPED_HEADERS = frozenset({"referer", "cookie", "set-cookie", "authorization"})


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        # A plain dict at run time, with a key per header ("{name}i", "{name}o") that the
        # stub's TypedDict cannot list.
        atoms = cast("dict[str, Any]", super().atoms(resp, req, environ, request_time))
        raw_uri = environ.get("RAW_URI") or environ.get("PATH_INFO") or ""
        method = environ.get("REQUEST_METHOD", "-")
        protocol = environ.get("SERVER_PROTOCOL", "-")
        atoms["r"] = f"{method} {redact_url(raw_uri)} {protocol}"
        atoms["U"] = redact_path(environ.get("PATH_INFO") or "")
        atoms["q"] = redact_query(environ.get("QUERY_STRING") or "")
        atoms["f"] = "-"
        atoms["u"] = "-"
        for key, value in list(atoms.items()):
            if not key.startswith("{"):
                continue
            name = key[1:].rsplit("}", 1)[0]
            if name in _DROPPED_HEADERS or name.startswith("http_cookie") or "referer" in name:
                atoms[key] = "-"
            elif name in ("raw_uri", "request_uri"):
                atoms[key] = redact_url(value) if isinstance(value, str) else MASK
            elif name == "query_string":
                atoms[key] = redact_query(value) if isinstance(value, str) else MASK
            elif isinstance(value, str):
                atoms[key] = redact_text(value)
            elif key.endswith("}e"):
                # Objects in the WSGI environ (streams, the app's own values): not logged.
                atoms[key] = "-"
        return atoms
