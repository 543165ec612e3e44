"""The counter's citizen and question, the decision against the preview, the mandate poll,
the day's list (inbox contacts, found repeats) and the call-backs: the desk's side of the
loop (issue 13). Every test runs on SQLite and PostgreSQL.
"""

import json
import re

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    CaseType,
    Contact,
    InboxMessage,
    MailKind,
    Office,
    OutgoingMail,
    Referral,
)
from tests.helpers import count, last_seen, move_sessions, one

HTMX = {"HX-Request": "true"}
QUESTION = "Gäller tillståndet även för min dotters bil?"
# K1's mandate for PARK is 3 in the test catalogue: 4 is referred, 2 answered at the desk.
REFERRED = {"channel": "telefon", "case_type": "PARK", "rosa_level": "4"}
ANSWERED = {"channel": "besok", "case_type": "PARK", "rosa_level": "2"}


@pytest.fixture
def guide(world, auth):
    auth.login("anna")
    return world


def log(client, htmx=True, **fields):
    return client.post("/disk/kontakter", data=fields, headers=HTMX if htmx else {})


def _section(html: str) -> str:
    """The form's "Medborgaren och frågan" fieldset."""
    start = html.index('id="citizen-section"')
    return html[start : html.index("</fieldset>", start)]


# --- The form --------------------------------------------------------------------------


def test_the_section_is_in_the_page_without_javascript_between_preview_and_note(client, guide):
    html = client.get("/disk").text
    section = _section(html)
    # Shown as served: only counter.js hides it (until the preview says remiss).
    opening = re.search(r'<fieldset[^>]*id="citizen-section"[^>]*>', html).group(0)
    assert "hidden" not in opening
    assert "Medborgaren och frågan" in section
    for label in ("Namn", "Telefon", "E-post", "Vill bli kontaktad via", "Fråga till handläggaren"):
        assert label in section
    assert "Ring upp" in section and "Svar via e-post" in section
    assert 'maxlength="2000"' in section and "inga personnummer" in section
    assert "krävs vid remiss" in section
    # Tab order: case type, levels, preview, the citizen, then the note.
    positions = [
        html.index('id="case_type"'),
        html.index('name="rosa_level"'),
        html.index('id="route-preview"'),
        html.index('id="question"'),
        html.index('id="note"'),
    ]
    assert positions == sorted(positions)
    # counter.js reports what the preview said.
    assert 'name="previewed_outcome"' in html


def test_a_referral_keeps_the_citizen_and_shows_the_phone_the_swedish_way(app, client, guide):
    response = log(
        client,
        **REFERRED,
        citizen_name="  Sven Ek ",
        citizen_phone="070-123 45 67",
        citizen_email="Sven.Ek@Example.se",
        reach_by="telefon",
        question=QUESTION,
    )
    assert response.status_code == 200, response.text
    assert "Remiss skapad till" in response.text
    contact = one(app, Contact)
    assert contact.outcome == "eskalerat"
    assert contact.citizen_name == "Sven Ek"
    assert contact.citizen_phone == "+46701234567"
    assert contact.reach_by == "telefon" and contact.question == QUESTION
    assert count(app, Referral) == 1
    # Shown back in Swedish form wherever the guide sees it again.
    edit = client.get(f"/disk/kontakter/{contact.id}/andra").text
    assert 'value="070-123 45 67"' in edit and "+46701234567" not in edit
    assert 'value="telefon" checked' in edit


def test_without_javascript_the_referral_redirects_and_shows_the_decision(app, client, guide):
    response = log(client, htmx=False, **REFERRED, citizen_phone="0701234567", question=QUESTION)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Remiss skapad till" in page and "Frågan och kontaktuppgifterna" in page
    assert one(app, Contact).citizen_phone == "+46701234567"


def test_a_phone_number_alone_means_a_call(app, client, guide):
    log(client, **REFERRED, citizen_phone="+46 70 123 45 67", question=QUESTION)
    assert one(app, Contact).reach_by == "telefon"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"citizen_phone": "070-12"}, "citizen_phone", "Telefonnumret"),
        ({"citizen_email": "sven@"}, "citizen_email", "E-postadressen är inte giltig."),
        ({"reach_by": "epost"}, "reach_by", "Ange en e-postadress"),
        ({"reach_by": "telefon"}, "reach_by", "Ange ett telefonnummer"),
    ],
)
def test_bad_contact_details_are_named_and_nothing_is_written(
    app, client, guide, fields, field, message
):
    for htmx in (True, False):
        response = log(client, htmx=htmx, **REFERRED, question=QUESTION, **fields)
        assert response.status_code == 422
        assert message in response.text
        # Named next to its field, and the field points at it.
        assert f'id="{field}-error"' in response.text
        assert f'aria-describedby="{field}-error"' in response.text
    assert count(app, Contact) == 0 and count(app, Referral) == 0


def test_a_referral_without_the_question_is_refused_on_the_question(app, client, guide):
    response = log(client, **REFERRED, citizen_name="Sven Ek", question="   ")
    assert response.status_code == 422
    assert 'id="question-error"' in response.text
    assert re.search(r'<textarea id="question"[^>]*aria-invalid="true"', response.text)
    # The section stays open with what was typed.
    assert 'data-filled="1"' in response.text and 'value="Sven Ek"' in response.text
    assert count(app, Contact) == 0 and count(app, Referral) == 0
    # Without JavaScript the same, on the whole page.
    page = log(client, htmx=False, **REFERRED)
    assert page.status_code == 422 and 'id="question-error"' in page.text
    assert count(app, Contact) == 0


def test_within_the_mandate_no_question_is_needed(app, client, guide):
    response = log(client, **ANSWERED)
    assert response.status_code == 200 and "Besvarat i disken" in response.text
    contact = one(app, Contact)
    assert (contact.outcome, contact.question, contact.reach_by) == ("informerat", "", "")


def test_a_question_longer_than_2000_characters_is_refused(app, client, guide):
    response = log(client, **REFERRED, question="x" * 2001)
    assert response.status_code == 422 and "högst 2 000 tecken" in response.text
    assert count(app, Contact) == 0


# --- The decision against the preview ------------------------------------------------------


def test_the_decision_says_plainly_when_the_server_decided_otherwise(app, client, guide):
    # The page, with an older mandate, said "answered at the desk"; the server refers.
    response = log(client, **REFERRED, question=QUESTION, previewed_outcome="informerat")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.text))
    assert "Obs! Mandatet har ändrats" in text
    assert "kontakten blev en remiss, inte besvarad i disken." in text
    # The other way round: the page said remiss, the server (a raised mandate) answers.
    other = log(client, **ANSWERED, previewed_outcome="eskalerat")
    assert "kontakten blev besvarad i disken, inte en remiss." in other.text


def test_the_decision_after_a_redirect_compares_with_the_preview_too(client, guide):
    response = log(
        client, htmx=False, **REFERRED, question=QUESTION, previewed_outcome="informerat"
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Obs!" in page and "inte besvarad i disken" in page
    # Shown once: the next visit to the page has no decision.
    assert "Obs!" not in client.get("/disk").text


def test_no_remark_when_the_preview_was_right_or_missing(client, guide):
    for fields in (
        {**REFERRED, "question": QUESTION, "previewed_outcome": "eskalerat"},
        {**ANSWERED, "previewed_outcome": "informerat"},
        {**ANSWERED, "previewed_outcome": ""},
        {**ANSWERED, "previewed_outcome": "besvarat"},
    ):
        response = log(client, **fields)
        assert response.status_code == 200 and "Obs!" not in response.text


def test_a_referral_the_page_did_not_expect_asks_for_the_question_and_says_why(app, client, guide):
    response = log(client, **REFERRED, previewed_outcome="informerat")
    assert response.status_code == 422
    assert "Mandatet har ändrats sedan sidan laddades: kontakten blir en remiss." in response.text
    assert count(app, Contact) == 0


# --- The mandate poll ----------------------------------------------------------------------


def _set_mandate(app, office_code, case_type_code, level):
    from frontdesk.mandates.operations import set_mandate

    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type_code))
        set_mandate(office, case_type, level, "Nytt avtal", None)
        db.session.commit()


def test_the_catalogue_is_what_the_page_embeds_with_an_etag(client, guide):
    response = client.get("/disk/katalog", headers={"X-Background-Refresh": "1"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    etag = response.headers["ETag"]
    assert etag.strip('"') == response.json["version"]
    page = client.get("/disk").text
    embedded = re.search(
        r'<script type="application/json" id="catalogue-data"[^>]*>(.*?)</script>', page, re.S
    )
    assert json.loads(embedded.group(1)) == response.json["case_types"]
    assert f'data-version="{response.json["version"]}"' in page
    assert 'data-poll-seconds="15"' in page
    # Unchanged: 304 without a body.
    same = client.get("/disk/katalog", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.data == b""
    assert same.headers["ETag"] == etag


def test_the_catalogue_changes_with_a_mandate_by_the_api_and_by_the_operation(
    app, client, guide, api
):
    etag = client.get("/disk/katalog").headers["ETag"]
    changed = api.put(
        "/mandates/K1/PARK", json={"max_level": 4, "reason": "Nytt avtal"}, as_user="karin"
    )
    assert changed.status_code == 200, changed.json
    after_api = client.get("/disk/katalog", headers={"If-None-Match": etag})
    assert after_api.status_code == 200 and after_api.headers["ETag"] != etag
    park = next(e for e in after_api.json["case_types"] if e["code"] == "PARK")
    assert park["mandate"] == 4
    etag = after_api.headers["ETag"]
    _set_mandate(app, "K1", "PARK", 2)
    after_operation = client.get("/disk/katalog", headers={"If-None-Match": etag})
    assert after_operation.status_code == 200
    park = next(e for e in after_operation.json["case_types"] if e["code"] == "PARK")
    assert park["mandate"] == 2


def test_another_offices_mandate_does_not_change_this_offices_version(app, client, guide):
    etag = client.get("/disk/katalog").headers["ETag"]
    _set_mandate(app, "K2", "PARK", 5)
    assert client.get("/disk/katalog", headers={"If-None-Match": etag}).status_code == 304


def test_the_poll_is_not_activity_but_the_guides_requests_are(client, guide):
    move_sessions(client.application, "anna", idle_minutes=10)
    before = last_seen(client.application, "anna")
    client.get("/disk/katalog", headers={"X-Background-Refresh": "1"})
    assert last_seen(client.application, "anna") == before
    client.get("/disk/katalog")
    assert last_seen(client.application, "anna") > before


def test_a_handler_may_not_read_the_counters_catalogue(client, world, auth):
    auth.login("erik")
    assert client.get("/disk/katalog").status_code == 403


# --- Today's list ------------------------------------------------------------------------


def test_inbox_contacts_link_to_their_message_instead_of_change_and_delete(app, client, guide, api):
    message = api.post("/inbox", json={"channel": "epost", "body": "Hej", "subject": "P"}).json
    triage = {"case_type": "PARK", "rosa_level": 1}
    assert api.post(f"/inbox/{message['id']}/triage", json=triage).status_code == 201
    log(client, **ANSWERED)
    from_inbox = one(app, InboxMessage).contact_id
    at_desk = one(app, Contact, Contact.channel == "besok").id
    listing = client.get("/disk/kontakter/idag", headers=HTMX).text
    row = listing[listing.index(f'id="contact-{from_inbox}"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/inkorg/{message["id"]}"' in row
    assert f"Se meddelandet {message['receipt']}" in row
    assert "Ändra" not in row and "Ta bort" not in row
    assert f"contact-{at_desk}-edit" in listing and f"contact-{at_desk}-remove" in listing


def test_the_list_asks_for_the_messages_in_one_query(app, client, guide, api):
    for n in range(4):
        message = api.post("/inbox", json={"channel": "epost", "body": f"Fråga {n}"}).json
        api.post(f"/inbox/{message['id']}/triage", json={"case_type": "PARK", "rosa_level": 1})
    statements = []

    def counting(conn, cursor, statement, *args):
        if "inbox_messages" in statement:
            statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counting)
        try:
            listing = client.get("/disk/kontakter/idag", headers=HTMX).text
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counting)
    assert listing.count("Se meddelandet") == 4
    assert len(statements) == 1


def test_a_found_repeat_names_the_earlier_contact(app, client, guide):
    log(client, **ANSWERED, citizen_phone="0701234567")
    log(client, **ANSWERED, citizen_phone="070-123 45 67")
    with app.app_context():
        first, second = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        first_id, second_id = first.id, second.id
        assert second.repeat_of_id == first.id
    listing = client.get("/disk/kontakter/idag", headers=HTMX).text
    row = listing[listing.index(f'id="contact-{second_id}"') :]
    row = row[: row.index("</tr>")]
    assert "Upprepad (hittad)" in row
    assert 'title="Samma medborgare och ärendetyp som kontakten ' in row
    assert f'href="#contact-{first_id}"' in row


# --- Call-backs --------------------------------------------------------------------------


def _answered(api, question=QUESTION, **citizen):
    body = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
    logged = api.post("/contacts", json={**body, "citizen": citizen, "question": question})
    referral_id = logged.json["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    answered = api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": f"Ja, svar {referral_id}.", "callback": True},
        as_user="erik",
    )
    assert answered.status_code == 200, answered.json
    return referral_id


def _said(response) -> str:
    """The message the counter shows after a list action (an HX-Trigger event)."""
    return json.loads(response.headers["HX-Trigger"])["counter-message"]


def _card(listing: str, referral_id: int) -> str:
    start = listing.index(f'id="callback-{referral_id}"')
    return listing[start : listing.index("</article>", start)]


def test_every_callback_says_whom_to_call_the_question_and_the_answer(client, world, api, auth):
    first = _answered(api, name="Sven Ek", phone="070-123 45 67", reach_by="telefon")
    second = _answered(api, question="Får jag parkera på gatan?", phone="08-123 456 78")
    third = _answered(api, name="Gun Lind", phone="0701112233")
    auth.login("anna")
    listing = client.get("/disk/aterkopplingar", headers=HTMX).text
    # Newest answer first, all of them, nothing folded.
    assert listing.index(f"callback-{third}") < listing.index(f"callback-{second}")
    assert listing.index(f"callback-{second}") < listing.index(f"callback-{first}")
    assert "<details" not in listing
    card = _card(listing, first)
    assert "Sven Ek" in card and '<a href="tel:+46701234567">070-123 45 67</a>' in card
    assert "Vill bli uppringd" in card
    assert QUESTION in card and f"Ja, svar {first}." in card
    # Ids on the buttons: the focus can go to the next card's button after one is closed.
    assert f'id="callback-{first}-done"' in card and "Skicka svaret via e-post" not in card
    assert 'id="callbacks-heading"' in listing


def test_closing_a_callback_returns_the_list_without_it(client, world, api, auth):
    first = _answered(api, phone="0701234567")
    second = _answered(api, phone="0707654321")
    auth.login("anna")
    response = client.post(f"/disk/aterkopplingar/{second}/klar", headers=HTMX)
    assert response.status_code == 200
    assert f"callback-{second}" not in response.text
    assert f'id="callback-{first}-done"' in response.text
    assert "Återkopplingen är klar" in _said(response)


def test_an_e_mail_only_callback_offers_e_mail_and_closes_with_one_mail(
    app, client, world, api, auth
):
    referral_id = _answered(api, name="Eva Berg", email="eva@example.se")
    auth.login("anna")
    card = _card(client.get("/disk/aterkopplingar", headers=HTMX).text, referral_id)
    assert "Skicka svaret via e-post" in card and "Uppringd – klar" not in card
    assert "eva@example.se" in card
    response = client.post(f"/disk/aterkopplingar/{referral_id}/epost", headers=HTMX)
    assert response.status_code == 200
    assert "Svaret ligger i utkorgen och skickas med e-post" in _said(response)
    assert f"callback-{referral_id}" not in response.text
    assert one(app, Referral).status == "avslutad"
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address, mail.state) == (MailKind.ANSWER, "eva@example.se", "queued")
    assert f"Ja, svar {referral_id}." in mail.body


def test_the_e_mail_callback_without_javascript_flashes_and_redirects(
    app, client, world, api, auth
):
    referral_id = _answered(api, email="eva@example.se")
    auth.login("anna")
    response = client.post(f"/disk/aterkopplingar/{referral_id}/epost")
    assert response.status_code == 303
    page = client.get("/disk").text
    assert "Svaret ligger i utkorgen och skickas med e-post" in page
    # A second time is refused like the other refusals: said, nothing more queued.
    again = client.post(f"/disk/aterkopplingar/{referral_id}/epost", follow_redirects=True)
    assert "Remissen väntar inte på återkoppling." in again.text
    assert count(app, OutgoingMail) == 1


def test_an_e_mail_callback_without_an_address_is_refused(app, client, world, api, auth):
    referral_id = _answered(api, phone="0701234567")
    auth.login("anna")
    response = client.post(f"/disk/aterkopplingar/{referral_id}/epost", headers=HTMX)
    assert response.status_code == 409
    assert "någon e-postadress" in json.loads(response.headers["HX-Trigger"])["counter-error"]
    assert one(app, Referral).status == "aterford" and count(app, OutgoingMail) == 0


def test_a_phone_first_citizen_with_an_address_gets_the_call_first(client, world, api, auth):
    referral_id = _answered(api, phone="0701234567", email="eva@example.se", reach_by="telefon")
    auth.login("anna")
    card = _card(client.get("/disk/aterkopplingar", headers=HTMX).text, referral_id)
    assert card.index(f"callback-{referral_id}-done") < card.index(f"callback-{referral_id}-mail")


def test_another_offices_callback_cannot_be_mailed(app, client, world, api, auth):
    referral_id = _answered(api, email="eva@example.se")
    auth.login("johan")  # K2
    assert client.post(f"/disk/aterkopplingar/{referral_id}/epost").status_code == 404
    assert one(app, Referral).status == "aterford" and count(app, OutgoingMail) == 0
