"""What every response carries: security headers, the health check, the request log."""

import logging

import pytest

from tests.conftest import make_app

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/kontakta-oss", 200),
        ("/disk", 302),
        ("/finns-inte", 404),
        ("/static/app.css", 200),
        ("/api/v1/case-types", 401),
        ("/api/v1/openapi.json", 200),
        ("/healthz", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, world, path, status):
    response = client.get(path)
    response.close()
    assert response.status_code == status
    policy = _csp(response)
    for directive, value in CSP_DIRECTIVES.items():
        assert policy[directive] == value, directive
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_https(client, world):
    response = client.get("/login", base_url="https://medborgarkontoret.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_proxy_that_terminates_https(database_url, world):
    app = make_app(database_url, PROXY_FIX_X_FOR=1)
    response = app.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.4"}
    )
    assert "Strict-Transport-Security" in response.headers


def test_pages_of_a_logged_in_user_are_not_cached_but_static_files_are(client, auth, world):
    auth.login("anna")
    assert client.get("/disk").headers["Cache-Control"] == "no-store"
    with client.get("/static/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_no_page_carries_inline_script_or_style(client, auth, world):
    auth.login("karin")
    for path in ("/disk", "/mandat/", "/oversikt/", "/rosa/trappan", "/login"):
        text = client.get(path, follow_redirects=True).text
        assert " style=" not in text and "<style" not in text, path
        assert " onclick=" not in text and "javascript:" not in text, path
        for tag in text.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (path, opening)


def test_healthz_answers_with_database_reachability(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "unreachable",
    [
        "sqlite:////nonexistent-folder/frontdesk.sqlite3",
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    ],
)
def test_healthz_says_when_the_database_is_unreachable(unreachable):
    app = make_app(unreachable)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


def test_one_log_line_per_request_without_personal_data(client, auth, world, caplog):
    caplog.set_level(logging.INFO, logger="frontdesk.requests")
    citizen = {"REMOTE_ADDR": "198.51.100.23"}
    auth.login("anna")
    logged = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "2", "note": "Sven Svensson"},
        environ_base=citizen,
    )
    assert logged.status_code == 303  # back to the counter
    client.get(
        "/disk/kontakter/idag?sok=Svensson", headers={"HX-Request": "true"}, environ_base=citizen
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "frontdesk.requests"]
    assert len(lines) == 3
    login, contact, listing = lines
    assert login.startswith("POST /login 302 ")
    assert contact.startswith("POST /disk/kontakter 303 ")
    assert contact.endswith(f"user={world.users['anna']}")
    assert listing.startswith("GET /disk/kontakter/idag 200 ")
    text = "\n".join(lines)
    for personal in ("Svensson", "198.51.100.23", "anna", "sok="):
        assert personal not in text


def test_a_route_with_an_id_is_logged_by_its_pattern(client, auth, world, caplog):
    caplog.set_level(logging.INFO, logger="frontdesk.requests")
    auth.login("erik")
    client.get("/remisser/987654")
    line = [r.getMessage() for r in caplog.records if r.name == "frontdesk.requests"][-1]
    assert "987654" not in line and "/remisser/<int:" in line and " 404 " in line
