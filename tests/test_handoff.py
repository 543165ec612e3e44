"""The citizen's matter across the handoff: who to reach, the question, the source e-mail,
answers that leave by e-mail, repeats found by themselves, notes and notifications.

Every test runs on SQLite and PostgreSQL. Mail is checked in the outbox here; its delivery
through a real SMTP server is tests/test_mail_delivery.py.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    Contact,
    InboxMessage,
    MailKind,
    MailState,
    Organisation,
    OutgoingMail,
    Referral,
    User,
)
from frontdesk.timeutil import utcnow
from tests.conftest import PASSWORD
from tests.helpers import count, one

MAIL = Path(__file__).parent / "mail"
CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK"}
CITIZEN = {"name": "Sven Ek", "phone": "070-123 45 67", "email": "Sven.Ek@Example.se"}
QUESTION = "Kan kortet skickas hem i stället för att hämtas?"


def refer(api, **extra) -> dict:
    response = api.post("/contacts", json={**CONTACT, "rosa_level": 5, **extra})
    assert response.status_code == 201, response.json
    return response.json


def claim(api, referral_id, as_user="erik"):
    response = api.post(f"/referrals/{referral_id}/claim", as_user=as_user)
    assert response.status_code == 200, response.json


def add_user(app, username, role, org=None, email="", notify=False) -> int:
    with app.app_context():
        organisation = (
            db.session.scalar(sa.select(Organisation).where(Organisation.code == org))
            if org
            else None
        )
        user = User(
            username=username,
            display_name=username.title(),
            role=role,
            organisation=organisation,
            email=email,
            notify_new_referrals=notify,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.id


# --- Who to reach and the question travel with the contact ---


def test_citizen_and_question_travel_to_the_handler(app, api):
    logged = refer(api, citizen=CITIZEN, question=QUESTION)
    contact = api.get(f"/contacts/{logged['id']}").json
    assert contact["citizen"] == {
        "name": "Sven Ek",
        "phone": "+46701234567",
        "phone_display": "070-123 45 67",
        "email": "Sven.Ek@example.se",  # the domain in lower case; the local part as given
        "reach_by": "telefon",  # a phone number given: a call, unless the citizen said e-mail
    }
    assert contact["question"] == QUESTION
    assert (contact["repeat"], contact["repeat_of"]) == (False, None)
    referral = api.get(f"/referrals/{logged['referral']['id']}", as_user="erik").json
    assert referral["citizen"] == contact["citizen"]
    assert referral["question"] == QUESTION and referral["message"] is None


def test_without_citizen_the_fields_are_null(app, api):
    logged = refer(api)
    contact = api.get(f"/contacts/{logged['id']}").json
    assert (contact["citizen"], contact["question"]) == (None, None)
    referral = api.get(f"/referrals/{logged['referral']['id']}", as_user="erik").json
    assert (referral["citizen"], referral["question"], referral["message"]) == (None, None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"citizen": {"email": "inte en adress"}}, "citizen.email"),
        ({"citizen": {"phone": "12"}}, "citizen.phone"),
        ({"citizen": {"phone": "070-123 45 67 88 99 00"}}, "citizen.phone"),
        ({"citizen": {"phone": 701234567}}, "citizen.phone"),
        ({"citizen": {"name": "x" * 201}}, "citizen.name"),
        ({"citizen": {"reach_by": "brevduva"}}, "citizen.reach_by"),
        ({"citizen": {"reach_by": "epost"}}, "citizen.reach_by"),  # without an address
        ({"citizen": {"fax": "08-123"}}, "citizen.fax"),
        ({"citizen": "Sven"}, "citizen"),
        ({"question": "x" * 2001}, "question"),
        ({"question": 5}, "question"),
    ],
)
def test_bad_citizen_details_are_refused_by_name(app, api, body, field):
    response = api.post("/contacts", json={**CONTACT, "rosa_level": 5, **body})
    assert response.status_code == 422, response.json
    assert field in response.json["fields"], response.json
    assert count(app, Contact) == 0 and count(app, Referral) == 0


def test_phone_numbers_are_one_number_however_written(app, api):
    for written in ("0701234567", "+46 70 123 45 67", "0046701234567", "070-123 45 67"):
        logged = refer(api, citizen={"phone": written})
        assert api.get(f"/contacts/{logged['id']}").json["citizen"]["phone"] == "+46701234567"
    foreign = refer(api, citizen={"phone": "+47 22 12 34 56"})
    citizen = api.get(f"/contacts/{foreign['id']}").json["citizen"]
    assert citizen["phone"] == "+4722123456" and citizen["phone_display"] == "+47 22 12 34 56"


# --- Repeats found by themselves ---


def test_the_same_citizen_about_the_same_case_type_is_a_repeat(app, api):
    first = refer(api, citizen={"phone": "0701234567"})
    other_type = api.post(
        "/contacts",
        json={**CONTACT, "case_type": "EKB", "rosa_level": 1, "citizen": {"phone": "0701234567"}},
    ).json
    second = api.post(
        "/contacts",
        json={**CONTACT, "rosa_level": 1, "citizen": {"phone": "+46 70-123 45 67"}},
    ).json
    stranger = api.post(
        "/contacts", json={**CONTACT, "rosa_level": 1, "citizen": {"phone": "0707654321"}}
    ).json
    by_id = {c: api.get(f"/contacts/{c}").json for c in (first["id"], second["id"])}
    assert by_id[second["id"]]["repeat"] is True
    assert by_id[second["id"]]["repeat_of"] == first["id"]
    assert api.get(f"/contacts/{other_type['id']}").json["repeat_of"] is None
    assert api.get(f"/contacts/{stranger['id']}").json["repeat"] is False
    # The overview's repeat share counts it like a repeat flagged by hand.
    summary = api.get("/stats/summary", as_user="karin").json
    assert summary["repeat_share"] == pytest.approx(1 / 4)


def test_an_e_mail_matches_across_channels_and_the_window_is_thirty_days(app, api):
    old = refer(api, citizen={"email": "sven@example.se"})
    with app.app_context():
        contact = db.session.get(Contact, old["id"])
        contact.occurred_at = utcnow() - timedelta(days=31)
        db.session.commit()
    too_late = refer(api, citizen={"email": "sven@example.se"})
    assert api.get(f"/contacts/{too_late['id']}").json["repeat_of"] is None
    # The same address in an e-mail to the inbox, triaged: a repeat of the recent contact.
    message = api.post(
        "/inbox",
        json={"channel": "epost", "body": "Igen", "sender": "Sven <SVEN@example.se>"},
    ).json
    triaged = api.post(
        f"/inbox/{message['id']}/triage", json={"case_type": "PARK", "rosa_level": 1}
    ).json
    contact = api.get(f"/contacts/{triaged['id']}").json
    assert contact["repeat_of"] == too_late["id"] and contact["repeat"] is True
    # The address stays with the message: the contact keeps only the hash.
    assert contact["citizen"] is None


def test_a_guide_can_unflag_a_found_repeat(app, api, client, auth):
    refer(api, citizen={"phone": "0701234567"})
    auth.login("anna")
    client.post(
        "/disk/kontakter",
        data={
            "channel": "besok",
            "case_type": "PARK",
            "rosa_level": "1",
            "citizen_phone": "0701234567",
        },
    )
    second = one(app, Contact, Contact.channel == "besok")
    assert second.is_repeat and second.repeat_of_id is not None
    client.post(f"/disk/kontakter/{second.id}/upprepad")
    again = one(app, Contact, Contact.id == second.id)
    assert not again.is_repeat and again.repeat_of_id is None


# --- The source e-mail, for the handler holding the referral only ---


@pytest.fixture
def mailed_referral(app, world, api, runner, tmp_path) -> dict:
    """An e-mail with an attachment fetched into K1's inbox and triaged into a referral."""
    folder = tmp_path / "maildir"
    folder.mkdir()
    shutil.copy(MAIL / "with_attachment.eml", folder / "1.eml")
    app.config["MAIL_ATTACHMENTS_DIR"] = str(tmp_path / "bilagor")
    result = runner.invoke(args=["fetch-mail", "--maildir", str(folder), "--office", "K1"])
    assert result.exit_code == 0, result.output
    message = one(app, InboxMessage)
    triaged = api.post(
        f"/inbox/{message.id}/triage", json={"case_type": "PARK", "rosa_level": 5}
    ).json
    return {"message": message, "referral_id": triaged["referral"]["id"]}


def test_the_handler_sees_the_original_e_mail_and_its_attachment(app, api, mailed_referral):
    message = mailed_referral["message"]
    referral = api.get(f"/referrals/{mailed_referral['referral_id']}", as_user="erik").json
    shown = referral["message"]
    assert shown["id"] == message.id and shown["channel"] == "epost"
    assert "bo.ek@example.se" in shown["sender"]
    assert shown["subject"] == "Kvitto och ritning bifogade"
    assert "kvittot och ritningen" in shown["body"] and "<p>" not in shown["body"]
    first = shown["attachments"][0]
    assert first["name"] == "kvitto.pdf" and first["size"] > 0
    download = api.get(first["url"].removeprefix("/api/v1"), as_user="erik")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    # The list of call-backs and queues carries the message too, without a query per row.
    listed = api.get("/referrals?status=ny", as_user="erik").json["referrals"]
    assert listed[0]["message"]["id"] == message.id


def test_the_e_mail_is_hidden_from_other_organisations(app, api, client, mailed_referral):
    add_user(app, "maria", "handlaggare", org="SOC")
    referral_id = mailed_referral["referral_id"]
    client.post("/login", data={"username": "maria", "password": PASSWORD})
    assert client.get(f"/remisser/{referral_id}").status_code == 404
    assert client.get(f"/remisser/{referral_id}/bilagor/0").status_code == 404
    client.post("/logout")
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    page = client.get(f"/remisser/{referral_id}")
    assert page.status_code == 200
    assert "Ursprungligt meddelande" in page.text and "kvitto.pdf" in page.text
    attachment = client.get(f"/remisser/{referral_id}/bilagor/0")
    assert attachment.status_code == 200 and attachment.data.startswith(b"%PDF")
    attachment.close()
    assert client.get(f"/remisser/{referral_id}/bilagor/7").status_code == 404


# --- Answers leave the building ---


def test_an_answer_by_e_mail_is_queued_and_closes_the_referral(app, api):
    logged = refer(api, citizen={"name": "Sven Ek", "email": "sven@example.se"}, question=QUESTION)
    referral_id = logged["referral"]["id"]
    claim(api, referral_id)
    response = api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": "Ja, kortet skickas hem.", "send_email": True},
        as_user="erik",
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "avslutad" and response.json["callback"] is False
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.state, mail.to_address) == (
        MailKind.ANSWER,
        MailState.QUEUED,
        "sven@example.se",
    )
    assert mail.referral_id == referral_id and mail.contact_id == logged["id"]
    assert "Hej Sven Ek!" in mail.body and "Ja, kortet skickas hem." in mail.body
    assert f"K-{logged['id']}" in mail.body and f"K-{logged['id']}" in mail.subject
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")


def test_an_answer_to_an_e_mail_goes_to_its_sender(app, api, mailed_referral):
    referral_id = mailed_referral["referral_id"]
    claim(api, referral_id)
    response = api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": "Ritningen är godkänd.", "send_email": True, "callback": False},
        as_user="erik",
    )
    assert response.status_code == 200, response.json
    mail = one(app, OutgoingMail)
    assert mail.to_address == "bo.ek@example.se"
    assert mailed_referral["message"].receipt in mail.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer": "Svar", "send_email": True}, "send_email"),  # no address in the matter
        ({"answer": "Svar", "send_email": True, "callback": True}, "send_email"),
        ({"answer": "Svar", "send_email": "ja"}, "send_email"),
        ({"answer": "Svar"}, "callback"),
    ],
)
def test_an_answer_that_cannot_go_is_refused_and_changes_nothing(app, api, body, field):
    referral_id = refer(api, citizen={"phone": "0701234567"})["referral"]["id"]
    claim(api, referral_id)
    response = api.post(f"/referrals/{referral_id}/answer", json=body, as_user="erik")
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]
    assert one(app, Referral).status == "pagar" and count(app, OutgoingMail) == 0


def test_the_answer_page_offers_three_ways(app, api, client):
    referral_id = refer(api, citizen={"email": "sven@example.se"}, question=QUESTION)["referral"][
        "id"
    ]
    claim(api, referral_id)
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    page = client.get(f"/remisser/{referral_id}")
    assert QUESTION in page.text and "sven@example.se" in page.text
    for label in ("Disken ringer upp", "Skicka svaret med e-post", "Avsluta remissen utan svar"):
        assert label in page.text
    response = client.post(
        f"/remisser/{referral_id}/svara", data={"answer": "Ja.", "delivery": "email"}
    )
    assert response.status_code == 303
    assert one(app, Referral).status == "avslutad"
    page = client.get(f"/remisser/{referral_id}")
    assert "Utgående e-post" in page.text and "Väntar på att skickas" in page.text


def test_the_answer_page_refuses_e_mail_without_an_address(app, api, client):
    referral_id = refer(api, citizen={"phone": "0701234567"})["referral"]["id"]
    claim(api, referral_id)
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    page = client.get(f"/remisser/{referral_id}")
    assert "070-123 45 67" in page.text and 'href="tel:+46701234567"' in page.text
    response = client.post(
        f"/remisser/{referral_id}/svara", data={"answer": "Ja.", "delivery": "email"}
    )
    assert response.status_code == 422
    assert "inte lämnat någon e-postadress" in response.text
    assert one(app, Referral).status == "pagar" and count(app, OutgoingMail) == 0


def test_callbacks_carry_who_to_call(app, api):
    referral_id = refer(api, citizen=CITIZEN, question=QUESTION)["referral"]["id"]
    claim(api, referral_id)
    api.post(
        f"/referrals/{referral_id}/answer", json={"answer": "Ja.", "callback": True}, as_user="erik"
    )
    (item,) = api.get("/referrals?status=aterford").json["referrals"]
    assert item["citizen"]["phone"] == "+46701234567" and item["question"] == QUESTION


# --- The inbox's direct reply over the API ---


def test_inbox_reply_over_the_api_is_mailed_to_the_sender(app, api):
    message = api.post(
        "/inbox",
        json={"channel": "webb", "body": "När öppnar ni?", "reply_to": "sven@example.se"},
    ).json
    response = api.post(
        f"/inbox/{message['id']}/reply",
        json={"case_type": "PARK", "rosa_level": 1, "reply": "Klockan åtta."},
    )
    assert response.status_code == 201, response.json
    assert response.json["outcome"] == "informerat" and response.json["referral"] is None
    assert response.headers["Location"].endswith(f"/contacts/{response.json['id']}")
    stored = one(app, InboxMessage)
    assert stored.status == "answered" and stored.contact_id == response.json["id"]
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address) == (MailKind.REPLY, "sven@example.se")
    assert "Klockan åtta." in mail.body and message["receipt"] in mail.body


@pytest.mark.parametrize(
    ("message", "body", "field"),
    [
        ({"reply_to": "sven@example.se"}, {"rosa_level": 5, "reply": "Ja"}, "rosa_level"),
        ({}, {"rosa_level": 1, "reply": "Ja"}, "reply"),  # nobody to send it to
        ({"reply_to": "sven@example.se"}, {"rosa_level": 1}, "reply"),
        ({"reply_to": "sven@example.se"}, {"rosa_level": 1, "reply": "  "}, "reply"),
    ],
)
def test_inbox_reply_refusals_change_nothing(app, api, message, body, field):
    created = api.post("/inbox", json={"channel": "brev", "body": "Hej", **message}).json
    response = api.post(f"/inbox/{created['id']}/reply", json={"case_type": "PARK", **body})
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]
    assert one(app, InboxMessage).status == "new"
    assert count(app, Contact) == 0 and count(app, OutgoingMail) == 0


def test_web_form_receipt_is_mailed(app, world, client):
    response = client.post(
        "/kontakta-oss", data={"question": "När har ni öppet?", "email": "sven@example.se"}
    )
    assert response.status_code == 303
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address) == (MailKind.RECEIPT, "sven@example.se")
    assert one(app, InboxMessage).receipt in mail.body


# --- The handler's side: notes, Mina remisser, notifications ---


def test_a_note_on_the_matter_is_in_its_history(app, api, client):
    referral_id = refer(api)["referral"]["id"]
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    response = client.post(f"/remisser/{referral_id}/anteckning", data={"note": "Ringt, ej svar."})
    assert response.status_code == 303
    events = api.get(f"/referrals/{referral_id}/events", as_user="erik").json["events"]
    assert events[-1]["action"] == "referral.noted" and events[-1]["note"] == "Ringt, ej svar."
    assert one(app, Referral).status == "ny"
    blank = client.post(f"/remisser/{referral_id}/anteckning", data={"note": "   "})
    assert blank.status_code == 422 and "Skriv anteckningen." in blank.text


def test_mina_remisser_shows_only_the_handlers_own(app, api, client):
    first, second = (refer(api)["referral"]["id"] for _ in range(2))
    claim(api, first)
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    page = client.get("/remisser/?mine=1&status=alla")
    assert f"/remisser/{first}" in page.text and f"/remisser/{second}" not in page.text
    assert "Mina remisser" in client.get("/remisser/").text


def test_handlers_who_asked_are_mailed_about_new_referrals(app, api, client):
    add_user(app, "lisa", "handlaggare", org="TEK", email="lisa@kommun.se", notify=True)
    add_user(app, "olle", "handlaggare", org="TEK", email="olle@kommun.se")  # did not ask
    add_user(app, "maria", "handlaggare", org="SOC", email="maria@kommun.se", notify=True)
    app.config["APP_URL"] = "https://medborgarkontoret.kommun.se"
    referral_id = refer(api)["referral"]["id"]
    mail = one(app, OutgoingMail)
    assert (mail.kind, mail.to_address) == (MailKind.NEW_REFERRAL, "lisa@kommun.se")
    assert f"https://medborgarkontoret.kommun.se/remisser/{referral_id}" in mail.body
    # Forwarded to SOC: SOC's handler who asked is told.
    api.post(
        f"/referrals/{referral_id}/forward",
        json={"queue": "SOC", "reason": "Fel förvaltning"},
        as_user="erik",
    )
    assert count(app, OutgoingMail, OutgoingMail.to_address == "maria@kommun.se") == 1


def test_a_handler_turns_notifications_on_only_with_an_address(app, world, client):
    client.post("/login", data={"username": "erik", "password": PASSWORD})
    assert "ingen e-postadress" in client.get("/remisser/").text
    with app.app_context():
        db.session.get(User, world.users["erik"]).email = "erik@kommun.se"
        db.session.commit()
    response = client.post("/remisser/avisering", data={"notify": "1"})
    assert response.status_code == 303
    assert one(app, User, User.username == "erik").notify_new_referrals is True
    assert count(app, AuditEvent, AuditEvent.action == "user.notifications") == 1


def test_overdue_digest_one_mail_per_handler(app, api, runner):
    add_user(app, "lisa", "handlaggare", org="TEK", email="lisa@kommun.se")
    add_user(app, "maria", "handlaggare", org="SOC", email="maria@kommun.se")
    late, on_time = (refer(api)["referral"]["id"] for _ in range(2))
    with app.app_context():
        db.session.get(Referral, late).due_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    result = runner.invoke(args=["notify-overdue"])
    assert result.exit_code == 0, result.output
    (mail,) = db_mails(app)
    assert mail.to_address == "lisa@kommun.se" and mail.kind == MailKind.OVERDUE_DIGEST
    assert f"Remiss {late}," in mail.body and f"Remiss {on_time}," not in mail.body
    assert "Köade 1 sammanställningar om 1 försenade remisser" in result.output


def db_mails(app) -> list[OutgoingMail]:
    with app.app_context():
        mails = list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))
        for mail in mails:
            db.session.expunge(mail)
        return mails


def test_create_user_takes_an_e_mail_address(app, world, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "lisa",
            "--role",
            "handlaggare",
            "--org",
            "TEK",
            "--email",
            "Lisa@Kommun.se",
            "--notify-new-referrals",
            "--password-stdin",
        ],
        input="ett-langt-losenord\n",
    )
    assert result.exit_code == 0, result.output
    user = one(app, User, User.username == "lisa")
    assert user.email == "Lisa@kommun.se" and user.notify_new_referrals
    bad = runner.invoke(
        args=["create-user", "olle", "--role", "chef", "--email", "nej", "--password-stdin"],
        input="ett-langt-losenord\n",
    )
    assert bad.exit_code == 2 and "--email" in bad.output
    assert count(app, User, User.username == "olle") == 0
