"""Delivering the outbox through a real SMTP server (aiosmtpd on loopback, tests/smtp_server.py).

Every test with `app` runs on SQLite and PostgreSQL. Mail is written with
`frontdesk.mail.outbox.enqueue`, delivered by `deliver-mail` (or `deliver_due` when a
test needs its own clock), and checked both at the server and in the outbox row.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.mail.delivery import DeliveryReport, backoff, deliver_due
from frontdesk.mail.outbox import enqueue
from frontdesk.models import AuditEvent, MailKind, MailState, OutgoingMail
from kanaler.smtp import SmtpSettings, compose, parse_smtp_url
from tests.helpers import one

ROOT = Path(__file__).resolve().parent.parent
SENDER = "Medborgarkontoret <noreply@kommun.example.se>"
CITIZEN = "asa.oberg@example.se"
SUBJECT = "Svar på din fråga om färdtjänst"
BODY = "Hej Åsa!\n\nDitt ärende hos Socialförvaltningen är klart. Välkommen åter.\n\n/Medborgarkontoret\n"


# --- helpers ------------------------------------------------------------------------------


def configure(app, server=None, **extra) -> None:
    settings = {
        "SMTP_URL": server.url if server else "",
        "SMTP_CA_FILE": server.ca_file if server else "",
        "MAIL_FROM": SENDER,
        "SMTP_TIMEOUT": 5,
    }
    app.config.update(settings | extra)


def queue(app, to: str = CITIZEN, subject: str = SUBJECT, body: str = BODY) -> int:
    with app.app_context():
        mail_id = enqueue(MailKind.ANSWER, to, subject, body)
        db.session.commit()
    return mail_id


def mail(app, mail_id: int) -> OutgoingMail:
    return one(app, OutgoingMail, OutgoingMail.id == mail_id)


def deliver(app, now: datetime | None = None) -> DeliveryReport:
    with app.app_context():
        return deliver_due(now)


def run_once(app):
    return app.test_cli_runner().invoke(args=["deliver-mail", "--once"])


def audit(app, mail_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "outgoing_mail", AuditEvent.entity_id == mail_id)
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(events)


def set_mail(app, mail_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(OutgoingMail).where(OutgoingMail.id == mail_id).values(**values)
        )
        db.session.commit()


def message_ids(server) -> list[str]:
    return [received.message["Message-ID"] for received in server.messages]


# --- pure: the URL, the message, the back-off ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.se", SmtpSettings("mail.example.se", 25, "none")),
        ("smtp://relay.kommun.local:2525", SmtpSettings("relay.kommun.local", 2525, "none")),
        ("SMTP://Mail.Example.SE:25/", SmtpSettings("mail.example.se", 25, "none")),
        (
            "smtp+starttls://medborgarkontoret:l%C3%B6sen%40%3A%2Ford@smtp.kommun.se:587",
            SmtpSettings("smtp.kommun.se", 587, "starttls", "medborgarkontoret", "lösen@:/ord"),
        ),
        (
            "smtp+starttls://user%40kommun.se:pw@smtp.kommun.se",
            SmtpSettings("smtp.kommun.se", 587, "starttls", "user@kommun.se", "pw"),
        ),
        ("smtps://u:p@smtp.kommun.se", SmtpSettings("smtp.kommun.se", 465, "ssl", "u", "p")),
        ("smtps://u:p@smtp.kommun.se:4650", SmtpSettings("smtp.kommun.se", 4650, "ssl", "u", "p")),
        ("smtp://[::1]:25", SmtpSettings("::1", 25, "none")),
    ],
)
def test_parse_smtp_url(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "tom"),
        ("mail.example.se", "schema"),
        ("http://mail.example.se", "schema"),
        ("smtp+ssl://mail.example.se", "schema"),
        ("smtp://", "servernamn"),
        ("smtp://:25", "servernamn"),
        ("smtp://mail.example.se:99999", "port"),
        ("smtp://mail.example.se:tjugofem", "port"),
        ("smtp://mail.example.se:0", "port"),
        ("smtp://mail.example.se/inbox", "sökväg"),
        ("smtp://mail.example.se?tls=1", "sökväg"),
        ("smtp+starttls://user@mail.example.se", "lösenord"),
        ("smtp+starttls://:hemligt@mail.example.se", "lösenord"),
        ("smtp://user:hemligt@mail.example.se", "kryptering"),
        ("smtp+starttls://user:hem%0Aligt@mail.example.se", "otillåtna"),
        ("smtp://mail.exa\r\nmple.se", "otillåtna"),
    ],
)
def test_parse_smtp_url_refuses_bad_urls(url, complaint):
    with pytest.raises(ValueError, match=complaint) as caught:
        parse_smtp_url(url)
    assert "hemligt" not in str(caught.value) and "hem\nligt" not in str(caught.value)


def test_settings_never_show_the_password():
    settings = parse_smtp_url("smtps://user:hemligt@smtp.kommun.se")
    assert "hemligt" not in repr(settings) and "hemligt" not in str(settings)


def test_compose():
    date = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    message = compose(
        SENDER, CITIZEN, "Rad ett\r\nBcc: x@example.se", BODY, "<abc.1@kommun.se>", date
    )
    assert message["Message-ID"] == "<abc.1@kommun.se>"
    assert message["Subject"] == "Rad ett Bcc: x@example.se"  # one line, no injected header
    assert message["Bcc"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    assert bytes(message).isascii()  # quoted-printable: any server takes it
    with pytest.raises(ValueError, match="Message-ID"):
        compose(SENDER, CITIZEN, "x", "y", "utan-vinklar@kommun.se", date)
    with pytest.raises(ValueError, match="adress"):
        compose(SENDER, "inte en adress", "x", "y", "<a@b>", date)


def test_backoff_doubles_up_to_six_hours():
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert backoff(10_000) == timedelta(hours=6)


# --- delivery ------------------------------------------------------------------------------


def test_delivers_a_queued_mail_exactly(app, smtp_server):
    server = smtp_server()
    configure(app, server)
    mail_id = queue(app)
    message_id = mail(app, mail_id).message_id
    assert message_id.startswith("<") and message_id.endswith("@kommun.example.se>")

    result = run_once(app)

    assert result.exit_code == 0, result.output
    assert "Skickade 1, försöker igen senare 0, misslyckades 0, osäkra 0." in result.output
    [received] = server.messages
    assert received.mail_from == "noreply@kommun.example.se"
    assert received.rcpt_tos == [CITIZEN]
    message = received.message
    assert message["Message-ID"] == message_id
    assert message["From"] == SENDER
    assert message["To"] == CITIZEN
    assert message["Subject"] == SUBJECT
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"]
    assert message.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire

    row = mail(app, mail_id)
    assert row.state == MailState.SENT and row.attempts == 1
    assert row.sent_at is not None and row.last_error == ""
    events = audit(app, mail_id)
    assert [e.action for e in events] == ["mail.queued", "mail.sent"]
    assert events[-1].data["kind"] == "answer"
    assert CITIZEN not in str(events[-1].data) and "Åsa" not in str(events[-1].data)

    # Nothing due any more: the next run sends nothing.
    assert run_once(app).exit_code == 0
    assert len(server.messages) == 1


def test_server_down_then_back(app, smtp_server):
    server = smtp_server()
    configure(app, server)
    mail_id = queue(app)
    server.stop()
    before = datetime.now(UTC)

    result = run_once(app)

    assert result.exit_code == 1
    assert "försöker igen senare 1" in result.output
    row = mail(app, mail_id)
    assert row.state == MailState.QUEUED and row.attempts == 1
    assert "Kunde inte ansluta" in row.last_error
    assert before + timedelta(seconds=59) <= row.next_attempt_at <= before + timedelta(minutes=2)
    assert [e.action for e in audit(app, mail_id)] == ["mail.queued", "mail.retry"]

    server.start()
    assert run_once(app).exit_code == 0  # back, but the mail waits for its time
    assert server.messages == []

    report = deliver(app, now=datetime.now(UTC) + timedelta(minutes=2))
    assert (report.sent, report.retrying) == (1, 0)
    assert message_ids(server) == [row.message_id]
    row = mail(app, mail_id)
    assert row.state == MailState.SENT and row.attempts == 2 and row.last_error == ""

    deliver(app, now=datetime.now(UTC) + timedelta(hours=1))
    assert len(server.messages) == 1  # exactly once


def test_an_unreachable_server_stops_the_run(app, smtp_server):
    """Nothing more is claimed once the server cannot be reached: the rest wait their turn."""
    server = smtp_server()
    configure(app, server)
    first, *rest = [queue(app, subject=f"Brev {n}") for n in range(3)]
    server.stop()

    report = deliver(app)

    assert (report.sent, report.retrying) == (0, 1)
    assert mail(app, first).attempts == 1
    assert [mail(app, m).attempts for m in rest] == [0, 0]
    assert all(mail(app, m).state == MailState.QUEUED for m in [first, *rest])


def test_permanent_refusal_fails_for_good(app, smtp_server):
    answer = f"550 5.1.1 <{CITIZEN}>: Recipient address rejected: User unknown"
    server = smtp_server(refuse=answer)
    configure(app, server)
    mail_id = queue(app)

    result = run_once(app)

    assert result.exit_code == 1
    assert "misslyckades 1" in result.output
    row = mail(app, mail_id)
    assert row.state == MailState.FAILED
    assert row.last_error == answer
    event = audit(app, mail_id)[-1]
    assert event.action == "mail.failed"
    assert event.data["error"].startswith("550 5.1.1")
    assert CITIZEN not in event.data["error"] and "[mottagaren]" in event.data["error"]

    server.refuse(None)
    deliver(app, now=datetime.now(UTC) + timedelta(days=1))
    assert server.messages == [] and mail(app, mail_id).state == MailState.FAILED


def test_temporary_refusal_backs_off(app, smtp_server):
    server = smtp_server(refuse="451 4.3.0 Försök igen senare", refuse_at="data")
    configure(app, server)
    mail_id = queue(app)
    start = datetime.now(UTC)

    first = deliver(app, now=start)
    second = deliver(app, now=start + timedelta(seconds=61))

    assert first.retrying == 1 and second.retrying == 1 and not second.ok
    row = mail(app, mail_id)
    assert row.state == MailState.QUEUED and row.attempts == 2
    assert row.last_error == "451 4.3.0 Försök igen senare"
    assert row.next_attempt_at == start + timedelta(seconds=61) + timedelta(minutes=2)
    assert server.messages == []


def test_starttls_with_a_private_ca_and_login(app, smtp_server):
    server = smtp_server(security="starttls", auth=("medborgarkontoret", "Hemligt-Lösen-42"))
    configure(app, server)
    assert server.url.startswith("smtp+starttls://medborgarkontoret:")
    mail_id = queue(app)

    result = run_once(app)

    assert result.exit_code == 0, result.output
    [received] = server.messages
    assert received.login == "medborgarkontoret"
    assert received.message["Message-ID"] == mail(app, mail_id).message_id
    assert mail(app, mail_id).state == MailState.SENT

    # Without the CA file the certificate is refused and nothing is sent.
    app.config["SMTP_CA_FILE"] = ""
    other = queue(app)
    result = run_once(app)
    assert result.exit_code == 1
    row = mail(app, other)
    assert row.state == MailState.QUEUED
    assert "certifikat" in row.last_error
    assert len(server.messages) == 1


def test_starttls_is_required_when_asked_for(app, smtp_server):
    server = smtp_server()  # offers no STARTTLS
    configure(app, server, SMTP_URL=server.url.replace("smtp://", "smtp+starttls://"))
    mail_id = queue(app)

    assert run_once(app).exit_code == 1

    row = mail(app, mail_id)
    assert row.state == MailState.QUEUED and "STARTTLS" in row.last_error
    assert server.messages == []


def test_a_refused_login_keeps_the_mail(app, smtp_server):
    server = smtp_server(security="starttls", auth=("user", "rätt-lösenord"))
    configure(app, server, SMTP_URL=server.url.replace("r%C3%A4tt", "fel"))
    mail_id = queue(app)

    assert run_once(app).exit_code == 1

    row = mail(app, mail_id)
    assert row.state == MailState.QUEUED
    assert "535" in row.last_error and "fel-lösenord" not in row.last_error
    assert server.messages == []


def test_smtps(app, smtp_server):
    server = smtp_server(security="ssl", auth=("brevlåda", "lösen:@/ord"))
    configure(app, server)
    assert server.url.startswith("smtps://")
    mail_id = queue(app)

    result = run_once(app)

    assert result.exit_code == 0, result.output
    [received] = server.messages
    assert received.login == "brevlåda"
    assert received.message["Message-ID"] == mail(app, mail_id).message_id


def test_a_mail_that_cannot_be_written_fails_without_sending(app, smtp_server):
    server = smtp_server()
    configure(app, server)
    bad = queue(app, to="inte en adress")
    good = queue(app)

    report = deliver(app)

    assert (report.sent, report.failed) == (1, 1)
    assert mail(app, bad).state == MailState.FAILED and "adress" in mail(app, bad).last_error
    assert message_ids(server) == [mail(app, good).message_id]


# --- crashes and several deliverers ---------------------------------------------------------


def test_crash_between_sending_and_marking(app, smtp_server):
    server = smtp_server()
    configure(app, server)
    crashed = queue(app)
    busy = queue(app)
    now = datetime.now(UTC)
    # One deliverer claimed a mail eleven minutes ago and vanished; another is at work now.
    set_mail(app, crashed, state="sending", attempts=1, claimed_at=now - timedelta(minutes=11))
    set_mail(app, busy, state="sending", attempts=1, claimed_at=now - timedelta(seconds=30))

    result = run_once(app)

    assert result.exit_code == 1
    assert "osäkra 1" in result.output
    assert server.messages == []  # at most once: not sent again
    row = mail(app, crashed)
    assert row.state == MailState.UNCERTAIN and row.last_error
    assert audit(app, crashed)[-1].action == "mail.uncertain"
    assert mail(app, busy).state == MailState.SENDING  # within its lease: left alone

    run_once(app)
    assert server.messages == [] and mail(app, crashed).state == MailState.UNCERTAIN

    runner = app.test_cli_runner()
    result = runner.invoke(args=["deliver-mail", "--requeue", str(crashed)])
    assert result.exit_code == 0, result.output
    assert f"Brev {crashed}" in result.output
    assert mail(app, crashed).state == MailState.QUEUED
    assert audit(app, crashed)[-1].action == "mail.requeued"

    assert run_once(app).exit_code == 0
    assert message_ids(server) == [row.message_id]  # the same Message-ID as before
    assert mail(app, crashed).state == MailState.SENT and mail(app, crashed).attempts == 2


def test_requeue_only_failed_or_uncertain(app, smtp_server):
    server = smtp_server()
    configure(app, server)
    mail_id = queue(app)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["deliver-mail", "--requeue", str(mail_id)])
    assert result.exit_code == 1 and "Väntar på att skickas" in result.output
    result = runner.invoke(args=["deliver-mail", "--requeue", "999999"])
    assert result.exit_code == 1 and "inget brev" in result.output
    assert mail(app, mail_id).state == MailState.QUEUED
    assert [e.action for e in audit(app, mail_id)] == ["mail.queued"]


def test_a_purged_mail_is_not_requeued(app, smtp_server):
    configure(app, smtp_server())
    mail_id = queue(app)
    set_mail(app, mail_id, state=MailState.FAILED.value, to_address="", subject="", body="")
    result = app.test_cli_runner().invoke(args=["deliver-mail", "--requeue", str(mail_id)])
    assert result.exit_code == 1 and "gallrat" in result.output
    assert mail(app, mail_id).state == MailState.FAILED


def test_two_deliverers_send_each_mail_once(app, smtp_server):
    server = smtp_server(delay=0.02)
    configure(app, server)
    mail_ids = [queue(app, subject=f"Brev {n}") for n in range(5)]
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def deliverer():
        try:
            with app.app_context():
                barrier.wait(10)
                reports.append(deliver_due())
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sum(r.sent for r in reports) == 5 and all(r.ok for r in reports)
    expected = sorted(mail(app, m).message_id for m in mail_ids)
    assert sorted(message_ids(server)) == expected  # each exactly once
    assert all(
        mail(app, m).state == MailState.SENT and mail(app, m).attempts == 1 for m in mail_ids
    )


# --- without a server, and as a service ---------------------------------------------------


def test_without_smtp_url_the_mail_stays_queued(app):
    configure(app)
    mail_id = queue(app)

    result = run_once(app)

    assert result.exit_code == 2
    assert "SMTP_URL är inte satt; 1 brev väntar i utkorgen." in result.output
    row = mail(app, mail_id)
    assert row.state == MailState.QUEUED and row.attempts == 0


def test_bad_settings_are_refused(app, smtp_server):
    configure(app, SMTP_URL="smtp://user:hemligt@mail.example.se")
    result = run_once(app)
    assert result.exit_code == 1 and "kryptering" in result.output
    assert "hemligt" not in result.output

    server = smtp_server()
    configure(app, server, MAIL_FROM="")
    mail_id = queue(app)
    result = run_once(app)
    assert result.exit_code == 1 and "MAIL_FROM" in result.output
    app.config["MAIL_FROM"] = "Medborgarkontoret <noreply@>"
    result = run_once(app)
    assert result.exit_code == 1 and "giltig avsändaradress" in result.output
    assert mail(app, mail_id).state == MailState.QUEUED and server.messages == []


def _service(app, tmp_path, **env):
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "MAIL_FROM": SENDER,
        "MAIL_POLL_SECONDS": "1",
        "SMTP_URL": "",
        **env,
    }
    log = tmp_path / "deliver-mail.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "frontdesk", "deliver-mail"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    return process, log


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _stop(process) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def test_the_service_delivers_and_stops_on_sigterm(app, smtp_server, tmp_path):
    server = smtp_server()
    configure(app, server)
    mail_id = queue(app)
    process, log = _service(app, tmp_path, SMTP_URL=server.url)
    try:
        assert _wait_for(lambda: mail(app, mail_id).state == MailState.SENT), log.read_text()
        # A mail queued while it runs goes out on a later round.
        later = queue(app)
        assert _wait_for(lambda: mail(app, later).state == MailState.SENT), log.read_text()
    finally:
        returncode = _stop(process)
    assert returncode == 0, log.read_text()
    assert len(server.messages) == 2
    assert "Stoppad." in log.read_text()


def test_the_service_without_smtp_url_keeps_the_mail(app, tmp_path):
    configure(app)
    mail_id = queue(app)
    process, log = _service(app, tmp_path)
    try:
        assert _wait_for(lambda: "SMTP_URL är inte satt" in log.read_text()), log.read_text()
    finally:
        returncode = _stop(process)
    assert returncode == 0, log.read_text()
    assert log.read_text().count("SMTP_URL är inte satt") == 1
    assert mail(app, mail_id).state == MailState.QUEUED
