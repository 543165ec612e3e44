"""flask purge: free text of closed matters older than the limit goes, counts stay.

Matters are made through the app's own API and operations, then moved 30 months into
the past (every time stamp, tallies recounted), so the purge meets data shaped exactly
as the app writes it. Each test runs on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk import retention
from frontdesk.counter.operations import ContactInput
from frontdesk.extensions import db
from frontdesk.inbox.operations import mark_spam, reply
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    FeedbackAnswer,
    InboxMessage,
    MailState,
    Office,
    OutgoingMail,
    Referral,
    User,
)
from frontdesk.tallies import rebuild
from frontdesk.timeutil import LOCAL_TZ, local_today, utcnow
from tests.helpers import count

TEXT = "Anna Svensson, Storgatan 5, anna@example.se"
CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK"}
AGE = timedelta(days=915)  # about 30 months
TIMES = {
    "contacts": ("occurred_at", "created_at"),
    "referrals": ("created_at", "due_at", "claimed_at", "answered_at", "closed_at", "parked_at"),
    "inbox_messages": ("received_at", "handled_at"),
    "audit_events": ("at",),
    "outgoing_mail": ("created_at", "next_attempt_at", "claimed_at", "sent_at"),
    "feedback_answers": ("answered_at",),
}
CITIZEN = {"name": "Anna Svensson", "phone": "070-123 45 67", "email": "anna@example.se"}
QUESTION = "Kan jag få kortet skickat hem? Mitt personnummer är 811228-9874."


def age_everything(app) -> None:
    """Move every time stamp written so far 30 months back and recount the tallies."""
    with app.app_context():
        connection = db.session.connection()
        for table_name, columns in TIMES.items():
            table = db.metadata.tables[table_name]
            rows = connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns)))
            for row in rows.all():
                values = {
                    column: value - AGE
                    for column, value in zip(columns, row[1:], strict=True)
                    if value is not None
                }
                connection.execute(sa.update(table).where(table.c.id == row.id).values(values))
        rebuild()
        db.session.commit()


def answer_feedback(client, created: dict, comment: str) -> None:
    """The citizen answers the NKI questions of a contact just logged (its 201 answer)."""
    response = client.post(
        created["feedback_url"], json={"q1": 8, "q2": 7, "q3": 6, "comment": comment}
    )
    assert response.status_code == 201, response.json


def referral_action(api, referral_id, action, as_user="erik", **json):
    response = api.post(f"/referrals/{referral_id}/{action}", json=json or None, as_user=as_user)
    assert response.status_code == 200, response.json
    return response.json


def new_message(api, subject, **extra):
    body = {"channel": "epost", "sender": TEXT, "subject": subject, "body": TEXT} | extra
    response = api.post("/inbox", json=body)
    assert response.status_code == 201, response.json
    return response.json


def contact_input(app_office="K1", case_type="PARK", level=1) -> ContactInput:
    office = db.session.scalar(sa.select(Office).where(Office.code == app_office))
    kind = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type))
    return ContactInput(office=office, channel="epost", case_type=kind, rosa_level=level)


@dataclass
class Matters:
    desk: int  # answered at the desk: closed
    closed: int  # referred, parked, answered, called back: closed
    forwarded: int  # referred and forwarded, still in a queue: open
    callback: int  # answered, waiting for the call-back: open
    corrected: int  # corrected at the counter: closed
    replied: int  # inbox message answered directly: closed
    spam: int  # inbox message set aside: closed
    triaged_open: int  # inbox message triaged to a referral still open
    unhandled: int  # inbox message nobody handled yet
    recent_contact: int  # closed but young
    recent_spam: int
    deleted_event: int  # audit event of a contact deleted at the counter


@pytest.fixture
def attachments(app, tmp_path):
    folder = tmp_path / "bilagor"
    folder.mkdir()
    app.config["MAIL_ATTACHMENTS_DIR"] = str(folder)
    return folder


@pytest.fixture
def matters(app, world, api, client, auth, attachments) -> Matters:
    desk_created = api.post(
        "/contacts", json={**CONTACT, "rosa_level": 1, "note": TEXT, "citizen": CITIZEN}
    ).json
    desk = desk_created["id"]
    answer_feedback(client, desk_created, TEXT)
    closed = api.post(
        "/contacts",
        json={**CONTACT, "rosa_level": 5, "note": TEXT, "citizen": CITIZEN, "question": QUESTION},
    ).json
    referral = closed["referral"]["id"]
    referral_action(api, referral, "claim")
    until = (local_today() + timedelta(days=5)).isoformat()
    referral_action(api, referral, "park", until=until, reason=TEXT)
    referral_action(api, referral, "claim")  # resumes
    referral_action(api, referral, "answer", answer=TEXT, callback=True)
    referral_action(api, referral, "callback-done", as_user="anna")
    forwarded = api.post("/contacts", json={**CONTACT, "rosa_level": 6, "note": TEXT}).json
    referral_action(
        api, forwarded["referral"]["id"], "forward", queue="SOC", reason=f"Gäller {TEXT}"
    )
    callback = api.post(
        "/contacts",
        json={**CONTACT, "rosa_level": 5, "note": TEXT, "citizen": CITIZEN, "question": QUESTION},
    ).json
    referral_action(api, callback["referral"]["id"], "claim")
    referral_action(api, callback["referral"]["id"], "answer", answer=TEXT, callback=True)
    auth.login("anna")
    for note in ("", TEXT):
        client.post(
            "/disk/kontakter",
            data={"channel": "besok", "case_type": "EKB", "rosa_level": "1", "note": note},
        )
    with app.app_context():
        corrected, deleted = db.session.scalars(
            sa.select(Contact.id).where(Contact.case_type.has(code="EKB")).order_by(Contact.id)
        ).all()
    client.post(
        f"/disk/kontakter/{corrected}/andra",
        data={"channel": "besok", "case_type": "EKB", "rosa_level": "1", "note": TEXT},
    )
    client.post(f"/disk/kontakter/{deleted}/ta-bort")
    replied = new_message(api, "Öppettider", reply_to="anna@example.se")
    spam = new_message(api, "Köp")
    triaged = new_message(api, "Bygglov")
    unhandled = new_message(api, "Ingen har läst")
    triaged_contact = api.post(
        f"/inbox/{triaged['id']}/triage", json={"case_type": "PARK", "rosa_level": 5}
    ).json
    assert triaged_contact["referral"] is not None
    with app.app_context():
        anna = db.session.get(User, world.users["anna"])
        reply(db.session.get(InboxMessage, replied["id"]), contact_input(), TEXT, anna)
        mark_spam(db.session.get(InboxMessage, spam["id"]), anna)
        # The reply went out (as deliver-mail would have marked it).
        db.session.execute(sa.update(OutgoingMail).values(state=MailState.SENT, sent_at=utcnow()))
        db.session.commit()
    (attachments / spam["receipt"]).mkdir()
    (attachments / spam["receipt"] / "1-ansokan.pdf").write_bytes(b"%PDF")
    age_everything(app)
    recent_contact = api.post("/contacts", json={**CONTACT, "rosa_level": 1, "note": TEXT})
    answer_feedback(client, recent_contact.json, TEXT)
    recent_spam = new_message(api, "Köp igen")
    with app.app_context():
        anna = db.session.get(User, world.users["anna"])
        mark_spam(db.session.get(InboxMessage, recent_spam["id"]), anna)
        db.session.commit()
        deleted_event = db.session.scalar(
            sa.select(AuditEvent.id).where(AuditEvent.action == "contact.deleted")
        )
    (attachments / recent_spam["receipt"]).mkdir()
    return Matters(
        desk=desk,
        closed=closed["id"],
        forwarded=forwarded["id"],
        callback=callback["id"],
        corrected=corrected,
        replied=replied["id"],
        spam=spam["id"],
        triaged_open=triaged["id"],
        unhandled=unhandled["id"],
        recent_contact=recent_contact.json["id"],
        recent_spam=recent_spam["id"],
        deleted_event=deleted_event,
    )


def snapshot(app) -> dict:
    """Every row of the tables the purge may touch, as plain values."""
    with app.app_context():
        connection = db.session.connection()
        tables = (
            "contacts",
            "referrals",
            "inbox_messages",
            "audit_events",
            "outgoing_mail",
            "feedback_answers",
        )
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    sa.select(db.metadata.tables[name]).order_by(db.metadata.tables[name].c.id)
                )
            ]
            for name in tables
        }


def figures(api) -> list:
    """What the overview, the staircase and the channel report say over the whole time."""
    period = f"from={(local_today() - timedelta(days=1200)).isoformat()}&to={local_today()}"
    answers = [
        api.get(f"/stats/summary?{period}", as_user="karin"),
        api.get(f"/stats/summary?{period}&office=K1&channel=epost", as_user="karin"),
        api.get(f"/rosa/staircase?{period}&office=K1", as_user="karin"),
        api.get(f"/channels/parity?{period}", as_user="karin"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.json
    return [answer.json for answer in answers]


def purged_output(counts: dict) -> list[str]:
    return [f"{retention_label}: {counts[key]}" for key, retention_label in LABELS.items()]


LABELS = {
    "contact_notes": "Anteckningar på kontakter",
    "citizen_details": "Kontakter med medborgarens namn, telefon, e-post eller fråga",
    "referral_texts": "Remisser med svar eller parkeringsorsak",
    "mails": "Utgående e-post (mottagare, ämne, text)",
    "inbox_messages": "Inkorgsmeddelanden (avsändare, adress, ämne, text, svar, bilagor)",
    "audit_events": "Händelser i granskningsloggen med fritext",
    "feedback_comments": "Kommentarer i medborgarnas NKI-svar",
    "attachment_folders": "Bilagemappar på disk",
}
EXPECTED = {
    # desk, closed, corrected, and the replied message's contact ("E-…: Öppettider")
    "contact_notes": 4,
    "citizen_details": 2,  # desk and closed; the open callback's stay
    "referral_texts": 1,  # the closed referral's answer and park reason
    "mails": 1,  # the direct reply to the replied message
    "inbox_messages": 2,  # replied and spam
    # closed: parked, answered; corrected: contact.corrected; deleted: contact.deleted
    "audit_events": 4,
    "feedback_comments": 1,  # the old one; the recent contact's comment stays
    "attachment_folders": 1,  # the old spam's
}


def test_dry_run_says_what_would_go_and_changes_nothing(app, runner, matters, attachments):
    before = snapshot(app)
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Ärenden avslutade före ") and "(24 månader)" in lines[0]
    assert lines[1:9] == purged_output(EXPECTED)
    assert lines[-1] == "Provkörning: inget ändrades."
    assert snapshot(app) == before
    assert len(list(attachments.iterdir())) == 2


def test_purge_removes_the_text_of_closed_matters_and_keeps_open_ones(
    app, api, runner, matters, attachments
):
    with app.app_context():
        spam_receipt = db.session.get(InboxMessage, matters.spam).receipt
        recent_receipt = db.session.get(InboxMessage, matters.recent_spam).receipt
        open_forward_note = db.session.scalar(
            sa.select(AuditEvent.data).where(AuditEvent.action == "referral.forwarded")
        )["note"]
    figures_before = figures(api)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:9] == purged_output(EXPECTED)
    with app.app_context():
        notes = dict(db.session.execute(sa.select(Contact.id, Contact.note)).all())
        for gone in (matters.desk, matters.closed, matters.corrected):
            assert notes[gone] == ""
        for kept in (matters.forwarded, matters.callback, matters.recent_contact):
            assert notes[kept] == TEXT
        contacts = {c.id: c for c in db.session.scalars(sa.select(Contact))}
        for gone in (matters.desk, matters.closed):
            contact = contacts[gone]
            assert not contact.has_citizen and contact.question == ""
            # The keyed hash stays: a repeat still links after the purge.
            assert contact.phone_key is not None and contact.email_key is not None
        open_matter = contacts[matters.callback]
        assert (open_matter.citizen_phone, open_matter.citizen_name) == (
            "+46701234567",
            "Anna Svensson",
        )
        assert open_matter.question == QUESTION.replace("811228-9874", "XXXXXX-9874")
        # The later contact of the same citizen and case type still points at the first.
        assert contacts[matters.closed].repeat_of_id == matters.desk
        comments = db.session.scalars(
            sa.select(FeedbackAnswer.comment).order_by(FeedbackAnswer.id)
        ).all()
        assert comments == ["", TEXT]
        (mail,) = db.session.scalars(sa.select(OutgoingMail)).all()
        assert (mail.to_address, mail.subject, mail.body) == ("", "", "")
        assert mail.state == MailState.SENT and mail.sent_at is not None
        referrals = {r.contact_id: r for r in db.session.scalars(sa.select(Referral))}
        closed = referrals[matters.closed]
        assert (closed.answer, closed.park_reason) == ("", "")
        # Status and times stay: lead times and tallies are read from them.
        assert closed.status == "avslutad" and closed.answered_at and closed.closed_at
        assert referrals[matters.callback].answer == TEXT
        messages = {m.id: m for m in db.session.scalars(sa.select(InboxMessage))}
        for gone in (matters.replied, matters.spam):
            message = messages[gone]
            assert (message.sender, message.reply_to, message.subject, message.body) == (
                "",
                "",
                "",
                "",
            )
            assert message.reply == "" and message.attachments == [] and message.raw is None
            assert message.status in ("answered", "spam") and message.handled_at
        assert messages[matters.replied].contact_id is not None
        for kept in (matters.triaged_open, matters.unhandled, matters.recent_spam):
            assert messages[kept].body == TEXT and messages[kept].sender == TEXT
        events = {
            e.id: e for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        }
        by_action = {}
        for event in events.values():
            by_action.setdefault(event.action, []).append(event.data)
        assert [d["note"] for d in by_action["referral.parked"]] == [""]
        assert [d["note"] for d in by_action["referral.answered"]] == ["", TEXT]
        assert [d["note"] for d in by_action["referral.forwarded"]] == [open_forward_note]
        (corrected,) = by_action["contact.corrected"]
        assert corrected["before"]["note"] == "" and corrected["after"]["note"] == ""
        assert corrected["after"]["case_type"] == "EKB"
        assert events[matters.deleted_event].data["before"]["note"] == ""
        (purged,) = by_action["retention.purged"]
        assert {key: purged[key] for key in EXPECTED} == EXPECTED and purged["months"] == 24
    assert not (attachments / spam_receipt).exists()
    assert (attachments / recent_receipt).exists()
    # Every figure of the overview, the staircase and the channel report is unchanged.
    assert figures(api) == figures_before


def test_a_second_run_finds_nothing_and_changes_nothing(app, runner, matters):
    assert runner.invoke(args=["purge"]).exit_code == 0
    before = snapshot(app)
    again = runner.invoke(args=["purge"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[1:9] == purged_output(dict.fromkeys(EXPECTED, 0))
    after = snapshot(app)
    # Only the second run's own audit event was added.
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert after["audit_events"][: len(before["audit_events"])] == before["audit_events"]
    assert count(app, AuditEvent, AuditEvent.action == "retention.purged") == 2


def test_a_longer_limit_keeps_what_is_younger(app, runner, matters):
    result = runner.invoke(args=["purge", "--older-than", "36"])
    assert result.exit_code == 0, result.output
    assert "(36 månader)" in result.output
    assert result.output.splitlines()[1:9] == purged_output(dict.fromkeys(EXPECTED, 0))
    with app.app_context():
        assert db.session.get(Contact, matters.desk).note == TEXT


@pytest.mark.parametrize("value", ["0", "-3", "tolv", "1.5", "", "99999999999999999999"])
def test_bad_limits_are_refused_clearly(app, runner, matters, value):
    before = snapshot(app)
    result = runner.invoke(args=["purge", "--older-than", value])
    assert result.exit_code == 2
    assert "--older-than" in result.output and "ange ett helt antal månader" in result.output
    assert "Traceback" not in result.output
    assert snapshot(app) == before


def test_all_or_nothing_when_the_purge_fails_midway(app, runner, matters, attachments, monkeypatch):
    def failing_record(*args, **kwargs):
        raise RuntimeError("disk full")

    before = snapshot(app)
    monkeypatch.setattr(retention, "record", failing_record)
    result = runner.invoke(args=["purge"])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert snapshot(app) == before
    assert len(list(attachments.iterdir())) == 2


def test_cutoff_counts_calendar_months_in_stockholm():
    now = datetime(2026, 3, 31, 12, 0, tzinfo=LOCAL_TZ)
    assert retention.cutoff(1, now).astimezone(LOCAL_TZ).date() == date(2026, 2, 28)
    assert retention.cutoff(24, now).astimezone(LOCAL_TZ).date() == date(2024, 3, 31)
    assert retention.cutoff(25, now).astimezone(LOCAL_TZ).date() == date(2024, 2, 29)
    assert retention.cutoff(1, utcnow()) < utcnow()
    for bad in (0, -1, retention.MAX_RETENTION_MONTHS + 1):
        with pytest.raises(ValueError):
            retention.cutoff(bad)


def test_names_typed_at_failed_logins_age_out_too(app, client, runner, world):
    client.post("/login", data={"username": "Sven Svensson", "password": "fel"})
    with app.app_context():
        old = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).one()
        old.at -= AGE
        db.session.commit()
    client.post("/login", data={"username": "Stina Svensson", "password": "fel"})
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = db.session.scalars(
            sa.select(AuditEvent.data["username"].as_string())
            .where(AuditEvent.action == "auth.login_failed")
            .order_by(AuditEvent.id)
        ).all()
    assert names == ["", "Stina Svensson"]
