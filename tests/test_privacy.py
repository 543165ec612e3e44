"""Personnummer are masked wherever free text enters the app; look-alikes are kept.

One test per entry point, each on SQLite and PostgreSQL. Every text carries a valid
personnummer (19121212-1212, the test person "Tolvan Tolvansson") and a look-alike with
the same date but a wrong check digit (19121212-1213, as an order number would be):
the first must be stored as XXXXXX-1212, the second exactly as written.
"""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.counter.operations import ContactInput, log_contact
from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    CallRecord,
    CaseType,
    Contact,
    InboxMessage,
    MandateChange,
    Office,
    OutgoingMail,
    ProcessMap,
    RecommendationDecision,
    Referral,
    User,
)
from frontdesk.timeutil import utcnow
from rosa.bpmn import write_bpmn
from rosa.processmap import from_dict
from tests.helpers import one

PERSONNUMMER = "19121212-1212"
LOOK_ALIKE = "19121212-1213"
TEXT = f"pnr {PERSONNUMMER}, order {LOOK_ALIKE}"
MASKED = f"pnr XXXXXX-1212, order {LOOK_ALIKE}"
HTMX = {"HX-Request": "true"}
CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK"}


def assert_masked(value: str) -> None:
    assert PERSONNUMMER not in value and "191212121212" not in value
    assert "XXXXXX-1212" in value
    assert LOOK_ALIKE in value


def audit_data(app, action: str) -> list[dict]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.data)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


# --- The counter ---


def test_counter_note_from_the_page(app, world, client, auth):
    auth.login("anna")
    data = {"channel": "besok", "case_type": "PARK", "rosa_level": "2", "note": TEXT}
    assert client.post("/disk/kontakter", data=data, headers=HTMX).status_code == 200
    assert one(app, Contact).note == MASKED


def test_counter_note_from_the_api(app, api):
    response = api.post("/contacts", json={**CONTACT, "rosa_level": 2, "note": TEXT})
    assert response.status_code == 201, response.json
    assert one(app, Contact).note == MASKED
    assert api.get(f"/contacts/{response.json['id']}").json["note"] == MASKED


def test_correction_at_the_counter(app, world, client, auth):
    auth.login("anna")
    client.post(
        "/disk/kontakter", data={"channel": "besok", "case_type": "PARK", "rosa_level": "2"}
    )
    contact_id = one(app, Contact).id
    response = client.post(
        f"/disk/kontakter/{contact_id}/andra",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "2", "note": TEXT},
    )
    assert response.status_code == 302
    assert one(app, Contact).note == MASKED
    (corrected,) = audit_data(app, "contact.corrected")
    assert corrected["after"]["note"] == MASKED


# --- The inbox: API, letters, e-mail, triage, replies, the web form ---


def test_inbox_message_from_the_api(app, api):
    response = api.post(
        "/inbox",
        json={"channel": "chatt", "sender": TEXT, "subject": TEXT, "body": TEXT},
    )
    assert response.status_code == 201, response.json
    message = one(app, InboxMessage)
    assert (message.sender, message.subject, message.body) == (MASKED, MASKED, MASKED)


def test_letter_registered_in_the_inbox(app, world, client, auth):
    auth.login("anna")
    response = client.post(
        "/inkorg/brev",
        data={"sender": TEXT, "subject": TEXT, "body": TEXT, "received_on": "2026-01-05"},
    )
    assert response.status_code in (302, 303)
    letter = one(app, InboxMessage)
    assert (letter.sender, letter.subject, letter.body) == (MASKED, MASKED, MASKED)


def test_email_fetched_into_the_inbox(app, world, runner, tmp_path):
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = f"Eva {PERSONNUMMER} <eva@example.se>"
    mail["To"] = "kontakt@kommun.se"
    mail["Subject"] = TEXT
    mail["Date"] = "Mon, 05 Jan 2026 09:00:00 +0100"
    mail["Message-ID"] = "<privacy-test@example.se>"
    mail.set_content(f"Hej!\n{TEXT}\n")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=f"{TEXT}.pdf")
    folder = tmp_path / "post"
    folder.mkdir()
    (folder / "1.eml").write_bytes(bytes(mail))
    app.config["MAIL_ATTACHMENTS_DIR"] = str(tmp_path / "bilagor")
    result = runner.invoke(args=["fetch-mail", "--maildir", str(folder)])
    assert result.exit_code == 0, result.output
    message = one(app, InboxMessage)
    assert message.subject == MASKED
    assert_masked(message.body)
    assert "XXXXXX-1212" in message.sender and PERSONNUMMER not in message.sender
    assert message.attachments[0]["filename"] == f"{MASKED}.pdf"
    (stored,) = (tmp_path / "bilagor").rglob("*.pdf")
    assert_masked(stored.name)


def test_triage_note_and_direct_reply(app, world, api, client, auth):
    triaged = api.post("/inbox", json={"channel": "epost", "subject": TEXT, "body": "x"})
    replied = api.post(
        "/inbox",
        json={
            "channel": "epost",
            "subject": "Öppettider",
            "body": "x",
            "reply_to": "tolvan@example.se",
        },
    )
    response = api.post(
        f"/inbox/{triaged.json['id']}/triage", json={"case_type": "PARK", "rosa_level": 1}
    )
    assert response.status_code == 201, response.json
    note = one(app, Contact, Contact.id == response.json["id"]).note
    assert note == f"{triaged.json['receipt']}: {MASKED}"
    auth.login("anna")
    client.post(
        f"/inkorg/{replied.json['id']}/svar",
        data={"case_type": "PARK", "rosa_level": "1", "reply": TEXT},
    )
    message = one(app, InboxMessage, InboxMessage.id == replied.json["id"])
    assert message.status == "answered" and message.reply == MASKED
    # The mailed reply carries the masked text too.
    mail = one(app, OutgoingMail)
    assert mail.to_address == "tolvan@example.se"
    assert_masked(mail.body)


def test_citizen_name_and_question_from_the_page(app, world, client, auth):
    auth.login("anna")
    data = {
        "channel": "besok",
        "case_type": "PARK",
        "rosa_level": "5",
        "citizen_name": f"Tolvan {PERSONNUMMER}",
        "citizen_phone": "0701234567",
        "question": TEXT,
    }
    response = client.post("/disk/kontakter", data=data, headers=HTMX)
    assert response.status_code == 200, response.text
    contact = one(app, Contact)
    assert contact.question == MASKED
    assert contact.citizen_name == "Tolvan XXXXXX-1212"


def test_citizen_and_question_from_the_api(app, api):
    response = api.post(
        "/contacts",
        json={**CONTACT, "rosa_level": 5, "question": TEXT, "citizen": {"name": TEXT}},
    )
    assert response.status_code == 201, response.json
    contact = api.get(f"/contacts/{response.json['id']}").json
    assert contact["question"] == MASKED and contact["citizen"]["name"] == MASKED
    referral = api.get(f"/referrals/{response.json['referral']['id']}", as_user="erik").json
    assert referral["question"] == MASKED


def test_public_web_form(app, world, client):
    response = client.post("/kontakta-oss", data={"question": TEXT, "topic": "Trafik"})
    assert response.status_code in (200, 302, 303)
    message = one(app, InboxMessage)
    assert message.body == MASKED and message.topic == "Trafik"


# --- Imports ---


def test_call_import(app, world, runner, tmp_path):
    export = tmp_path / "samtal.csv"
    export.write_text(
        f"time;queue;answered;wait_seconds;talk_seconds\n2026-01-05 09:00:00;{TEXT};answered;30;60\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-calls", str(export)])
    assert result.exit_code == 0, result.output
    assert one(app, CallRecord).queue == MASKED
    # The same export again is recognised as already imported.
    again = runner.invoke(args=["import-calls", str(export)])
    assert "created: 0" in again.output


def test_contact_history_import(app, world, runner, tmp_path):
    path = tmp_path / f"historik {PERSONNUMMER} {LOOK_ALIKE}.csv"
    path.write_text(
        "occurred_at,office,channel,case_type,rosa_level\n2025-03-02T09:15:00,K1,besok,PARK,1\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-contacts", str(path)])
    assert result.exit_code == 0, result.output
    (imported,) = audit_data(app, "contacts.imported")
    assert_masked(imported["file"])


# --- The back office ---


@pytest.fixture
def referral_id(api):
    return api.post("/contacts", json={**CONTACT, "rosa_level": 5}).json["referral"]["id"]


def test_back_office_answer(app, api, referral_id):
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    response = api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": TEXT, "callback": True},
        as_user="erik",
    )
    assert response.status_code == 200, response.json
    assert response.json["answer"] == MASKED
    assert one(app, Referral).answer == MASKED
    assert audit_data(app, "referral.answered")[0]["note"] == MASKED


def test_answer_mailed_to_the_citizen(app, api):
    contact = api.post(
        "/contacts",
        json={**CONTACT, "rosa_level": 5, "citizen": {"email": "tolvan@example.se"}},
    ).json
    referral_id = contact["referral"]["id"]
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    response = api.post(
        f"/referrals/{referral_id}/answer",
        json={"answer": TEXT, "send_email": True},
        as_user="erik",
    )
    assert response.status_code == 200, response.json
    mail = one(app, OutgoingMail)
    assert_masked(mail.body)
    assert PERSONNUMMER not in mail.subject


def test_handler_note_on_the_matter(app, world, client, auth, referral_id):
    auth.login("erik")
    response = client.post(f"/remisser/{referral_id}/anteckning", data={"note": TEXT})
    assert response.status_code == 303
    assert audit_data(app, "referral.noted")[0]["note"] == MASKED


def test_park_reason(app, api, referral_id):
    api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    until = (utcnow() + timedelta(days=10)).date().isoformat()
    response = api.post(
        f"/referrals/{referral_id}/park", json={"until": until, "reason": TEXT}, as_user="erik"
    )
    assert response.status_code == 200, response.json
    assert one(app, Referral).park_reason == MASKED
    assert audit_data(app, "referral.parked")[0]["note"] == MASKED


def test_forward_reason(app, api, referral_id):
    response = api.post(
        f"/referrals/{referral_id}/forward", json={"queue": "SOC", "reason": TEXT}, as_user="erik"
    )
    assert response.status_code == 200, response.json
    (forwarded,) = audit_data(app, "referral.forwarded")
    assert forwarded["note"].endswith(MASKED)
    events = api.get(f"/referrals/{referral_id}/events", as_user="karin").json["events"]
    assert_masked(events[-1]["note"])


# --- Mandates, recommendations, process maps ---


def test_mandate_change_reason_from_the_page_and_the_api(app, world, api, client, auth):
    auth.login("karin")
    response = client.post("/mandat/K1/EKB", data={"max_level": "3", "reason": TEXT})
    assert response.status_code in (200, 302, 303)
    put = api.put("/mandates/K1/FKBARN", json={"max_level": 3, "reason": TEXT}, as_user="admin")
    assert put.status_code == 200, put.json
    with app.app_context():
        reasons = db.session.scalars(sa.select(MandateChange.reason).order_by(MandateChange.id))
        assert list(reasons)[-2:] == [MASKED, MASKED]
    assert [event["reason"] for event in audit_data(app, "mandate.changed")][-2:] == [
        MASKED,
        MASKED,
    ]


def test_recommendation_decision_note(app, world, api):
    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        anna = db.session.scalar(sa.select(User).where(User.username == "anna"))
        # K1's mandate for PARK is 3; many contacts at level 4 make 3 -> 4 a proposal.
        for level, n in ((1, 20), (3, 10), (4, 24), (5, 2)):
            for _ in range(n):
                log_contact(
                    ContactInput(
                        office=office,
                        channel="besok",
                        case_type=park,
                        rosa_level=level,
                        occurred_at=utcnow() - timedelta(days=40),
                    ),
                    anna,
                )
        db.session.commit()
    response = api.post(
        "/rosa/recommendations/K1:PARK:3:4/decision",
        json={"decision": "approve", "note": TEXT},
        as_user="karin",
    )
    assert response.status_code == 201, response.json
    assert one(app, RecommendationDecision).note == MASKED
    assert audit_data(app, "recommendation.approved")[0]["note"] == MASKED
    with app.app_context():
        reason = db.session.scalars(
            sa.select(MandateChange.reason).order_by(MandateChange.id.desc())
        ).first()
    assert_masked(reason)


def test_process_map_note_from_an_upload(app, world, client, auth):
    graph = from_dict(
        {
            "steps": [{"id": "a", "name": "Ta emot", "level": 1, "actor": "front"}],
            "flows": [],
        }
    )
    auth.login("karin")
    response = client.post(
        "/processer/EKB/bpmn",
        data={"file": (io.BytesIO(write_bpmn(graph)), f"{TEXT}.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303)
    assert_masked(one(app, ProcessMap).note)
