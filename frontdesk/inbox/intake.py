"""Bringing e-mail and call records in: the parts of fetch-mail and import-calls with the database."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from kanaler.mail import attachment_payloads, parse_mail
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.inbox.operations import Incoming, receive
from frontdesk.models import CallRecord, Office
from kanaler.calls import CallRecord as Call

# Mail that could not be read cleanly is kept as received, up to this size.
RAW_MAX = 10 * 1024 * 1024


@dataclass
class MailResult:
    created: int = 0
    duplicates: int = 0
    malformed: int = 0
    receipts: list[str] = field(default_factory=list)


def store_mail(raw: bytes, office: Office, result: MailResult, attachments_dir: str = "") -> bool:
    """Store one e-mail as an inbox message; False when it was there already (Message-ID).

    A message without a Message-ID gets one from its bytes, so fetching the same
    mailbox twice adds nothing either way.
    """
    parsed = parse_mail(raw)
    message_id = parsed.message_id or f"<sha256:{hashlib.sha256(raw).hexdigest()}>"
    problems = list(parsed.problems)
    keep_raw = parsed.malformed
    if keep_raw and len(raw) > RAW_MAX:
        problems.append(f"Originalet är {len(raw)} byte; de första {RAW_MAX} är sparade.")
    message = receive(
        Incoming(
            channel="epost",
            office=office,
            sender=parsed.sender,
            reply_to=parsed.sender_address or "",
            subject=parsed.subject,
            body=parsed.body,
            received_at=parsed.received_at,
            message_id=message_id,
            attachments=[
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in parsed.attachments
            ],
            malformed=parsed.malformed,
            problems=problems,
            raw=raw[:RAW_MAX] if keep_raw else None,
        )
    )
    if message is None:
        result.duplicates += 1
        return False
    result.created += 1
    result.malformed += int(parsed.malformed)
    result.receipts.append(message.receipt)
    if attachments_dir and parsed.attachments:
        folder = Path(attachments_dir) / message.receipt
        folder.mkdir(parents=True, exist_ok=True)
        for index, (filename, _content_type, payload) in enumerate(attachment_payloads(raw)):
            (folder / f"{index + 1}-{filename}").write_bytes(payload)
    return True


def store_calls(calls: list[Call]) -> int:
    """Insert call records; ones already imported (same time, queue and figures) are skipped."""
    if not calls:
        return 0
    table = CallRecord.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    rows = [
        {
            "called_at": c.called_at,
            "queue": c.queue,
            "answered": c.answered,
            "wait_seconds": c.wait_seconds,
            "talk_seconds": c.talk_seconds,
        }
        for c in calls
    ]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert.on_conflict_do_nothing(), rows[start : start + 5000])
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) - before
