"""The citizen's feedback link: the contact's id signed with the app's secret.

Nothing is stored when a contact is logged (the counter's hot path stays one INSERT):
the link is computed from the id, and checked by its signature when it is used. A
guessed or altered link fails the signature; a used one finds its `contact_key` taken.
Rotating SECRET_KEY retires every link not yet answered.
"""

import hashlib
import hmac

import segno
from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

_SALT = "nki-feedback"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def feedback_token(contact_id: int) -> str:
    return _serializer().dumps(contact_id)


def contact_id_of(token: str) -> int | None:
    """The contact a token was made for, or None when it was not made by this app."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def feedback_url(contact_id: int) -> str:
    """The link as the citizen gets it: absolute, for an e-mail, a receipt or a QR code.

    On APP_URL when it is set (the address citizens reach), else on the request's host.
    """
    token = feedback_token(contact_id)
    base = current_app.config.get("APP_URL", "").rstrip("/")
    if base or not has_request_context():
        path = current_app.url_map.bind("localhost").build("feedback.answer", {"token": token})
        return base + path
    return url_for("feedback.answer", token=token, _external=True)


def contact_key(contact_id: int) -> str:
    """A keyed hash of the contact's id: marks the link answered without naming the contact."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"nki-answered:{contact_id}".encode(), hashlib.sha256).hexdigest()


def qr_svg(url: str) -> Markup:
    """The link as a QR code the citizen scans at the desk (inline SVG, no styles)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=4, title="QR-kod till frågorna", border=2))
