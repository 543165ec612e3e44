"""What every response carries: security headers, one log line, and the health check.

The Content-Security-Policy allows scripts and styles only from our own origin
(htmx and counter.js are served from static/), so an injected <script> or
style attribute does nothing even if escaping ever failed. Referrer-Policy is
same-origin, not no-referrer: Flask-WTF checks the Referer of form posts over
HTTPS and would refuse every form without it.
"""

import hashlib
import hmac
import ipaddress
import logging
import sys
import time
import unicodedata
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g, jsonify, request

from frontdesk.extensions import db

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"

request_log = logging.getLogger("frontdesk.requests")


def as_download(response, filename: str):
    """Mark response as a file download named filename, quoted safely (RFC 6266).

    The name may come from the catalogue (a case type's code) or a person: control
    characters are dropped (a CR/LF would split the header), quotes and backslashes are
    escaped in the quoted string, and a non-ASCII name is sent as RFC 5987 `filename*`
    with an ASCII `filename` fallback, as Werkzeug's send_file does.
    """
    name = "".join(ch for ch in filename if ch.isprintable()).strip() or "fil"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    quoted = (fallback or "fil").replace("\\", "\\\\").replace('"', '\\"')
    value = f'attachment; filename="{quoted}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe="!#$&+^`|~")
    response.headers["Content-Disposition"] = value
    return response


bp = Blueprint("web", __name__)


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: is the app up and can it reach its database?"""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def client_address_hash(purpose: str) -> str:
    """A salted hash of the client's address: enough to limit a rate, not to trace anyone.

    The purpose goes into the hash, so the web form's and the login's counts cannot be
    matched with each other. An IPv6 client is counted by its /64, the block one
    household or device gets. Behind a reverse proxy, PROXY_FIX_X_FOR makes remote_addr
    the client's address.
    """
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 6:
        address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{purpose}:{address}".encode(), hashlib.sha256).hexdigest()


def _set_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        # Only over HTTPS: a browser ignores it over plain HTTP, and a demo on
        # http://127.0.0.1 must never be pinned to HTTPS.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if getattr(g, "user", None) is not None and request.endpoint != "static":
        # Pages and files of a logged-in user hold citizens' matters: keep them out of
        # shared caches and the browser's back-forward disk cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _start_clock():
    g.request_started = time.perf_counter()


def _log_request(response):
    """One line per request, without personal data.

    The route's pattern stands for the path (no ids, no query string: filters and
    searches can hold names), the user is their numeric id, and the client's
    address is left out.
    """
    started = g.get("request_started")
    elapsed_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "-"
    user = getattr(g, "user", None)
    # The id from the identity map: after the commit, user.id would reload the whole row.
    user_id = sa.inspect(user).identity[0] if user is not None else "-"
    request_log.info(
        "%s %s %d %.1fms user=%s", request.method, route, response.status_code, elapsed_ms, user_id
    )
    return response


def _configure_request_log(app: Flask) -> None:
    if not app.config.get("REQUEST_LOG", True) or request_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    request_log.propagate = False


def init_app(app: Flask) -> None:
    """Call before the database's init_app, so the log line sees the status after the commit.

    (Flask runs after_request functions in reverse order of registration.)
    """
    _configure_request_log(app)
    app.before_request(_start_clock)
    app.after_request(_log_request)
    app.after_request(_set_security_headers)
    app.register_blueprint(bp)
