"""The counter's side of the handoff: the citizen and the question at the desk, a preview
that never goes stale, inbox contacts in the day's list, and call-backs with whom to call.

Every test runs on SQLite and PostgreSQL.
"""

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, Contact, MailKind, OutgoingMail, Referral
from tests.helpers import count, one

HTMX = {"HX-Request": "true"}
QUESTION = "Kan parkeringskortet förlängas utan nytt läkarintyg?"
# K1's mandate for PARK is 3 in the test catalogue: 5 is a referral, 2 is answered here.
REFERRED = {"channel": "besok", "case_type": "PARK", "rosa_level": "5"}
ANSWERED = {"channel": "besok", "case_type": "PARK", "rosa_level": "2"}


def log(client, **fields):
    return client.post("/disk/kontakter", data=fields, headers=HTMX)


def test_a_referral_carries_the_citizen_and_the_question(app, world, client, auth):
    auth.login("anna")
    response = log(
        client,
        **REFERRED,
        question=QUESTION,
        citizen_name="Sven Ek",
        citizen_phone="070-123 45 67",
        citizen_email="sven@example.se",
        reach_by="epost",
    )
    assert response.status_code == 200, response.text
    assert "Frågan och kontaktuppgifterna följer med remissen." in response.text
    contact = one(app, Contact)
    assert (contact.citizen_name, contact.citizen_phone, contact.citizen_email) == (
        "Sven Ek",
        "+46701234567",
        "sven@example.se",
    )
    assert (contact.reach_by, contact.question) == ("epost", QUESTION)
    # The form comes back empty for the next contact; the section starts hidden again.
    assert 'data-filled="1"' not in response.text


def test_a_referral_without_the_question_is_refused(app, world, client, auth):
    auth.login("anna")
    response = log(client, **REFERRED, citizen_phone="0701234567")
    assert response.status_code == 422
    assert "Skriv frågan till handläggaren" in response.text
    # The section is shown with what was typed, so nothing is typed twice.
    assert 'data-filled="1"' in response.text and "070-123 45 67" in response.text
    assert count(app, Contact) == 0 and count(app, Referral) == 0


def test_no_question_is_needed_within_the_mandate(app, world, client, auth):
    auth.login("anna")
    assert log(client, **ANSWERED).status_code == 200
    assert one(app, Contact).outcome == "informerat"


def test_bad_contact_details_are_named_and_nothing_is_written(app, world, client, auth):
    auth.login("anna")
    response = log(client, **REFERRED, question=QUESTION, citizen_phone="12", citizen_email="x@")
    assert response.status_code == 422
    assert "Telefonnumret" in response.text and "E-postadressen är inte giltig." in response.text
    wants_mail = log(client, **REFERRED, question=QUESTION, reach_by="epost")
    assert "Ange en e-postadress" in wants_mail.text
    assert count(app, Contact) == 0


def test_the_decision_says_when_the_server_decided_otherwise(app, world, client, auth):
    auth.login("anna")
    # The page previewed "answered at the desk" with an old mandate; the server refers it.
    response = log(client, **REFERRED, question=QUESTION, previewed_outcome="informerat")
    assert response.status_code == 200
    assert "Mandatet har ändrats" in response.text
    assert "kontakten blev en remiss, inte besvarad i disken" in response.text
    # Without the question the refusal says why a question is suddenly needed.
    refused = log(client, **REFERRED, previewed_outcome="informerat")
    assert refused.status_code == 422
    assert "Mandatet har ändrats sedan sidan laddades: kontakten blir en remiss." in refused.text
    # As previewed: no such line.
    plain = log(client, **ANSWERED, previewed_outcome="informerat")
    assert "Mandatet har ändrats" not in plain.text
    # A forged preview value is no preview at all.
    odd = log(client, **ANSWERED, previewed_outcome="<script>")
    assert odd.status_code == 200 and "Mandatet har ändrats" not in odd.text


def test_the_catalogue_poll_answers_304_until_a_mandate_changes(app, world, client, auth, api):
    auth.login("anna")
    first = client.get("/disk/katalog")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    park = next(e for e in first.json["case_types"] if e["code"] == "PARK")
    assert park["mandate"] == 3 and first.json["version"] == etag.strip('"')
    assert client.get("/disk/katalog", headers={"If-None-Match": etag}).status_code == 304
    changed = api.put(
        "/mandates/K1/PARK", json={"max_level": 5, "reason": "Nytt avtal"}, as_user="karin"
    )
    assert changed.status_code == 200, changed.json
    again = client.get("/disk/katalog", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert next(e for e in again.json["case_types"] if e["code"] == "PARK")["mandate"] == 5
    # The page embeds the version it started from.
    assert f'data-version="{again.json["version"]}"' in client.get("/disk").text


def test_the_poll_does_not_keep_a_session_alive(app, world, client, auth):
    auth.login("anna")
    response = client.get("/disk/katalog", headers={"X-Background-Refresh": "1"})
    assert response.status_code == 200


def test_inbox_contacts_link_to_their_message(app, world, client, auth, api):
    message = api.post("/inbox", json={"channel": "epost", "body": "Hej", "subject": "Fråga"}).json
    api.post(f"/inbox/{message['id']}/triage", json={"case_type": "PARK", "rosa_level": 1})
    auth.login("anna")
    log(client, **ANSWERED)
    listing = client.get("/disk/kontakter/idag", headers=HTMX).text
    inbox_contact, desk_contact = (
        one(app, Contact, Contact.channel == "epost"),
        one(app, Contact, Contact.channel == "besok"),
    )
    assert f"Se meddelandet {message['receipt']}" in listing
    assert f"contact-{inbox_contact.id}-edit" not in listing
    assert f"contact-{inbox_contact.id}-remove" not in listing
    assert f"contact-{desk_contact.id}-edit" in listing


def test_correcting_keeps_the_citizen_and_the_question(app, world, client, auth):
    auth.login("anna")
    log(client, **REFERRED, question=QUESTION, citizen_phone="0701234567")
    contact = one(app, Contact)
    form = client.get(f"/disk/kontakter/{contact.id}/andra").text
    assert QUESTION in form and "070-123 45 67" in form


def _answered(api, **citizen):
    body = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
    logged = api.post("/contacts", json={**body, "citizen": citizen, "question": QUESTION}).json
    referral_id = logged["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": f"Svar {referral_id}", "callback": True},
        as_user="erik",
    )
    return referral_id


def test_callbacks_show_whom_to_call_newest_answer_first(app, world, client, auth, api):
    older = _answered(api, name="Sven Ek", phone="0701234567")
    newer = _answered(api, name="Eva Lind", phone="08-123 456 78")
    auth.login("anna")
    listing = client.get("/disk/aterkopplingar", headers=HTMX).text
    assert listing.index(f"callback-{newer}") < listing.index(f"callback-{older}")
    assert 'href="tel:+46701234567"' in listing and "070-123 45 67" in listing
    assert QUESTION in listing and "<details" not in listing
    assert f"callback-{older}-done" in listing


def test_an_e_mail_only_callback_is_sent_by_e_mail(app, world, client, auth, api):
    referral_id = _answered(api, email="eva@example.se")
    auth.login("anna")
    listing = client.get("/disk/aterkopplingar", headers=HTMX).text
    assert "Skicka svaret via e-post" in listing and f"callback-{referral_id}-done" not in listing
    response = client.post(f"/disk/aterkopplingar/{referral_id}/epost", headers=HTMX)
    assert response.status_code == 200
    assert "Inga svar väntar på återkoppling." in response.text
    assert one(app, Referral).status == "avslutad"
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address) == (MailKind.ANSWER, "eva@example.se")
    assert f"Svar {referral_id}" in mail.body
    assert count(app, AuditEvent, AuditEvent.action == "referral.callback_emailed") == 1
    # Twice is refused: it is closed already, and nothing more is queued.
    again = client.post(f"/disk/aterkopplingar/{referral_id}/epost", headers=HTMX)
    assert again.status_code == 409 and count(app, OutgoingMail) == 1


def test_an_e_mail_callback_without_an_address_is_refused(app, world, client, auth, api):
    referral_id = _answered(api, phone="0701234567")
    auth.login("anna")
    response = client.post(f"/disk/aterkopplingar/{referral_id}/epost", headers=HTMX)
    assert response.status_code == 409
    assert one(app, Referral).status == "aterford" and count(app, OutgoingMail) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == 0


# --- The inbox's message page: the counter's controls in one form ---


def test_the_message_page_is_one_form_with_the_counters_controls(app, world, client, auth, api):
    message = api.post(
        "/inbox", json={"channel": "epost", "body": "Hej", "sender": "Eva <eva@example.se>"}
    ).json
    auth.login("anna")
    page = client.get(f"/inkorg/{message['id']}").text
    assert page.count("data-counter-form") == 1 and 'role="combobox"' in page
    assert 'class="level-grid"' in page and 'id="guidance"' in page
    assert ">Triagera</button>" in page and ">Svara</button>" in page
    assert "skickas med e-post till eva@example.se" in page
    response = client.post(
        f"/inkorg/{message['id']}/triage",
        data={"case_type": "PARK – Parkeringstillstånd", "rosa_level": "2"},
        follow_redirects=True,
    )
    assert f"{message['receipt']} är besvarat i disken." in response.text
    assert "triagerat (" not in response.text


def test_a_reply_from_the_page_is_mailed_and_shown(app, world, client, auth, api):
    message = api.post(
        "/inbox", json={"channel": "webb", "body": "Öppettider?", "reply_to": "eva@example.se"}
    ).json
    auth.login("anna")
    response = client.post(
        f"/inkorg/{message['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Vi öppnar klockan åtta."},
    )
    assert response.status_code == 303
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address) == (MailKind.REPLY, "eva@example.se")
    page = client.get(f"/inkorg/{message['id']}").text
    assert "Utgående e-post" in page and "Väntar på att skickas" in page
    assert "Besvarad direkt" in page


def test_a_reply_to_a_letter_is_refused_and_changes_nothing(app, world, client, auth, api):
    letter = api.post("/inbox", json={"channel": "brev", "body": "Brev", "sender": "Gun Ek"}).json
    auth.login("anna")
    page = client.get(f"/inkorg/{letter['id']}").text
    assert "meddelandet har ingen e-postadress" in page
    response = client.post(
        f"/inkorg/{letter['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Hej Gun"},
    )
    assert response.status_code == 422
    assert "Meddelandet har ingen e-postadress att svara till." in response.text
    # What was typed is still there, in the one form.
    assert "Hej Gun" in response.text
    assert count(app, Contact) == 0 and count(app, OutgoingMail) == 0


# --- Found in review: deleting and correcting around notifications and repeats ---


def _notify_erik(app, world):
    from frontdesk.models import User

    with app.app_context():
        erik = db.session.get(User, world.users["erik"])
        erik.email, erik.notify_new_referrals = "erik@kommun.se", True
        db.session.commit()


def test_a_referred_contact_with_a_queued_notification_can_be_deleted(app, world, client, auth):
    _notify_erik(app, world)
    auth.login("anna")
    log(client, **REFERRED, question=QUESTION)
    contact = one(app, Contact)
    assert count(app, OutgoingMail) == 1  # erik's notification, not sent yet
    response = client.post(f"/disk/kontakter/{contact.id}/ta-bort", headers=HTMX)
    assert response.status_code == 200, response.text
    assert count(app, Contact) == 0 and count(app, Referral) == 0
    assert count(app, OutgoingMail) == 0  # a notification about nothing is not sent


def test_correcting_a_referral_down_drops_its_notification(app, world, client, auth):
    _notify_erik(app, world)
    auth.login("anna")
    log(client, **REFERRED, question=QUESTION)
    contact = one(app, Contact)
    response = client.post(f"/disk/kontakter/{contact.id}/andra", data=ANSWERED)
    assert response.status_code == 302
    assert count(app, Referral) == 0 and count(app, OutgoingMail) == 0


def test_a_contact_that_a_later_one_repeats_can_be_deleted(app, world, client, auth):
    auth.login("anna")
    log(client, **ANSWERED, citizen_phone="0701234567")
    log(client, **ANSWERED, citizen_phone="070-123 45 67")
    first, second = (c.id for c in sorted_contacts(app))
    assert one(app, Contact, Contact.id == second).repeat_of_id == first
    response = client.post(f"/disk/kontakter/{first}/ta-bort", headers=HTMX)
    assert response.status_code == 200
    later = one(app, Contact, Contact.id == second)
    assert (later.is_repeat, later.repeat_of_id) == (False, None)
    # The tallies followed: no repeat is counted any more.
    with app.app_context():
        from frontdesk.models import ContactMonthTally

        assert db.session.scalar(sa.select(sa.func.sum(ContactMonthTally.repeats))) == 0


def sorted_contacts(app):
    with app.app_context():
        contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        for c in contacts:
            db.session.expunge(c)
        return contacts


def test_a_correction_keeps_an_unflagged_repeat_unflagged(app, world, client, auth):
    auth.login("anna")
    log(client, **ANSWERED, citizen_phone="0701234567")
    log(client, **ANSWERED, citizen_phone="0701234567")
    second = sorted_contacts(app)[1]
    client.post(f"/disk/kontakter/{second.id}/upprepad", headers=HTMX)  # the guide unflags
    response = client.post(
        f"/disk/kontakter/{second.id}/andra",
        data={**ANSWERED, "citizen_phone": "0701234567", "duration_minutes": "4"},
    )
    assert response.status_code == 302
    again = one(app, Contact, Contact.id == second.id)
    assert (again.is_repeat, again.repeat_of_id, again.duration_seconds) == (False, None, 240)


def test_triage_with_a_typed_reply_is_refused_so_the_reply_is_not_lost(app, world, client, api):
    message = api.post(
        "/inbox", json={"channel": "epost", "body": "Hej", "sender": "eva@example.se"}
    ).json
    client.post("/login", data={"username": "anna", "password": "losenord-123"})
    response = client.post(
        f"/inkorg/{message['id']}/triage",
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Vi öppnar klockan åtta."},
    )
    assert response.status_code == 422
    assert "klicka Svara" in response.text and "Vi öppnar klockan åtta." in response.text
    assert count(app, Contact) == 0 and count(app, OutgoingMail) == 0


def test_the_answer_goes_as_the_citizen_asked(app, world, client, auth, api):
    body = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
    citizen = {"phone": "0701234567", "email": "eva@example.se", "reach_by": "epost"}
    referral_id = api.post("/contacts", json={**body, "citizen": citizen}).json["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    client.post("/login", data={"username": "erik", "password": "losenord-123"})
    page = client.get(f"/remisser/{referral_id}").text
    assert 'value="email" checked' in page
    api.post(
        f"/referrals/{referral_id}/answer", json={"answer": "Ja.", "callback": True}, as_user="erik"
    )
    client.post("/logout")
    auth.login("anna")
    listing = client.get("/disk/aterkopplingar", headers=HTMX).text
    # Both ways are offered; e-mail first, as the citizen asked.
    assert listing.index(f"callback-{referral_id}-mail") < listing.index(
        f"callback-{referral_id}-done"
    )


def test_staff_notifications_are_not_shown_on_the_matter(app, world, client, auth):
    _notify_erik(app, world)
    auth.login("anna")
    log(client, **REFERRED, question=QUESTION)
    referral_id = one(app, Referral).id
    page = client.get(f"/remisser/{referral_id}").text
    assert "erik@kommun.se" not in page and "Utgående e-post" not in page


def test_a_correction_to_another_organisation_notifies_there(app, world, client, auth):
    from frontdesk.models import Organisation, User

    _notify_erik(app, world)
    with app.app_context():
        soc = db.session.scalar(sa.select(Organisation).where(Organisation.code == "SOC"))
        maria = User(
            username="maria",
            role="handlaggare",
            organisation=soc,
            email="maria@kommun.se",
            notify_new_referrals=True,
        )
        maria.set_password("losenord-123")
        db.session.add(maria)
        db.session.commit()
    auth.login("anna")
    log(client, **REFERRED, question=QUESTION)
    contact = one(app, Contact)
    response = client.post(
        f"/disk/kontakter/{contact.id}/andra",
        data={"channel": "besok", "case_type": "EKB", "rosa_level": "6", "question": QUESTION},
    )
    assert response.status_code == 302
    # Erik's unsent notice about a referral no longer in his queues went; Maria was told.
    (mail,) = sorted_mails(app)
    assert mail.to_address == "maria@kommun.se" and "Ekonomiskt bistånd" in mail.subject


def sorted_mails(app):
    with app.app_context():
        mails = db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)).all()
        for m in mails:
            db.session.expunge(m)
        return mails
