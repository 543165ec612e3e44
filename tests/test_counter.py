"""The counter page: logging contacts, the routing decision, today's list, corrections."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, Referral
from frontdesk.timeutil import utcnow
from rosa.calendar import WorkingHours, add_working_hours
from tests.helpers import count, one

HTMX = {"HX-Request": "true"}


QUESTION = "Hur ansöker jag, och hur lång tid tar det?"


def log(client, htmx=True, **fields):
    """Log a contact at the counter; a referral needs the question, so one is always there."""
    data = {"channel": "besok", "case_type": "PARK", "rosa_level": "2", "question": QUESTION}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/disk/kontakter", data=data, headers=HTMX if htmx else {})


@pytest.fixture
def guide(world, auth):
    auth.login("anna")
    return world


def test_counter_page_shows_form_levels_and_catalogue(client, guide):
    page = client.get("/disk")
    assert page.status_code == 200
    html = page.text
    assert "Registrera kontakt" in html
    assert 'id="case_type"' in html and 'role="combobox"' in html
    # Slashes get a zero-width space so that long level names can wrap.
    for name in ("Information/\u200bupplysning", "Värderande handläggning", "Politik"):
        assert name in html
    assert '"code": "PARK"' in html  # the type-ahead's catalogue
    assert "Medborgarkontoret Centrum" in html


def test_within_mandate_is_answered_at_the_desk(app, client, guide):
    response = log(client, rosa_level="3")  # K1's mandate for PARK is 3
    assert response.status_code == 200
    assert "Besvarat i disken" in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "contact-logged" in response.headers["HX-Trigger"]
    contact = one(app, Contact)
    assert (contact.outcome, contact.rosa_level, contact.channel) == ("informerat", 3, "besok")
    assert contact.staff_id == guide.users["anna"]
    assert count(app, Referral) == 0


def test_above_mandate_creates_referral_to_owner_queue(app, client, guide):
    response = log(client, rosa_level="4", channel="telefon")
    assert response.status_code == 200
    assert "Remiss skapad till" in response.text
    assert "Gata och park" in response.text
    referral = one(app, Referral)
    contact = one(app, Contact)
    assert contact.outcome == "eskalerat"
    assert referral.contact_id == contact.id and referral.status == "ny"
    # Due time: the case type's SLA (72 h for PARK) in working hours, Mon-Fri 08-17.
    assert referral.due_at == add_working_hours(referral.created_at, 72, WorkingHours())
    assert referral.due_at - referral.created_at >= timedelta(days=8)


def test_default_mandate_applies_without_agreement(app, client, guide):
    log(client, case_type="EKB", rosa_level="2")
    log(client, case_type="EKB", rosa_level="3")
    outcomes = sorted(c.outcome for c in _contacts(app))
    assert outcomes == ["eskalerat", "informerat"]


def test_owner_without_named_queue_gets_its_default_queue(app, client, guide):
    response = log(client, case_type="EKB", rosa_level="6")
    assert "Socialförvaltningen" in response.text
    with app.app_context():
        referral = db.session.scalars(sa.select(Referral)).one()
        assert referral.queue.code == "SOC"


def test_put_through_needs_no_referral(app, client, guide):
    response = log(client, rosa_level="6", outcome="kopplat")
    assert "Kopplat vidare" in response.text
    assert one(app, Contact).outcome == "kopplat"
    assert count(app, Referral) == 0


def test_without_htmx_the_page_redirects_and_shows_the_decision(app, client, guide):
    response = log(client, htmx=False, rosa_level="5")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Remiss skapad till" in page.text
    assert count(app, Contact) == 1


def test_form_comes_back_ready_with_the_channel_kept(client, guide):
    response = log(client, channel="telefon")
    assert re.search(r'value="telefon"[^>]*checked', response.text)
    assert "<html" not in response.text  # a fragment, not a page


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"case_type": "FINNSINTE"}, "Okänd ärendetyp"),
        ({"case_type": ""}, "Välj ärendetyp."),
        ({"channel": "fax"}, "Okänd kanal."),
        ({"channel": None}, "Välj kanal."),
        ({"rosa_level": "9"}, "ROSA-nivån ska vara 1–8."),
        ({"rosa_level": "0"}, "ROSA-nivån ska vara 1–8."),
        ({"rosa_level": None}, "Välj ROSA-nivå."),
        ({"rosa_level": "tre"}, "ROSA-nivån ska vara 1–8."),
        ({"note": "x" * 2001}, "högst 2 000 tecken"),
        ({"duration_minutes": "-3"}, "Ange tiden i minuter"),
        ({"outcome": "eskalerat"}, "bara anges som kopplat"),
    ],
)
def test_bad_input_gets_swedish_message_and_writes_nothing(
    app, client, guide, fields, field_message
):
    response = log(client, **fields)
    assert response.status_code == 422
    assert field_message in response.text
    assert 'aria-invalid="true"' in response.text or "has-error" in response.text
    assert count(app, Contact) == 0
    assert count(app, AuditEvent, AuditEvent.action == "contact.logged") == 0


def test_personnummer_in_note_is_masked_before_storage(app, client, guide):
    log(client, note="Medborgaren 19850312-1231 vill ha svar")
    assert one(app, Contact).note == "Medborgaren XXXXXX-1231 vill ha svar"


def test_case_type_found_by_label_as_the_type_ahead_shows_it(app, client, guide):
    log(client, case_type="PARK – Parkeringstillstånd")
    assert one(app, Contact).case_type_id is not None


def test_duration_is_kept_in_seconds(app, client, guide):
    log(client, duration_minutes="4")
    assert one(app, Contact).duration_seconds == 240


def test_logging_writes_an_audit_event(app, client, guide):
    log(client, rosa_level="4")
    event = one(app, AuditEvent, AuditEvent.action == "contact.logged")
    assert event.user_id == guide.users["anna"]
    assert event.data["outcome"] == "eskalerat" and event.data["referral_id"]


def test_todays_list_is_a_fragment_for_htmx(client, guide):
    log(client, case_type="EKB", rosa_level="1")
    response = client.get("/disk/kontakter/idag", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Ekonomiskt bistånd" in response.text
    assert "<strong>1</strong> kontakter" in response.text


def test_todays_list_shows_only_this_office_and_today(app, client, guide, auth):
    log(client, case_type="EKB")
    auth.logout()
    auth.login("johan")  # K2
    log(client, case_type="FKBARN")
    with app.app_context():  # a contact from yesterday at K2
        old = db.session.scalars(sa.select(Contact)).all()[-1]
        db.session.add(
            Contact(
                office_id=old.office_id,
                channel="besok",
                case_type_id=old.case_type_id,
                rosa_level=1,
                outcome="informerat",
                occurred_at=utcnow() - timedelta(days=2),
            )
        )
        db.session.commit()
    html = client.get("/disk/kontakter/idag", headers=HTMX).text
    assert "Föräldrapenning" in html and "Ekonomiskt bistånd" not in html
    assert "<strong>1</strong> kontakter" in html


def test_guidance_panel_shows_mandate_owner_queue_and_links(client, guide):
    response = client.get("/disk/arendetyper/PARK", headers=HTMX)
    assert response.status_code == 200
    assert "upp till nivå <strong>3</strong>" in response.text
    assert "Tekniska förvaltningen" in response.text and "Gata och park" in response.text
    assert '<a href="https://example.se/park"' in response.text
    assert client.get("/disk/arendetyper/NOPE", headers=HTMX).status_code == 404


def test_catalogue_lists_this_offices_most_used_case_types_first(client, guide):
    for _ in range(3):
        log(client, case_type="FKBARN", rosa_level="1")
    log(client, case_type="EKB", rosa_level="1")
    html = client.get("/disk").text
    assert (
        html.index('"code": "FKBARN"') < html.index('"code": "EKB"') < html.index('"code": "PARK"')
    )


def _contacts(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_correcting_own_contact_routes_again(app, client, guide):
    log(client, rosa_level="2")
    contact_id = _contacts(app)[0].id
    form = client.get(f"/disk/kontakter/{contact_id}/andra")
    assert form.status_code == 200 and "Spara ändringen" in form.text
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "telefon", "case_type": "PARK", "rosa_level": "5", "question": QUESTION},
    )
    assert response.status_code == 302
    contact = _contacts(app)[0]
    assert (contact.rosa_level, contact.outcome, contact.channel) == (5, "eskalerat", "telefon")
    assert count(app, Referral) == 1
    # Back within the mandate: the untouched referral goes away again.
    client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "telefon", "case_type": "PARK", "rosa_level": "1"},
    )
    assert _contacts(app)[0].outcome == "informerat"
    assert count(app, Referral) == 0
    events = count(app, AuditEvent, AuditEvent.action == "contact.corrected")
    assert events == 2


def test_correction_with_bad_input_changes_nothing(app, client, guide):
    log(client, rosa_level="2")
    contact_id = _contacts(app)[0].id
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "12"},
    )
    assert response.status_code == 422
    assert "ROSA-nivån ska vara 1–8." in response.text
    assert _contacts(app)[0].rosa_level == 2


def test_cannot_correct_or_delete_a_colleagues_contact(app, client, guide, auth):
    log(client)
    contact_id = _contacts(app)[0].id
    auth.logout()
    auth.login("omar")  # same office, other guide
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1"},
    )
    assert response.status_code == 422
    assert "bara ändra dina egna" in response.text
    response = client.post(f"/disk/kontakter/{contact_id}/ta-bort", headers=HTMX)
    assert response.status_code == 409
    assert count(app, Contact) == 1
    assert _contacts(app)[0].rosa_level == 2


def test_other_offices_contacts_are_not_found(client, guide, auth, app):
    log(client)
    contact_id = _contacts(app)[0].id
    auth.logout()
    auth.login("johan")
    assert client.get(f"/disk/kontakter/{contact_id}/andra").status_code == 404


def test_cannot_correct_yesterdays_contact(app, client, guide):
    log(client)
    with app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        contact.occurred_at = utcnow() - timedelta(days=1, hours=1)
        db.session.commit()
        contact_id = contact.id
    response = client.post(f"/disk/kontakter/{contact_id}/ta-bort", headers=HTMX)
    assert response.status_code == 409
    assert count(app, Contact) == 1


def test_deleting_own_contact_removes_its_referral_with_audit(app, client, guide):
    log(client, rosa_level="6")
    contact_id = _contacts(app)[0].id
    response = client.post(f"/disk/kontakter/{contact_id}/ta-bort", headers=HTMX)
    assert response.status_code == 200
    assert "Inga kontakter ännu i dag." in response.text
    assert count(app, Contact) == 0 and count(app, Referral) == 0
    event = one(app, AuditEvent, AuditEvent.action == "contact.deleted")
    assert event.entity_id == contact_id and event.data["before"]["rosa_level"] == 6


def test_claimed_referral_freezes_the_contact(app, client, guide):
    log(client, rosa_level="6")
    with app.app_context():
        referral = db.session.scalars(sa.select(Referral)).one()
        referral.status, referral.claimed_by_id = "pagar", guide.users["erik"]
        db.session.commit()
    contact_id = _contacts(app)[0].id
    response = client.post(f"/disk/kontakter/{contact_id}/ta-bort", headers=HTMX)
    assert response.status_code == 409
    assert "redan börjat hanteras" in json.loads(response.headers["HX-Trigger"])["counter-error"]
    assert count(app, Contact) == 1 and count(app, Referral) == 1


def test_flag_repeat_contact(app, client, guide):
    log(client, repeat="y")
    contact = _contacts(app)[0]
    assert contact.is_repeat
    response = client.post(f"/disk/kontakter/{contact.id}/upprepad", headers=HTMX)
    assert response.status_code == 200
    assert not _contacts(app)[0].is_repeat
    client.post(f"/disk/kontakter/{contact.id}/upprepad", headers=HTMX)
    assert _contacts(app)[0].is_repeat
    assert count(app, AuditEvent, AuditEvent.action == "contact.repeat_flagged") == 2


def test_handlers_cannot_use_the_counter(client, world, auth):
    auth.login("erik")
    assert client.get("/disk").status_code == 403
    assert log(client).status_code == 403


def test_referrals_page_shows_own_organisation_only(client, world, auth):
    auth.login("anna")
    log(client, rosa_level="6")  # PARK -> TEK
    log(client, case_type="EKB", rosa_level="6")  # -> SOC
    auth.logout()
    auth.login("erik")  # TEK
    html = client.get("/remisser/").text
    assert "Parkeringstillstånd" in html and "Ekonomiskt bistånd" not in html
