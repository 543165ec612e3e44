"""The back-office pages and the counter's callbacks, through the browser-facing routes."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Referral
from frontdesk.timeutil import local_today, utcnow
from tests.helpers import one

HTMX = {"HX-Request": "true"}


@pytest.fixture
def referral_id(client, auth, world):
    """A K1 contact above the mandate for PARK: a referral to TEK-GATA."""
    auth.login("anna")
    client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "5", "question": "Kortet?"},
    )
    auth.logout()
    with client.application.app_context():
        return db.session.scalar(sa.select(Referral.id))


def test_queue_page_lists_open_referrals_with_counts(client, auth, referral_id):
    auth.login("erik")
    page = client.get("/remisser/")
    assert page.status_code == 200
    assert f'id="referral-{referral_id}"' in page.text
    assert "Parkeringstillstånd" in page.text
    assert "<strong>1</strong> ny" in page.text
    assert 'hx-trigger="every' in page.text  # refreshes itself


def test_queue_fragment_keeps_filters(client, auth, referral_id):
    auth.login("erik")
    headers = {**HTMX, "HX-Target": "queue-list"}
    fragment = client.get("/remisser/?status=ny&case_type=PARK", headers=headers)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert f'id="referral-{referral_id}"' in fragment.text
    empty = client.get("/remisser/?status=pagar", headers=headers)
    assert f'id="referral-{referral_id}"' not in empty.text
    assert "Inga remisser med de här filtren." in empty.text
    other_channel = client.get("/remisser/?channel=telefon", headers=headers)
    assert f'id="referral-{referral_id}"' not in other_channel.text


def test_overdue_referrals_are_highlighted(app, client, auth, referral_id):
    with app.app_context():
        db.session.get(Referral, referral_id).due_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    auth.login("erik")
    page = client.get("/remisser/").text
    assert re.search(rf'id="referral-{referral_id}" class="overdue"', page)
    assert "<strong>1</strong> försenade" in page
    only_overdue = client.get("/remisser/?overdue=1").text
    assert f'id="referral-{referral_id}"' in only_overdue


def test_other_organisations_referral_is_404(client, auth, referral_id):
    auth.login("admin")
    assert client.get(f"/remisser/{referral_id}").status_code == 200
    auth.logout()
    auth.login("johan")  # guide of another office
    assert client.get(f"/remisser/{referral_id}").status_code == 404


def test_claim_park_resume_and_answer_in_the_page(app, client, auth, referral_id):
    auth.login("erik")
    detail = client.get(f"/remisser/{referral_id}")
    assert "Ta remissen" in detail.text
    response = client.post(f"/remisser/{referral_id}/ta")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Remissen är din." in page and "Skicka svaret" in page
    # A bad parking date is refused next to the field.
    bad = client.post(
        f"/remisser/{referral_id}/parkera", data={"until": local_today().isoformat(), "reason": "x"}
    )
    assert bad.status_code == 422 and "Datumet måste ligga efter i dag." in bad.text
    assert one(app, Referral).status == "pagar"
    until = (local_today() + timedelta(days=4)).isoformat()
    client.post(f"/remisser/{referral_id}/parkera", data={"until": until, "reason": "Intyg"})
    assert one(app, Referral).status == "vantar"
    client.post(f"/remisser/{referral_id}/ta")
    assert one(app, Referral).status == "pagar"
    client.post(
        f"/remisser/{referral_id}/svara", data={"answer": "Beviljat.", "delivery": "callback"}
    )
    referral = one(app, Referral)
    assert (referral.status, referral.answer, referral.callback) == ("aterford", "Beviljat.", True)
    history = client.get(f"/remisser/{referral_id}").text
    for label in ("Tagen", "Parkerad", "Återupptagen", "Besvarad"):
        assert label in history


def test_guide_cannot_act_in_the_back_office(client, auth, referral_id):
    auth.login("anna")
    assert client.get(f"/remisser/{referral_id}").status_code == 200  # read-only
    assert client.post(f"/remisser/{referral_id}/ta").status_code == 403


def test_conflict_is_shown_not_500(app, client, auth, referral_id, world):
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        referral.status, referral.claimed_by_id = "pagar", world.users["admin"]
        db.session.commit()
    auth.login("erik")
    response = client.post(f"/remisser/{referral_id}/ta", follow_redirects=True)
    assert response.status_code == 200
    assert "redan tagen av Admin" in response.text


def test_callbacks_reach_the_counter_and_close_the_referral(app, client, auth, referral_id):
    auth.login("erik")
    client.post(f"/remisser/{referral_id}/ta")
    client.post(
        f"/remisser/{referral_id}/svara",
        data={"answer": "Ring och säg ja.", "delivery": "callback"},
    )
    auth.logout()
    auth.login("anna")
    counter = client.get("/disk").text
    assert 'id="callback-count">1<' in counter
    assert "Ring och säg ja." in counter
    fragment = client.get("/disk/aterkopplingar", headers=HTMX)
    assert "<html" not in fragment.text and "Ring och säg ja." in fragment.text
    done = client.post(f"/disk/aterkopplingar/{referral_id}/klar", headers=HTMX)
    assert done.status_code == 200
    assert "Inga svar väntar på återkoppling." in done.text
    referral = one(app, Referral)
    assert referral.status == "avslutad" and referral.closed_at is not None
    # Closing it twice is refused.
    assert client.post(f"/disk/aterkopplingar/{referral_id}/klar", headers=HTMX).status_code == 409


def test_other_office_guide_cannot_close_a_callback(app, client, auth, referral_id):
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        referral.status, referral.answer = "aterford", "Svar"
        referral.claimed_by_id = referral.answered_by_id = None
        db.session.commit()
    auth.login("johan")
    assert client.post(f"/disk/aterkopplingar/{referral_id}/klar", headers=HTMX).status_code == 404
    assert one(app, Referral).status == "aterford"


def test_managers_see_overdue_per_queue(app, client, auth, referral_id):
    with app.app_context():
        db.session.get(Referral, referral_id).due_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    auth.login("karin")
    page = client.get("/remisser/").text
    assert "Öppna och försenade remisser per kö" in page
    row = re.search(
        r'<tr class="overdue"><td><a href="/remisser/\?queue=TEK-GATA">Gata och park</a>.*?</tr>',
        page,
        re.S,
    )
    assert row and '<td class="num">1</td><td class="num">1</td>' in row.group(0)
    auth.logout()
    auth.login("erik")
    assert "per kö" not in client.get("/remisser/").text


def test_claim_straight_from_the_queue_list(app, client, auth, referral_id):
    auth.login("erik")
    page = client.get("/remisser/").text
    assert f'aria-label="Ta remiss {referral_id}"' in page
    response = client.post(f"/remisser/{referral_id}/ta")
    assert response.status_code == 303
    assert one(app, Referral).status == "pagar"
    assert f'aria-label="Ta remiss {referral_id}"' not in client.get("/remisser/").text
