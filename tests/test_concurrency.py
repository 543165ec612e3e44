"""Simultaneous claims against a running server: exactly one handler gets the referral."""

import json
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import ApiToken, AuditEvent, Organisation, Referral, User
from frontdesk.models.user import hash_token
from tests.helpers import serving

CLAIMS = 20


@pytest.fixture
def server(app, world):
    """The test app served by a threaded HTTP server on loopback."""
    with serving(app) as base:
        yield base


def _handlers(app, count: int) -> list[str]:
    with app.app_context():
        tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
        tokens = []
        for index in range(count):
            user = User(
                username=f"h{index}",
                display_name=f"H {index}",
                role="handlaggare",
                organisation=tek,
            )
            user.set_password("irrelevant-123")
            tokens.append(f"token-h{index}")
            db.session.add_all([user, ApiToken(user=user, token_hash=hash_token(tokens[-1]))])
        db.session.commit()
    return tokens


def _post(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_twenty_simultaneous_claims_exactly_one_wins(app, world, server):
    tokens = _handlers(app, CLAIMS)
    status, body = _post(
        f"{server}/api/v1/contacts",
        world.tokens["anna"],
        {"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 5},
    )
    assert status == 201
    referral_id = body["referral"]["id"]
    barrier = threading.Barrier(CLAIMS)
    results: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def claim(token: str) -> None:
        barrier.wait()
        outcome = _post(f"{server}/api/v1/referrals/{referral_id}/claim", token)
        with lock:
            results.append((token, *outcome))

    threads = [threading.Thread(target=claim, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200] + [409] * (CLAIMS - 1), statuses
    winner = next(token for token, status, _ in results if status == 200)
    losers = [body for _, status, body in results if status == 409]
    assert all(body["status"] == "pagar" for body in losers)
    assert all("redan tagen av" in body["error"] for body in losers)
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        assert referral.status == "pagar"
        assert referral.claimed_by.username == winner.removeprefix("token-")
        assert referral.version == 2
        claims = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "referral.claimed", AuditEvent.entity_id == referral_id)
        )
        assert claims == 1
