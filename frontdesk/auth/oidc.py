"""Single sign-on with the municipality's identity provider: OpenID Connect through Authlib.

The authorization-code flow with state, nonce and PKCE (S256). Authlib keeps what the
callback needs (the state, the nonce, the PKCE verifier) in the signed session cookie
and removes it when the callback uses it, so an answer is taken once, and only in the
browser that started the login. The person is named by one claim (OIDC_USERNAME_CLAIM,
default preferred_username), read from the ID token and, when the ID token does not
carry it (many providers put profile claims only in userinfo), from the userinfo endpoint.

Who may come in is decided in frontdesk/auth/operations.py; this module only talks to
the provider and says what it answered, or why the answer cannot be trusted.
"""

import re
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import Flask, current_app, request, url_for
from joserfc.errors import JoseError

EXTENSION = "frontdesk.oidc"
SCOPE = "openid profile email"
# Every call to the provider (discovery, token, keys, userinfo) gives up after this long.
TIMEOUT_SECONDS = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# An OAuth error code as the provider sends it (RFC 6749 4.1.2.1); anything else is noise.
ERROR_CODE = re.compile(r"[a-z_]{1,40}")
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The identity provider did not answer, or answered nonsense: try again later."""


class CallbackRefused(Exception):
    """An answer that cannot be trusted: forged, replayed, stale, or refused by the provider."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def init_app(app: Flask) -> None:
    """Check the sign-on settings at start-up and register the provider when configured."""
    config = app.config
    config.setdefault("OIDC_USERNAME_CLAIM", "preferred_username")
    config.setdefault("LOCAL_LOGIN", True)
    issuer = (config.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        if not config["LOCAL_LOGIN"]:
            raise RuntimeError(
                "LOCAL_LOGIN=0 switches passwords off, so it needs single sign-on: "
                "set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"
            )
        return
    parts = urlsplit(issuer)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
        raise RuntimeError(f"OIDC_ISSUER must be an https:// address, got {issuer!r}")
    if not config.get("OIDC_CLIENT_ID") or not config.get("OIDC_CLIENT_SECRET"):
        raise RuntimeError("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
    config["OIDC_ISSUER"] = issuer
    # One registry per app (Authlib's is per object): each test builds its own app.
    app.extensions[EXTENSION] = OAuth(app).register(
        "oidc",
        overwrite=True,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )


def enabled() -> bool:
    return EXTENSION in current_app.extensions


def _client() -> FlaskOAuth2App:
    return current_app.extensions[EXTENSION]


def _metadata(client: FlaskOAuth2App) -> dict:
    """The provider's discovery document (fetched once, then kept by Authlib)."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(str(error)) from error
    # OpenID Connect Discovery 4.3: the document must name the issuer we were given.
    if metadata.get("issuer") != current_app.config["OIDC_ISSUER"] or not all(
        metadata.get(key) for key in REQUIRED_METADATA
    ):
        client.server_metadata.clear()  # ask again next time instead of keeping a bad answer
        raise ProviderUnavailable("unusable discovery document")
    return metadata


def redirect_uri() -> str:
    """The callback address registered at the provider; APP_URL wins behind a proxy."""
    base = current_app.config.get("APP_URL", "").rstrip("/")
    if base:
        return base + url_for("auth.oidc_callback")
    return url_for("auth.oidc_callback", _external=True)


def start():
    """A redirect to the provider's sign-in page; state, nonce and PKCE wait in the session."""
    client = _client()
    _metadata(client)
    try:
        return client.authorize_redirect(redirect_uri())
    except requests.RequestException as error:
        raise ProviderUnavailable(str(error)) from error


def finish() -> str | None:
    """Check the provider's answer on the callback; the username claim (None when absent)."""
    client = _client()
    error = request.args.get("error")
    if error is not None:
        raise CallbackRefused(
            "provider:" + (error if ERROR_CODE.fullmatch(error) else "unrecognised")
        )
    metadata = _metadata(client)
    # RFC 9207: an answer that names another issuer is a mix-up, not ours to take.
    if "iss" in request.args and request.args["iss"] != metadata["issuer"]:
        raise CallbackRefused("issuer")
    try:
        token = client.authorize_access_token()
    except JoseError as error:
        raise CallbackRefused("id_token") from error
    except requests.RequestException as error:
        raise ProviderUnavailable(str(error)) from error
    except AuthlibBaseError as error:
        # A state this browser did not start (or already used), or a code the provider refused.
        raise CallbackRefused("state" if error.error == "mismatching_state" else "code") from error
    claims = token.get("userinfo")  # the ID token's claims, checked (signature, nonce, audience)
    if claims is None:
        raise CallbackRefused("id_token")  # Authlib checks an ID token only when there is one
    claim = current_app.config["OIDC_USERNAME_CLAIM"]
    value = claims.get(claim)
    if value is None:
        try:
            userinfo = client.userinfo(token=token)
        except requests.RequestException as error:
            raise ProviderUnavailable(str(error)) from error
        # OpenID Connect Core 5.3.2: userinfo about anyone but the ID token's subject is void.
        if userinfo.get("sub") != claims["sub"]:
            raise CallbackRefused("userinfo")
        value = userinfo.get(claim)
    return value if isinstance(value, str) and value.strip() else None
