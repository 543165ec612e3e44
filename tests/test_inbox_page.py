"""The inbox's message page: the counter's own controls in one form with Triagera and
Svara, Markera som skräp apart, outcomes in plain Swedish, and the message's outgoing
mail. Every test runs on SQLite and PostgreSQL.
"""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, InboxMessage, MailKind, OutgoingMail, Referral
from tests.helpers import count, one


@pytest.fixture
def guide(world, auth):
    auth.login("anna")
    return world


def post_message(api, **overrides):
    body = {
        "channel": "epost",
        "sender": "Eva Berg <eva@example.se>",
        "subject": "Parkering",
        "body": "Hur söker jag parkeringstillstånd?",
    } | overrides
    created = api.post("/inbox", json=body)
    assert created.status_code == 201, created.json
    return created.json


def _form(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    start = html.rindex("<form", 0, start)
    return html[start : html.index("</form>", start)]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_one_form_with_the_counters_controls_and_spam_apart(client, guide, api):
    message = post_message(api)
    html = client.get(f"/inkorg/{message['id']}").text
    form = _form(html, "handle-form")
    # The counter's controls: searchable case type, level cards, the routing preview.
    assert 'id="case_type"' in form and 'role="combobox"' in form
    assert 'aria-controls="case-type-options"' in form
    assert 'class="level-grid"' in form and form.count('name="rosa_level"') == 8
    assert 'id="route-preview"' in form and 'aria-live="polite"' in form
    # Both answers in the same form: Svara posts it elsewhere.
    assert f'action="/inkorg/{message["id"]}/triage"' in form
    assert ">Triagera</button>" in form
    assert f'formaction="/inkorg/{message["id"]}/svar"' in form and ">Svara</button>" in form
    assert 'id="reply"' in form and '<label for="reply">' in form
    # Spam is its own form, not a third button of this one.
    assert "Markera som skräp" not in form
    spam = html[html.index(f'action="/inkorg/{message["id"]}/skrap"') :]
    assert "Markera som skräp" in spam[: spam.index("</form>")]
    # The guidance panel and counter.js with the office's catalogue.
    assert 'id="guidance"' in html and "/static/counter.js" in html
    assert 'id="catalogue-data"' in html and '"code": "PARK"' in html
    assert html.count("data-counter-form") == 1


@pytest.mark.parametrize(
    ("fields", "said", "outcome"),
    [
        ({"rosa_level": "2"}, "är besvarat i disken.", "Besvarat i disken"),
        ({"rosa_level": "5"}, "är remitterat till Gata och park.", "Remitterat till Gata och park"),
        ({"rosa_level": "5", "put_through": "y"}, "är kopplat vidare.", "Kopplat vidare"),
    ],
)
def test_triage_says_the_outcome_in_plain_swedish(app, client, guide, api, fields, said, outcome):
    message = post_message(api)
    response = client.post(
        f"/inkorg/{message['id']}/triage",
        data={"case_type": "PARK – Parkeringstillstånd", "reply": "", **fields},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"{message['receipt']} {said}" in response.text
    assert "triagerat (" not in response.text and "informerat)" not in response.text
    assert one(app, InboxMessage).status == "triaged"
    # The list of handled messages and the message itself say it the same way.
    listing = _text(client.get("/inkorg/?status=triaged").text)
    assert "Utfall" in listing and outcome in listing
    page = _text(client.get(f"/inkorg/{message['id']}").text)
    assert outcome in page and 'id="handle-form"' not in page


def test_a_triage_without_a_level_names_that_and_not_the_reply(app, client, guide, api):
    message = post_message(api)
    response = client.post(f"/inkorg/{message['id']}/triage", data={"case_type": "PARK"})
    assert response.status_code == 422
    assert "Välj ROSA-nivå." in response.text
    # The reply is not needed for a triage: no error on it.
    assert "Skriv svaret." not in response.text and 'id="reply-error"' not in response.text
    assert 'value="PARK"' in response.text  # what was chosen stays
    assert one(app, InboxMessage).status == "new" and count(app, Contact) == 0


def test_a_reply_to_a_letter_is_refused_on_the_reply_and_nothing_changes(app, client, guide, api):
    registered = client.post(
        "/inkorg/brev",
        data={
            "sender": "Gun Ek, Storgatan 1",
            "subject": "Bygglov",
            "body": "Behöver jag bygglov för ett plank?",
            "received_on": "2026-03-02",
        },
    )
    assert registered.status_code == 303
    letter = one(app, InboxMessage)
    page = client.get(registered.headers["Location"]).text
    assert "meddelandet har ingen e-postadress" in page
    response = client.post(
        f"/inkorg/{letter.id}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Hej Gun, nej."},
    )
    assert response.status_code == 422
    assert "Meddelandet har ingen e-postadress att svara till." in response.text
    assert 'id="reply-error"' in response.text
    assert re.search(r'<textarea id="reply"[^>]*aria-invalid="true"', response.text)
    assert "Hej Gun, nej." in response.text  # nothing typed is lost
    again = one(app, InboxMessage)
    assert (again.status, again.reply, again.contact_id) == ("new", letter.reply, None)
    assert count(app, Contact) == 0 and count(app, OutgoingMail) == 0
    assert count(app, AuditEvent, AuditEvent.action == "inbox.answered") == 0


def test_a_reply_above_the_mandate_is_refused_on_the_level(app, client, guide, api):
    message = post_message(api)
    response = client.post(
        f"/inkorg/{message['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "5", "reply": "Ja."},
    )
    assert response.status_code == 422
    assert 'id="rosa_level-error"' in response.text and "över kontorets mandat" in response.text
    assert count(app, Contact) == 0 and count(app, OutgoingMail) == 0


def test_a_reply_with_an_address_is_queued_and_shown_on_the_page(app, client, guide, api):
    message = post_message(api, channel="webb", sender="", reply_to="eva@example.se")
    response = client.post(
        f"/inkorg/{message['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Ansök på kommunens webb."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"{message['receipt']} är besvarat; svaret skickas med e-post" in response.text
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address, mail.state) == (MailKind.REPLY, "eva@example.se", "queued")
    assert mail.inbox_message_id == message["id"]
    assert one(app, InboxMessage).status == "answered"
    assert one(app, Contact).outcome == "informerat"
    page = _text(client.get(f"/inkorg/{message['id']}").text)
    assert "Besvarad direkt" in page and "Ansök på kommunens webb." in page
    assert "Utgående e-post" in page
    assert "Svar på meddelandet till eva@example.se" in page
    assert "Väntar på att skickas" in page and "köad" in page


def test_a_failing_mail_shows_the_servers_answer(app, client, guide, api):
    message = post_message(api)
    client.post(
        f"/inkorg/{message['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Hej Eva."},
    )
    with app.app_context():
        db.session.execute(
            sa.update(OutgoingMail).values(
                state="failed", last_error="550 5.1.1 <eva@example.se>: mailbox unavailable"
            )
        )
        db.session.commit()
    page = _text(client.get(f"/inkorg/{message['id']}").text)
    assert "Kunde inte skickas" in page
    assert "Serverns svar: 550 5.1.1 <eva@example.se>: mailbox unavailable" in page


def test_a_message_without_mail_has_no_mail_heading(client, guide, api):
    message = post_message(api)
    assert "Utgående e-post" not in client.get(f"/inkorg/{message['id']}").text


def test_spam_is_set_aside_and_said(app, client, guide, api):
    message = post_message(api)
    response = client.post(f"/inkorg/{message['id']}/skrap", follow_redirects=True)
    assert f"{message['receipt']} är markerat som skräp." in response.text
    assert one(app, InboxMessage).status == "spam" and count(app, Contact) == 0
    listing = _text(client.get("/inkorg/?status=spam").text)
    assert "Skräp" in listing


def test_a_referral_from_the_page_links_to_the_referral(app, client, guide, api):
    message = post_message(api)
    client.post(f"/inkorg/{message['id']}/triage", data={"case_type": "PARK", "rosa_level": "5"})
    referral = one(app, Referral)
    page = client.get(f"/inkorg/{message['id']}").text
    assert f'href="/remisser/{referral.id}"' in page


def test_the_handled_list_asks_for_the_outcomes_in_one_query(app, client, guide, api):
    for n in range(3):
        message = post_message(api, subject=f"Fråga {n}")
        level = "5" if n else "1"
        client.post(
            f"/inkorg/{message['id']}/triage", data={"case_type": "PARK", "rosa_level": level}
        )
    statements = []

    def counting(conn, cursor, statement, *args):
        if re.search(r"(FROM|JOIN) referrals\b", statement):
            statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counting)
        try:
            listing = _text(client.get("/inkorg/?status=triaged").text)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counting)
    assert listing.count("Remitterat till Gata och park") == 2
    assert listing.count("Besvarat i disken") == 1
    assert len(statements) == 1
