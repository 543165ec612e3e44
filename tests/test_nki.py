"""What citizens think: one link per contact, answered once, NKI and the response rate."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.feedback.queries import respondent_index
from frontdesk.models import Contact, FeedbackAnswer, OutgoingMail

VISIT = {"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 1}


def _path(created: dict) -> str:
    return "/" + created["feedback_url"].split("/", 3)[3]


def test_nki_is_the_mean_of_the_respondents_rescaled():
    assert respondent_index(10, 10, 10) == 100
    assert respondent_index(1, 1, 1) == 0
    assert respondent_index(8, 7, 6) == pytest.approx((7 - 1) / 9 * 100)


def test_a_link_answers_once_and_a_guessed_one_is_refused(app, api, client):
    created = api.post("/contacts", json=VISIT).json
    path = _path(created)
    assert client.get(path).status_code == 200
    first = client.post(path, json={"q1": 9, "q2": 8, "q3": 7, "comment": "Bra! 811228-9874"})
    assert first.status_code == 201
    again = client.post(path, json={"q1": 1, "q2": 1, "q3": 1})
    assert again.status_code == 409 and "redan besvarade" in again.json["error"]
    assert client.get(path).status_code == 409
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.post(forged, json={"q1": 9, "q2": 9, "q3": 9}).status_code == 404
    with app.app_context():
        (answer,) = db.session.scalars(sa.select(FeedbackAnswer)).all()
        assert (answer.q1, answer.q2, answer.q3, answer.channel) == (9, 8, 7, "besok")
        assert answer.comment == "Bra! XXXXXX-9874"
        # Nothing ties the answer to the contact or the guide but a keyed hash.
        columns = set(FeedbackAnswer.__table__.columns.keys())
        assert not columns & {"contact_id", "staff_id", "occurred_at"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"q1": 11, "q2": 5, "q3": 5}, "q1"),
        ({"q1": 5, "q2": 0, "q3": 5}, "q2"),
        ({"q1": 5, "q2": 5}, "q3"),
        ({"q1": "5", "q2": 5, "q3": 5}, "q1"),
        ({"q1": 5, "q2": 5, "q3": 5, "comment": "x" * 2001}, "comment"),
        ({"q1": 5, "q2": 5, "q3": 5, "namn": "Eva"}, "namn"),
    ],
)
def test_bad_answers_name_the_field_and_store_nothing(app, api, client, body, field):
    path = _path(api.post("/contacts", json=VISIT).json)
    answer = client.post(path, json=body)
    assert answer.status_code == 422 and field in answer.json["fields"], answer.json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 0
    # The same link still works after a refused answer.
    assert client.post(path, json={"q1": 5, "q2": 5, "q3": 5}).status_code == 201


def test_the_form_says_what_is_missing_in_swedish(api, client):
    path = _path(api.post("/contacts", json=VISIT).json)
    page = client.post(path, data={"q1": "7", "q2": "8"})
    assert page.status_code == 422 and "Välj ett värde från 1 till 10." in page.text
    done = client.post(path, data={"q1": "7", "q2": "8", "q3": "9"})
    assert done.status_code == 201 and "Tack för ditt svar!" in done.text


def test_an_old_link_has_expired(app, api, client):
    created = api.post("/contacts", json=VISIT).json
    with app.app_context():
        contact = db.session.get(Contact, created["id"])
        contact.occurred_at = contact.occurred_at - timedelta(days=31)
        db.session.commit()
    assert client.post(_path(created), json={"q1": 5, "q2": 5, "q3": 5}).status_code == 410


def test_stats_give_nki_respondents_and_response_rate(api, client, world):
    answers = [(10, 10, 10), (1, 1, 1), (8, 7, 6)]
    for scores in answers:
        created = api.post("/contacts", json=VISIT).json
        client.post(_path(created), json=dict(zip(("q1", "q2", "q3"), scores, strict=True)))
    api.post("/contacts", json=VISIT)  # a fourth contact, not answered
    stats = api.get("/stats/nki?office=K1", as_user="karin")
    assert stats.status_code == 200, stats.json
    expected = (100 + 0 + (7 - 1) / 9 * 100) / 3
    assert stats.json["nki"] == round(expected, 1)
    assert (stats.json["respondents"], stats.json["contacts"]) == (3, 4)
    assert stats.json["response_rate"] == 0.75
    assert api.get("/stats/nki?office=K2", as_user="karin").json["respondents"] == 0
    assert api.get("/stats/nki?from=igår", as_user="karin").status_code == 422
    assert api.get("/stats/nki", as_user="anna").status_code == 403


def test_the_nki_page_shows_the_index_per_channel_and_the_comments(api, client, auth, world):
    created = api.post("/contacts", json=VISIT).json
    client.post(
        _path(created), json={"q1": 10, "q2": 10, "q3": 10, "comment": "Trevligt bemötande"}
    )
    auth.login("karin")
    page = client.get("/oversikt/nki?office=K1")
    assert page.status_code == 200
    assert 'id="nki-total">100<' in page.text and "Trevligt bemötande" in page.text
    assert "Per kanal" in page.text and "Besök" in page.text
    per_period = page.text.split("Per period", 1)[1].split("</table>", 1)[0]
    assert per_period.count("<tr>") == 2  # the header and this week


def test_the_desk_shows_a_qr_code_and_the_tablet_asks_right_after_the_visit(
    app, world, client, auth
):
    auth.login("anna")
    client.post(
        "/disk/kontakter", data={"channel": "besok", "case_type": "PARK", "rosa_level": "1"}
    )
    desk = client.get("/disk")
    assert "Tyck till-kod för besökaren" in desk.text and '<svg width="' in desk.text
    screen = client.get("/disk/surfplatta/fragor", headers={"HX-Request": "true"})
    assert screen.status_code == 200 and "Vad tyckte du om besöket?" in screen.text
    action = screen.text.split('hx-post="', 1)[1].split('"', 1)[0]
    thanks = client.post(
        action, data={"q1": "9", "q2": "9", "q3": "9"}, headers={"HX-Request": "true"}
    )
    assert thanks.status_code == 201 and thanks.headers["HX-Retarget"] == "#tablet-screen"
    after = client.get("/disk/surfplatta/fragor?visar=tack", headers={"HX-Request": "true"})
    assert "Välkommen!" in after.text


def test_the_emailed_answer_carries_the_link(app, api, client, world):
    created = api.post(
        "/contacts",
        json={**VISIT, "rosa_level": 5, "citizen": {"email": "eva@example.se"}, "question": "?"},
    ).json
    referral = created["referral"]["id"]
    api.post(f"/referrals/{referral}/claim", as_user="erik")
    answered = api.post(
        f"/referrals/{referral}/answer",
        json={"answer": "Ja.", "send_email": True},
        as_user="erik",
    )
    assert answered.status_code == 200, answered.json
    with app.app_context():
        mail = db.session.scalars(
            sa.select(OutgoingMail).where(OutgoingMail.to_address == "eva@example.se")
        ).one()
    assert created["feedback_url"] in mail.body
