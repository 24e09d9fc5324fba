"""The app behind a real TLS reverse proxy, in a real Chromium.

nginx (Debian's) runs deploy/nginx.conf, the file docs/deployment.md ships, with only
names, ports and paths swapped; its certificate comes from a trustme CA that this
Chromium trusts by the certificate's key, for this test alone. The app runs with the
production proxy settings (PROXY_FIX_X_FOR/X_PROTO=1, HTTPS-only cookies), so Flask-WTF
checks the Referer of every form: the applicant's journey and a coordinator's sign-in
must work with JavaScript and without, and nginx's access log must keep no token.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.plugin import CHROMIUM, CHROMIUM_ARGS, close_page, closes_its_files, open_page
from tests.browser.test_individual_journey import (
    ZIP_LABEL,
    _answer_screener,
    _check_confirmation,
    _check_results,
    _deliver_and_open_manage_link,
    _fill_application_except_zip,
    _start_screener,
)
from tests.browser.test_workspace import _sign_in
from tests.conftest import bound_socket, missing, wait_until

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE_CONFIG = ROOT / "deploy" / "nginx.conf"
HOST = "intake.test"  # resolved to 127.0.0.1 by Chromium alone (--host-resolver-rules)


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if not found:
        missing("nginx not found: apt-get install nginx-light (CI sets E2E_REQUIRED=1)")
    return found


@pytest.fixture(scope="module")
def certificate_authority():
    import trustme

    return trustme.CA()


@pytest.fixture(scope="module")
def certificate(certificate_authority):
    return certificate_authority.issue_cert(HOST)


def _spki_sha256(certificate) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list matches: the base64 SHA-256
    of the certificate's public key, so only this test's certificate is let through."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_pem_x509_certificate(certificate.cert_chain_pems[0].bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def tls_browser(certificate, playwright):
    args = [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={_spki_sha256(certificate)}",
    ]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    # The same browser without the key pin, to prove the pin is what lets it in.
    browser.unpinned = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=args[:-1]
    )
    yield browser
    browser.unpinned.close()
    browser.close()


def render_site_config(*, https_port, http_port, app_port, cert, key, access_log) -> str:
    """deploy/nginx.conf with the test's names, ports and paths; every swap must
    find its text, so the shipped file cannot drift away from the tested one."""
    text = SITE_CONFIG.read_text()
    swaps = [
        ("/etc/letsencrypt/live/apply.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/apply.example.org/privkey.pem", str(key)),
        ("/var/log/nginx/intake.access.log", str(access_log)),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("server_name apply.example.org;", f"server_name {HOST};"),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{app_port};"),
    ]
    for old, new in swaps:
        assert old in text, f"{SITE_CONFIG} no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    # Comments may name the example host; no directive may keep a production value.
    directives = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "example.org" not in directives
    assert ":8000" not in directives
    return text


def _listening_socket() -> socket.socket:
    sock = bound_socket()
    sock.listen()
    return sock


@contextlib.contextmanager
def _nginx(binary, prefix, certificate, listeners, app_port):
    """nginx with deploy/nginx.conf in its own folder, in the foreground, on the
    ``listeners`` (https, http) made here; yields the path of its access log.

    nginx takes listening sockets from the NGINX variable (as in a binary upgrade) and
    uses each for the ``listen`` with its address: the ports are held from the start,
    and a request waits in the backlog until nginx is up."""
    https_port, http_port = (sock.getsockname()[1] for sock in listeners)
    prefix.mkdir()
    cert, key = prefix / "fullchain.pem", prefix / "privkey.pem"
    certificate.private_key_and_cert_chain_pem.write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    access_log, error_log = prefix / "access.log", prefix / "error.log"
    site = prefix / "intake.conf"
    site.write_text(
        render_site_config(
            https_port=https_port,
            http_port=http_port,
            app_port=app_port,
            cert=cert,
            key=key,
            access_log=access_log,
        )
    )
    # nginx's own process settings, as /etc/nginx/nginx.conf would give them.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = prefix / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {error_log};\n"
        f"events {{}}\nhttp {{\n{temp}\ninclude {site};\n}}\n"
    )
    command = [binary, "-p", prefix, "-e", error_log, "-c", main, "-g", "daemon off;"]
    # Everything nginx has to say goes to error_log.
    fds = [sock.fileno() for sock in listeners]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NGINX": "".join(f"{fd};" for fd in fds)},
        pass_fds=fds,
    )
    pid_file = prefix / "nginx.pid"
    try:
        # Written once the configuration is read and the sockets are taken.
        wait_until(lambda: pid_file.exists() or process.poll() is not None, "nginx to start")
        if process.poll() is not None:
            pytest.fail(f"nginx stopped:\n{error_log.read_text() if error_log.exists() else ''}")
        yield access_log
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def https_server(request, app_config, tmp_path, certificate, nginx_binary):
    """The test ``app`` on a loopback port behind nginx with TLS; yields its https URL."""
    app_socket, https_socket, http_socket = (_listening_socket() for _ in range(3))
    app_port = app_socket.getsockname()[1]
    base_url = f"https://{HOST}:{https_socket.getsockname()[1]}"
    app_config.update(
        PUBLIC_BASE_URL=base_url,
        PROXY_FIX_X_FOR=1,
        PROXY_FIX_X_PROTO=1,
        SESSION_COOKIE_SECURE=True,
    )
    app = request.getfixturevalue("app")
    assert app.config["PUBLIC_BASE_URL"] == base_url, "list https_server before app"
    server = make_server(
        "127.0.0.1", app_port, closes_its_files(app), threaded=True, fd=app_socket.fileno()
    )
    thread = threading.Thread(target=server.serve_forever, name="app-behind-nginx", daemon=True)
    thread.start()

    try:
        with _nginx(
            nginx_binary, tmp_path / "nginx", certificate, (https_socket, http_socket), app_port
        ) as access_log:
            yield base_url, access_log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        for sock in (app_socket, https_socket, http_socket):
            sock.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def page(request, tls_browser, https_server):
    base_url, _ = https_server
    context, page = open_page(tls_browser, base_url, javascript=request.param)
    yield page
    close_page(context, page)
    page.watchdog.assert_clean()


def _check_https_answer(response) -> None:
    headers = response.all_headers()
    assert response.url.startswith("https://")
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def _session_cookie(page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "session"]
    return cookie


def _save_details_from_manage_page(page, base_url: str) -> None:
    """A form on a page whose path holds the manage token: the browser sends the
    origin alone as Referer, and that passes the strict check."""
    page.get_by_role("link", name="Change my details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change my details")
    page.get_by_label("Your name").fill("Ana Rivera Soto")
    with page.expect_request(lambda r: r.method == "POST" and "/details" in r.url) as sent:
        page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_text("Saved. Your details are up to date.")).to_be_visible()
    assert sent.value.header_value("referer") == f"{base_url}/"


def test_applicant_journey_through_tls_proxy(page, https_server, app):
    base_url, access_log = https_server
    _start_screener(page)
    _answer_screener(page, javascript=page.javascript)
    _check_results(page)
    assert _session_cookie(page)["secure"] is True

    page.get_by_role("link", name="Continue to your application").click()
    page.wait_for_url("**/apply")
    _fill_application_except_zip(page)
    page.get_by_label(ZIP_LABEL).fill("98104")
    with page.expect_response(
        lambda r: r.url == f"{base_url}/apply" and r.request.method == "POST"
    ) as sent:
        page.get_by_role("button", name="Send my application").click()
    # A redirect to the confirmation (HX-Redirect with htmx): not the CSRF 400.
    assert sent.value.status in (200, 303), sent.value.status
    reference = _check_confirmation(page)
    with page.expect_response(f"{base_url}/apply/received") as received:
        page.reload()
    _check_https_answer(received.value)

    _deliver_and_open_manage_link(page, app, base_url, reference)
    token = page.url.rsplit("/manage/", 1)[1]
    _save_details_from_manage_page(page, base_url)

    log = access_log.read_text()
    # htmx follows HX-Redirect from a 200; a plain form follows the 303.
    assert re.search(rf'"POST /apply HTTP/[\d.]+" {200 if page.javascript else 303} ', log)
    assert "GET /manage/[token] " in log
    assert token not in log


def test_coordinator_signs_in_and_out_through_tls_proxy(
    page, https_server, app, make_coordinator, clock
):
    user = make_coordinator(email="admin@example.org", admin=True)
    _sign_in(page, user, clock)
    assert _session_cookie(page)["secure"] is True
    with page.expect_response("**/coord/waitlist") as waitlist:
        page.reload()
    _check_https_answer(waitlist.value)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/coord/login")
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_tls_is_checked_not_ignored(https_server, tls_browser, certificate_authority):
    base_url, _ = https_server
    port = int(base_url.rsplit(":", 1)[1])
    # Chromium without this certificate's key pin refuses the test CA: the journeys
    # above ran over TLS that Chromium checked, not with certificate errors ignored.
    context = tls_browser.unpinned.new_context()
    try:
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            context.new_page().goto(base_url)
    finally:
        context.close()

    tls = ssl.create_default_context()
    certificate_authority.configure_trust(tls)
    with (
        socket.create_connection(("127.0.0.1", port)) as sock,
        tls.wrap_socket(sock, server_hostname=HOST) as connection,
    ):
        assert connection.version() in ("TLSv1.2", "TLSv1.3")
    # Any other name: nginx's default server refuses the handshake.
    tls.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", port)) as sock,
        pytest.raises(ssl.SSLError, match=r"UNRECOGNIZED_NAME|alert"),
    ):
        tls.wrap_socket(sock, server_hostname="other.example")
