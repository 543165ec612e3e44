"""The ROSA module through the app: staircase, recommendations and decisions, what-if, on both databases."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.counter.operations import ContactInput, correct_contact, delete_contact, log_contact
from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    ContactDayTally,
    ContactMonthTally,
    Mandate,
    MandateChange,
    Office,
    RecommendationDecision,
    User,
)
from frontdesk.tallies import TALLIES, rebuild
from frontdesk.timeutil import utcnow
from tests.helpers import count, one

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def log_many(app, spec, *, office="K1", days_ago=10, staff="anna", seconds=None):
    """Log contacts through the counter's own operation: {(case type, level): n}."""
    with app.app_context():
        office_row = db.session.scalar(sa.select(Office).where(Office.code == office))
        user = db.session.scalar(sa.select(User).where(User.username == staff))
        for (code, level), n in spec.items():
            case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
            for _ in range(n):
                log_contact(
                    ContactInput(
                        office=office_row,
                        channel="besok",
                        case_type=case_type,
                        rosa_level=level,
                        duration_seconds=seconds,
                        occurred_at=utcnow() - timedelta(days=days_ago),
                    ),
                    user,
                )
        db.session.commit()


def tallies_match_contacts(app) -> bool:
    with app.app_context():
        counted = dict(
            db.session.execute(
                sa.select(Contact.rosa_level, sa.func.count()).group_by(Contact.rosa_level)
            ).all()
        )
        days = dict(
            db.session.execute(
                sa.select(ContactDayTally.rosa_level, sa.func.sum(ContactDayTally.contacts))
                .group_by(ContactDayTally.rosa_level)
                .having(sa.func.sum(ContactDayTally.contacts) > 0)
            ).all()
        )
        months = dict(
            db.session.execute(
                sa.select(ContactMonthTally.rosa_level, sa.func.sum(ContactMonthTally.contacts))
                .group_by(ContactMonthTally.rosa_level)
                .having(sa.func.sum(ContactMonthTally.contacts) > 0)
            ).all()
        )
        return counted == days == months


def test_tallies_follow_logging_correcting_and_deleting(app, world, api):
    log_many(app, {("PARK", 1): 3, ("EKB", 6): 2}, days_ago=0)
    assert tallies_match_contacts(app)
    response = api.get("/rosa/staircase?office=K1", as_user="karin")
    assert response.json["total"] == 5
    with app.app_context():
        user = db.session.get(User, world.users["anna"])
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        correct_contact(
            contacts[0],
            ContactInput(contacts[0].office, "telefon", park, 2, occurred_at=None),
            user,
        )
        delete_contact(contacts[1], user)
        db.session.commit()
    assert tallies_match_contacts(app)
    levels = {
        s["level"]: s["count"] for s in api.get("/rosa/staircase", as_user="karin").json["levels"]
    }
    assert (levels[1], levels[2], levels[6]) == (1, 1, 2)
    # Recounting from scratch gives the same figures as keeping them in step, in every tally.
    with app.app_context():
        before = {t.table.name: tally_rows(t) for t in TALLIES}
        rebuild()
        db.session.commit()
        after = {t.table.name: tally_rows(t) for t in TALLIES}
    assert before == after


def tally_rows(tally) -> list[tuple]:
    """A tally's rows with counts, leaving out rows counted down to nothing."""
    rows = db.session.execute(sa.select(*tally.table.c)).all()
    return sorted(tuple(row) for row in rows if any(row._mapping[n] for n in tally.counts))


def test_staircase_shows_the_study_shares(app, world, api):
    # Contacts spread as in the 2008 study: 25 %, 65 %, 75 % at levels 1, 2 and 4.
    log_many(app, {("PARK", 1): 5, ("PARK", 2): 8, ("PARK", 3): 1, ("PARK", 4): 1})
    log_many(app, {("EKB", 5): 2, ("EKB", 6): 3}, office="K2", staff="johan")
    body = api.get("/rosa/staircase", as_user="karin").json
    assert body["total"] == 20
    cumulative = {s["level"]: s["cumulative_share"] for s in body["levels"]}
    assert (cumulative[1], cumulative[2], cumulative[4]) == (0.25, 0.65, 0.75)
    assert body["levels"][0] == {
        "level": 1,
        "name": "Information/upplysning",
        "count": 5,
        "share": 0.25,
        "cumulative_share": 0.25,
    }
    only_k2 = api.get("/rosa/staircase?office=K2", as_user="karin").json
    assert only_k2["total"] == 5
    only_ekb = api.get("/rosa/staircase?case_type=EKB&office=K1", as_user="admin").json
    assert only_ekb["total"] == 0 and only_ekb["levels"][0]["share"] == 0
    today = utcnow().date()
    old = api.get(
        f"/rosa/staircase?from={today - timedelta(days=400)}&to={today - timedelta(days=30)}",
        as_user="karin",
    ).json
    assert old["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=igår", "to"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("office=NOPE", "office"),
        ("case_type=NOPE", "case_type"),
        ("from=2000-01-01&to=2026-01-01", "from"),
    ],
)
def test_staircase_filters_are_checked(api, query, field):
    response = api.get(f"/rosa/staircase?{query}", as_user="karin")
    assert response.status_code == 422
    assert field in response.json["fields"]


def test_rosa_api_is_for_managers(api):
    for user in ("anna", "erik"):
        assert api.get("/rosa/staircase", as_user=user).status_code == 403
        assert api.get("/rosa/recommendations?office=K1", as_user=user).status_code == 403
        response = api.post(
            "/rosa/recommendations/K1:PARK:3:4/decision",
            json={"decision": "approve", "note": "x"},
            as_user=user,
        )
        assert response.status_code == 403
    assert api.get("/rosa/staircase", as_user=None).status_code == 401


def seed_history(app):
    # K1: PARK has mandate 3 (test catalogue), EKB the default 2.
    log_many(app, {("PARK", 1): 20, ("PARK", 3): 10, ("PARK", 4): 24, ("PARK", 5): 2}, days_ago=40)
    log_many(app, {("EKB", 2): 10, ("EKB", 3): 12, ("EKB", 6): 60}, days_ago=40)
    log_many(app, {("FKBARN", 1): 30}, days_ago=40)


def test_recommendations_are_ranked_with_their_figures(app, world, api):
    seed_history(app)
    response = api.get("/rosa/recommendations?office=K1", as_user="karin")
    assert response.status_code == 200
    by_type = {p["case_type"]: p for p in response.json}
    assert set(by_type) == {"PARK", "EKB"}  # FKBARN has nothing above its mandate
    park, ekb = by_type["PARK"], by_type["EKB"]
    assert (park["current_mandate"], park["target_mandate"]) == (3, 4)
    assert (ekb["current_mandate"], ekb["target_mandate"]) == (2, 3)
    assert park["id"] == "K1:PARK:3:4"
    # All history lies in the last two months: rates are over the months covered.
    assert park["referrals_avoided_per_month"] > 0
    assert park["share_still_referred"] == pytest.approx(2 / 56, abs=1e-4)
    assert ekb["share_still_referred"] == pytest.approx(60 / 82, abs=1e-4)
    assert ekb["poor_candidate"] is True and any("värderande" in w for w in ekb["warnings"])
    assert [p["case_type"] for p in response.json] == ["PARK", "EKB"]
    assert set(park) >= {
        "id",
        "office",
        "case_type",
        "current_mandate",
        "target_mandate",
        "referrals_avoided_per_month",
        "share_still_referred",
        "hours_moved_per_month",
        "warnings",
    }
    missing = api.get("/rosa/recommendations", as_user="karin")
    assert missing.status_code == 422 and "office" in missing.json["fields"]


def test_approval_changes_the_mandate_and_the_counter_routes_anew(app, world, api):
    seed_history(app)
    contact = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 4}
    assert api.post("/contacts", json=contact).json["outcome"] == "eskalerat"
    response = api.post(
        "/rosa/recommendations/K1:PARK:3:4/decision",
        json={"decision": "approve", "note": "Enligt överenskommelse med TEK"},
        as_user="karin",
    )
    assert response.status_code == 201, response.json
    assert response.json["decision"] == "approve" and response.json["decided_by"] == "karin"
    assert api.post("/contacts", json=contact).json["outcome"] == "informerat"
    with app.app_context():
        mandate = db.session.scalar(
            sa.select(Mandate.max_level)
            .join(CaseType)
            .where(CaseType.code == "PARK", Mandate.office_id == 1)
        )
        change = db.session.scalars(
            sa.select(MandateChange).order_by(MandateChange.id.desc())
        ).first()
        decision = db.session.scalars(sa.select(RecommendationDecision)).one()
        assert mandate == 4
        assert change.recommendation_id == decision.id and change.changed_by.username == "karin"
        assert "Enligt överenskommelse" in change.reason
        assert decision.figures["referrals_avoided_per_month"] > 0
    assert count(app, AuditEvent, AuditEvent.action == "recommendation.approved") == 1
    # Decided once: a second decision is refused, the proposal no longer stands.
    again = api.post(
        "/rosa/recommendations/K1:PARK:3:4/decision",
        json={"decision": "reject", "note": "nej"},
        as_user="admin",
    )
    assert again.status_code == 409 and again.json["decision"]["decided_by"] == "karin"
    listed = {
        p["case_type"] for p in api.get("/rosa/recommendations?office=K1", as_user="karin").json
    }
    assert "PARK" not in listed  # the mandate is 4 now: nothing left up to the ceiling


def test_rejection_is_kept_and_stale_proposals_are_refused(app, world, api):
    seed_history(app)
    rejected = api.post(
        "/rosa/recommendations/K1:EKB:2:3/decision",
        json={"decision": "reject", "note": "Mest värderande arbete"},
        as_user="karin",
    )
    assert rejected.status_code == 201
    listed = {
        p["case_type"]: p for p in api.get("/rosa/recommendations?office=K1", as_user="karin").json
    }
    assert listed["EKB"]["status"] == "avslagen" and listed["PARK"]["status"] == "ny"
    with app.app_context():
        changes = db.session.scalars(sa.select(MandateChange)).all()
        # A rejection leaves the mandate alone: only the catalogue's own PARK mandate exists.
        assert [c.new_level for c in changes] == [3] and changes[0].recommendation_id is None
    # The mandate changed by hand since the list was read: the proposal is stale.
    auth_page = api.post(
        "/rosa/recommendations/K1:PARK:2:4/decision",
        json={"decision": "approve", "note": "x"},
        as_user="karin",
    )
    assert auth_page.status_code == 409 and auth_page.json["current_id"] == "K1:PARK:3:4"
    unknown = api.post(
        "/rosa/recommendations/K9:PARK:3:4/decision",
        json={"decision": "approve", "note": "x"},
        as_user="karin",
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", "note": "x"}, "decision"),
        ({"decision": "approve"}, "note"),
        ({"decision": "approve", "note": "   "}, "note"),
        ({"decision": "approve", "note": "x" * 1001}, "note"),
        ({"decision": "approve", "note": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_decisions_change_nothing(app, world, api, body, field):
    seed_history(app)
    response = api.post("/rosa/recommendations/K1:PARK:3:4/decision", json=body, as_user="karin")
    assert response.status_code == 422 and field in response.json["fields"]
    assert count(app, RecommendationDecision) == 0
    assert one(app, Mandate).max_level == 3


def test_recommendation_page_approves_and_the_follow_up_lists_it(app, world, client, auth, api):
    seed_history(app)
    auth.login("karin")
    page = client.get("/rosa/rekommendationer?office=K1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Parkeringstillstånd" in html and "mandat 3 → 4" in html and "Svag kandidat" in html
    response = client.post(
        "/rosa/rekommendationer/K1:PARK:3:4/beslut",
        data={"decision": "approve", "note": "Rutinärende"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "har nu mandat 4" in html
    # Before the approval 24 of 56 PARK contacts were referred; after it, one at level 4 is not.
    api.post(
        "/contacts", json={"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 4}
    )
    html = client.get("/rosa/uppfoljning?office=K1").get_data(as_text=True)
    move = html.split('id="move-')[1].split("</tr>")[0]
    assert "3 → 4" in move and "rekommendation" in move and "För tidigt att säga" in move
    mandates = client.get("/mandat/?office=K1").get_data(as_text=True)
    assert "rekommendation</a>" in mandates
    # Without a note nothing is decided.
    bad = client.post(
        "/rosa/rekommendationer/K1:EKB:2:3/beslut",
        data={"decision": "approve", "note": ""},
        follow_redirects=True,
    )
    assert "Skriv en motivering." in bad.get_data(as_text=True)
    assert count(app, RecommendationDecision) == 1


def test_rosa_pages_are_for_managers(app, world, client, auth):
    auth.login("anna")
    for path in ("/rosa/trappan", "/rosa/rekommendationer", "/rosa/vad-om", "/processer/"):
        assert client.get(path).status_code == 403
    assert client.post("/rosa/rekommendationer/K1:PARK:3:4/beslut", data={}).status_code == 403


def test_staircase_page_draws_chart_and_table(app, world, client, auth):
    log_many(app, {("PARK", 1): 1, ("PARK", 2): 3})
    auth.login("karin")
    page = client.get("/rosa/trappan?office=K1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="img"' in html and "<table" in html and "100\u00a0%" in html
    fragment = client.get("/rosa/trappan?case_type=PARK", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="stair-result"' in fragment.get_data(as_text=True)
    bad = client.get("/rosa/trappan?from=2026-02-30")
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.get_data(as_text=True)


def test_what_if_page(app, world, client, auth):
    seed_history(app)
    auth.login("karin")
    assert client.get("/rosa/vad-om?office=K1").status_code == 200
    response = client.post(
        "/rosa/vad-om", data={"office": "K1", "target-PARK": "4"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    # 168 contacts; answered now: PARK 30 (<=3) + EKB 10 (<=2) + FKBARN 30 = 70, then +24.
    assert "41,7\u00a0%" in html and "56\u00a0%" in html
    bad = client.post("/rosa/vad-om", data={"office": "K1", "target-PARK": "12"})
    assert bad.status_code == 422 and "Nivån ska vara 1–8." in bad.get_data(as_text=True)


def test_a_failed_request_leaves_no_half_made_decision(app, world):
    """Decision, mandate change and audit commit or roll back together (no SAVEPOINT split)."""
    from frontdesk.periods import months_back
    from frontdesk.recommendations.operations import decide

    seed_history(app)
    with app.app_context():
        karin = db.session.get(User, world.users["karin"])
        decide("K1:PARK:3:4", "approve", "ok", karin, months_back(12), 4)
        db.session.rollback()
    assert count(app, RecommendationDecision) == 0
    assert one(app, Mandate).max_level == 3
    assert count(app, AuditEvent, AuditEvent.action.like("recommendation.%")) == 0


def test_what_if_and_decision_refuse_odd_values(app, world, client, auth):
    seed_history(app)
    auth.login("karin")
    response = client.post("/rosa/vad-om", data={"office": "K1", "target-PARK": "²"})
    assert response.status_code == 422
    blank = client.post(
        "/rosa/rekommendationer/K1:PARK:3:4/beslut",
        data={"decision": "approve", "note": "   "},
        follow_redirects=True,
    )
    assert "Skriv en motivering." in blank.get_data(as_text=True)
    assert count(app, RecommendationDecision) == 0
