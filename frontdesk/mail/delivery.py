"""Delivering the outbox through SMTP, safely with several deliverers at once.

The protocol (the same on PostgreSQL and SQLite, for any number of `deliver-mail`
processes):

1. Claims older than MAIL_SENDING_LEASE_SECONDS are expired first: a mail still in
   `sending` then belongs to a deliverer that stopped between the server's answer and
   its mark. It may or may not have gone out, so it becomes `uncertain` and is never
   sent again automatically (at most once); `requeue` puts it back after a person checked.
2. Each due mail (`queued`, `next_attempt_at` reached, oldest first) is claimed with one
   guarded UPDATE (`... WHERE id = ? AND state = 'queued'`) committed on its own. Only
   the deliverer whose UPDATE changed the row sends it; the others skip it.
3. The message goes out with the Message-ID written at enqueue time, outside any
   database transaction.
4. The outcome is marked in a new transaction: `sent`; back to `queued` with the
   server's answer and an exponential back-off on a temporary failure; `failed` on a
   permanent one. Every change is in the audit log, without the address or the text.

A claim is identified by the mail's id and its `attempts` (raised by each claim), so a
late mark can never overwrite a later claim of the same mail.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import MailKind, MailState, OutgoingMail, User
from frontdesk.models.mail import MAIL_ERROR_MAX
from frontdesk.timeutil import utcnow
from kanaler.smtp import (
    ConnectionFailure,
    PermanentFailure,
    SmtpConnection,
    SmtpSettings,
    TemporaryFailure,
    compose,
    parse_smtp_url,
)

log = logging.getLogger("frontdesk.mail")

_OUTBOX = OutgoingMail.__table__
DEFAULT_LEASE_SECONDS = 600
SMTP_TIMEOUT_SECONDS = 30
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
_BATCH = 100
_ERRORS_KEPT = 5


class DeliveryConfigError(RuntimeError):
    """SMTP_URL or MAIL_FROM is unusable; the message is Swedish."""


class RequeueError(LookupError):
    """The mail cannot be put back in the queue; the message is Swedish."""


@dataclass
class DeliveryReport:
    """What one run did. `waiting` is counted only when SMTP is not configured."""

    configured: bool = True
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.retrying or self.failed or self.uncertain)

    @property
    def anything(self) -> bool:
        return bool(self.sent or self.retrying or self.failed or self.uncertain)

    def summary(self) -> str:
        if not self.configured:
            return f"SMTP_URL är inte satt; {self.waiting} brev väntar i utkorgen."
        return (
            f"Skickade {self.sent}, försöker igen senare {self.retrying}, "
            f"misslyckades {self.failed}, osäkra {self.uncertain}."
        )

    def _error(self, text: str) -> None:
        if text not in self.errors and len(self.errors) < _ERRORS_KEPT:
            self.errors.append(text)


def smtp_settings() -> SmtpSettings | None:
    """The configured server, or None without SMTP_URL; DeliveryConfigError when unusable."""
    config = current_app.config
    url = (config.get("SMTP_URL") or "").strip()
    if not url:
        return None
    try:
        settings = parse_smtp_url(url)
    except ValueError as error:
        raise DeliveryConfigError(str(error)) from None
    mail_from = (config.get("MAIL_FROM") or "").strip()
    example = "till exempel 'Medborgarkontoret <noreply@kommun.se>'"
    if not mail_from:
        raise DeliveryConfigError(f"MAIL_FROM är inte satt: ange avsändaren, {example}.")
    try:
        compose(mail_from, "prov@example.invalid", "", "", "<prov@example.invalid>", utcnow())
    except ValueError:
        raise DeliveryConfigError(
            f"MAIL_FROM är ingen giltig avsändaradress: {mail_from!r}; {example}."
        ) from None
    return settings


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failed attempt: 1 min, 2, 4, ... at most 6 hours."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20), LONGEST_RETRY)


def _lease() -> timedelta:
    return timedelta(
        seconds=int(current_app.config.get("MAIL_SENDING_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    )


def _scrub(text: str, address: str) -> str:
    """An error text for the audit log: the recipient's address replaced."""
    if address:
        lowered = text.lower()
        needle = address.lower()
        while needle in lowered:
            at = lowered.index(needle)
            text = text[:at] + "[mottagaren]" + text[at + len(needle) :]
            lowered = text.lower()
    return text


def expire_claims(now: datetime) -> int:
    """Mark `uncertain` every mail whose claim is older than the lease; how many."""
    cutoff = now - _lease()
    stale = db.session.execute(
        sa.select(_OUTBOX.c.id, _OUTBOX.c.kind, _OUTBOX.c.attempts)
        .where(_OUTBOX.c.state == MailState.SENDING.value, _OUTBOX.c.claimed_at < cutoff)
        .order_by(_OUTBOX.c.id)
    ).all()
    expired = 0
    text = "Avbröts under sändningen; okänt om servern tog emot brevet."
    for row in stale:
        result = db.session.execute(
            sa.update(_OUTBOX)
            .where(
                _OUTBOX.c.id == row.id,
                _OUTBOX.c.state == MailState.SENDING.value,
                _OUTBOX.c.attempts == row.attempts,
                _OUTBOX.c.claimed_at < cutoff,
            )
            .values(state=MailState.UNCERTAIN.value, last_error=text)
        )
        if result.rowcount == 1:
            record("mail.uncertain", "outgoing_mail", row.id, None, kind=row.kind, error=text)
            log.warning("Brev %s blev osäkert: %s", row.id, text)
            expired += 1
    db.session.commit()
    return expired


def _due_ids(now: datetime, after: int) -> list[int]:
    ids = db.session.scalars(
        sa.select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.state == MailState.QUEUED.value,
            _OUTBOX.c.next_attempt_at <= now,
            _OUTBOX.c.id > after,
        )
        .order_by(_OUTBOX.c.id)
        .limit(_BATCH)
    ).all()
    db.session.commit()  # no transaction stays open while talking to the server
    return list(ids)


def _claim(mail_id: int, now: datetime):
    """Claim one mail for this deliverer and read it; None when another one has it."""
    result = db.session.execute(
        sa.update(_OUTBOX)
        .where(
            _OUTBOX.c.id == mail_id,
            _OUTBOX.c.state == MailState.QUEUED.value,
            _OUTBOX.c.next_attempt_at <= now,
        )
        .values(
            state=MailState.SENDING.value,
            claimed_at=now,
            attempts=_OUTBOX.c.attempts + 1,
        )
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        sa.select(
            _OUTBOX.c.id,
            _OUTBOX.c.kind,
            _OUTBOX.c.attempts,
            _OUTBOX.c.to_address,
            _OUTBOX.c.subject,
            _OUTBOX.c.body,
            _OUTBOX.c.message_id,
        ).where(_OUTBOX.c.id == mail_id)
    ).one()
    db.session.commit()
    return row


def _mark(row, states: tuple[MailState, ...], values: dict) -> bool:
    """Change this claim's mail (id and attempts) if it is still in one of `states`."""
    result = db.session.execute(
        sa.update(_OUTBOX)
        .where(
            _OUTBOX.c.id == row.id,
            _OUTBOX.c.attempts == row.attempts,
            _OUTBOX.c.state.in_([s.value for s in states]),
        )
        .values(**values)
    )
    return result.rowcount == 1


def _sent(row, now: datetime, report: DeliveryReport) -> None:
    # Also from `uncertain`: a claim that outlived its lease did reach the server after all.
    if _mark(
        row,
        (MailState.SENDING, MailState.UNCERTAIN),
        {"state": MailState.SENT.value, "sent_at": now, "last_error": ""},
    ):
        record("mail.sent", "outgoing_mail", row.id, None, kind=row.kind, attempts=row.attempts)
        report.sent += 1
    else:
        log.warning("Brev %s skickades men hade bytt läge; lämnas som det är.", row.id)
    db.session.commit()


def _retry(row, now: datetime, text: str, report: DeliveryReport) -> None:
    next_attempt = now + backoff(row.attempts)
    if _mark(
        row,
        (MailState.SENDING,),
        {
            "state": MailState.QUEUED.value,
            "last_error": text[:MAIL_ERROR_MAX],
            "next_attempt_at": next_attempt,
        },
    ):
        error = _scrub(text, row.to_address)
        record(
            "mail.retry",
            "outgoing_mail",
            row.id,
            None,
            kind=row.kind,
            error=error[:MAIL_ERROR_MAX],
            attempts=row.attempts,
            next_attempt_at=next_attempt.isoformat(),
        )
        report.retrying += 1
        report._error(error)
        log.info(
            "Brev %s försöks igen %s: %s",
            row.id,
            next_attempt.strftime("%Y-%m-%d %H:%M:%S UTC"),
            error,
        )
    db.session.commit()


def _fail(row, text: str, report: DeliveryReport, state: MailState = MailState.FAILED) -> None:
    action = "mail.failed" if state is MailState.FAILED else "mail.uncertain"
    if _mark(
        row, (MailState.SENDING,), {"state": state.value, "last_error": text[:MAIL_ERROR_MAX]}
    ):
        error = _scrub(text, row.to_address)
        record(action, "outgoing_mail", row.id, None, kind=row.kind, error=error[:MAIL_ERROR_MAX])
        if state is MailState.FAILED:
            report.failed += 1
        else:
            report.uncertain += 1
        report._error(error)
        log.warning("Brev %s: %s (%s)", row.id, state.label, error)
    db.session.commit()


def deliver_due(
    now: datetime | None = None, *, stop: threading.Event | None = None
) -> DeliveryReport:
    """Expire stale claims, then send every due mail once; what happened.

    `now` fixes the clock (tests); by default each claim reads the time afresh, so a
    long run never claims with an old time another deliverer would take for stale.
    `stop` ends the run between two mails (a service being stopped), never during one.
    Commits on its own, one transaction per state change.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    settings = smtp_settings()
    report = DeliveryReport(configured=settings is not None)
    report.uncertain += expire_claims(clock())
    if settings is None:
        report.waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(_OUTBOX)
            .where(_OUTBOX.c.state == MailState.QUEUED.value)
        )
        db.session.commit()
        return report

    config = current_app.config
    mail_from = config["MAIL_FROM"].strip()
    smtp = SmtpConnection(
        settings,
        timeout=float(config.get("SMTP_TIMEOUT", SMTP_TIMEOUT_SECONDS)),
        ca_file=config.get("SMTP_CA_FILE") or None,
    )
    with smtp:
        last_id = 0
        while ids := _due_ids(clock(), last_id):
            for mail_id in ids:
                last_id = mail_id
                if stop is not None and stop.is_set():
                    return report
                if not _deliver_one(mail_id, mail_from, smtp, clock, report):
                    return report
    return report


def _deliver_one(
    mail_id: int,
    mail_from: str,
    smtp: SmtpConnection,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> bool:
    """Claim, send and mark one mail; False when the run should stop (server unreachable)."""
    claimed_at = clock()
    row = _claim(mail_id, claimed_at)
    if row is None:
        return True  # another deliverer has it
    try:
        message = compose(
            mail_from, row.to_address, row.subject, row.body, row.message_id, claimed_at
        )
    except ValueError as error:
        _fail(row, f"Brevet kunde inte skrivas: {error}", report)
        return True
    try:
        smtp.send(message)
    except ConnectionFailure as error:
        # Nothing was sent; the next mails would meet the same server: try them next run.
        _retry(row, clock(), error.text, report)
        return False
    except TemporaryFailure as error:
        _retry(row, clock(), error.text, report)
    except PermanentFailure as error:
        _fail(row, error.text, report)
    except Exception as error:  # noqa: BLE001  (unknown outcome: at most once)
        log.exception("Brev %s: oväntat fel under sändningen", mail_id)
        smtp.close()
        _fail(row, f"Oväntat fel under sändningen: {error!r}", report, MailState.UNCERTAIN)
        return False
    else:
        _sent(row, clock(), report)
    return True


def requeue(mail_id: int, user: User | None = None) -> MailState:
    """Put a `failed` or `uncertain` mail back in the queue, due now; its previous state.

    For a person who checked (with the recipient or the server's log) that it should go
    (again). Audited as `mail.requeued`; the caller commits.
    """
    row = db.session.execute(
        sa.select(_OUTBOX.c.state, _OUTBOX.c.kind, _OUTBOX.c.to_address).where(
            _OUTBOX.c.id == mail_id
        )
    ).one_or_none()
    if row is None:
        raise RequeueError(f"Det finns inget brev med id {mail_id}.")
    if not row.to_address:
        raise RequeueError(f"Brev {mail_id} är gallrat (purge): det finns inget kvar att skicka.")
    previous = MailState(row.state)
    if previous not in (MailState.FAILED, MailState.UNCERTAIN):
        raise RequeueError(
            f"Brev {mail_id} kan inte läggas i kö igen: det är i läget "
            f"”{previous.label}” (bara misslyckade och osäkra brev kan det)."
        )
    result = db.session.execute(
        sa.update(_OUTBOX)
        .where(_OUTBOX.c.id == mail_id, _OUTBOX.c.state == previous.value)
        .values(state=MailState.QUEUED.value, next_attempt_at=utcnow())
    )
    if result.rowcount != 1:
        raise RequeueError(f"Brev {mail_id} ändrades samtidigt av någon annan; försök igen.")
    record(
        "mail.requeued",
        "outgoing_mail",
        mail_id,
        user,
        kind=MailKind(row.kind).value,
        previous_state=previous.value,
    )
    return previous
