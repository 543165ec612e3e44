"""API tokens carry a label and an expiry; an expired token gets 401 with a clear message.

The expiry is checked at every use: a token the process has cached is refused once its
time has passed, with nothing written to the database to tell the cache.
"""

from datetime import timedelta

import sqlalchemy as sa

from frontdesk import cache
from frontdesk.extensions import db
from frontdesk.models import ApiToken, AuditEvent
from frontdesk.timeutil import utcnow
from tests.helpers import one


def _versions(app):
    with app.app_context():
        return db.session.execute(sa.text("SELECT catalogue, tokens FROM cache_versions")).one()


def test_a_cached_token_is_refused_once_it_expires_without_a_write(app, client, world, monkeypatch):
    headers = {"Authorization": f"Bearer {world.tokens['anna']}"}
    assert client.get("/api/v1/offices", headers=headers).status_code == 200  # cached now
    before = _versions(app)
    expires_at = one(app, ApiToken, ApiToken.user_id == world.users["anna"]).expires_at
    assert timedelta(days=364) < expires_at - utcnow() <= timedelta(days=365)
    # A year and a day later, by the cache's clock.
    monkeypatch.setattr(cache, "utcnow", lambda: expires_at + timedelta(days=1))
    refused = client.get("/api/v1/offices", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    message = refused.get_json()["error"]
    assert message.startswith("API-nyckeln gick ut ") and "administratör" in message
    assert _versions(app) == before
    # Another person's token, created later, still works.
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == world.users["omar"])
            .values(expires_at=expires_at + timedelta(days=30))
        )
        db.session.commit()
    omar = {"Authorization": f"Bearer {world.tokens['omar']}"}
    assert client.get("/api/v1/offices", headers=omar).status_code == 200


def test_a_token_without_an_expiry_is_refused(app, client, world):
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == world.users["anna"])
            .values(expires_at=None)
        )
        db.session.commit()
    headers = {"Authorization": f"Bearer {world.tokens['anna']}"}
    response = client.get("/api/v1/offices", headers=headers)
    assert response.status_code == 401 and "gick ut" in response.get_json()["error"]


def test_create_token_with_label_and_days(app, runner, client, world):
    result = runner.invoke(
        args=["create-token", "erik", "--label", "Ärendesystemet", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert "Gäller till" in result.stderr
    row = one(app, ApiToken, ApiToken.name == "Ärendesystemet")
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/offices", headers=headers).status_code == 200
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "api_token.created")
        )
        assert event.data == {"token": row.id, "label": "Ärendesystemet", "days": 30}
    for args in (["--days", "0"], ["--days", "3651"], ["--days", "ett"], ["--label", "x" * 101]):
        refused = runner.invoke(args=["create-token", "erik", *args])
        assert refused.exit_code != 0, args
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))
            == len(world.tokens) + 1
        )
