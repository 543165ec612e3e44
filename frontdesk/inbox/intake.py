"""Bringing e-mail and call records in: the parts of fetch-mail and import-calls with the database."""

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.extensions import db
from frontdesk.inbox.operations import Incoming, receive
from frontdesk.models import CallRecord, InboxMessage, Office
from frontdesk.timeutil import CLOCK_SKEW, EARLIEST_YEAR, utcnow
from kanaler import mask_personnummer
from kanaler.calls import CallRecord as Call
from kanaler.mail import attachment_payloads, parse_mail

# Mail that could not be read cleanly is kept as received, up to this size.
RAW_MAX = 10 * 1024 * 1024


@dataclass
class MailResult:
    created: int = 0
    duplicates: int = 0
    malformed: int = 0
    receipts: list[str] = field(default_factory=list)


def _arrival(parsed_date: datetime | None, problems: list[str]) -> datetime:
    """The sender's Date header when it is plausible, else the time of fetching."""
    now = utcnow()
    if parsed_date is None:
        return now
    if parsed_date.year < EARLIEST_YEAR or parsed_date > now + CLOCK_SKEW:
        problems.append(
            f"Datumhuvudet ({parsed_date:%Y-%m-%d}) är orimligt; hämtningstiden används."
        )
        return now
    return parsed_date


def store_mail(raw: bytes, office: Office, result: MailResult) -> InboxMessage | None:
    """Store one e-mail as an inbox message; None when it was there already (Message-ID).

    A message without a Message-ID gets one from its bytes, so fetching the same
    mailbox twice adds nothing either way.
    """
    parsed = parse_mail(raw)
    message_id = parsed.message_id or f"<sha256:{hashlib.sha256(raw).hexdigest()}>"
    problems = list(parsed.problems)
    received_at = _arrival(parsed.received_at, problems)
    keep_raw = parsed.malformed or bool(problems)
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
            received_at=received_at,
            message_id=message_id,
            attachments=[
                {
                    "filename": mask_personnummer(a.filename),
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in parsed.attachments
            ],
            malformed=bool(problems),
            problems=problems,
            raw=raw[:RAW_MAX] if keep_raw else None,
        )
    )
    if message is None:
        result.duplicates += 1
        return None
    result.created += 1
    result.malformed += int(message.malformed)
    result.receipts.append(message.receipt)
    return message


def store_unreadable(raw: bytes, office: Office, result: MailResult, error: Exception) -> None:
    """Keep a mail the import could not handle at all, flagged, so it is never lost."""
    message = receive(
        Incoming(
            channel="epost",
            office=office,
            subject="(e-postmeddelande som inte kunde läsas)",
            message_id=f"<sha256:{hashlib.sha256(raw).hexdigest()}>",
            malformed=True,
            problems=[f"Meddelandet kunde inte läsas in ({type(error).__name__})."],
            raw=raw[:RAW_MAX],
        )
    )
    if message is None:
        result.duplicates += 1
        return
    result.created += 1
    result.malformed += 1
    result.receipts.append(message.receipt)


def attachment_file_name(index: int, filename: str) -> str:
    """`N-name`, cut to fit the file system's 255 bytes (names are UTF-8)."""
    stem, extension = os.path.splitext(f"{index + 1}-{mask_personnummer(filename)}")
    extension = extension.encode()[:20].decode(errors="ignore")
    stem = stem.encode()[: 200 - len(extension.encode())].decode(errors="ignore")
    return stem + extension


def save_attachments(message: InboxMessage, raw: bytes, attachments_dir: str) -> None:
    """Write the mail's attachments under ATTACHMENTS_DIR/RECEIPT/ (after the commit)."""
    folder = Path(attachments_dir) / message.receipt
    folder.mkdir(parents=True, exist_ok=True)
    for index, (filename, _content_type, payload) in enumerate(attachment_payloads(raw)):
        (folder / attachment_file_name(index, filename)).write_bytes(payload)


def store_calls(calls: list[Call]) -> int:
    """Insert call records; ones already imported (same time, queue and figures) are skipped."""
    if not calls:
        return 0
    table = CallRecord.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    seen: Counter = Counter()
    masked_queues: dict[str, str] = {}
    rows = []
    for c in calls:
        # The queue is the export's only free text.
        queue = masked_queues.get(c.queue)
        if queue is None:
            queue = masked_queues[c.queue] = mask_personnummer(c.queue)
        key = (c.called_at, queue, c.answered, c.wait_seconds, c.talk_seconds)
        rows.append(
            {
                "called_at": c.called_at,
                "queue": queue,
                "answered": c.answered,
                "wait_seconds": c.wait_seconds,
                "talk_seconds": c.talk_seconds,
                # The n-th identical row of the file: the same file again maps onto the same rows.
                "seq": seen[key],
            }
        )
        seen[key] += 1
    before = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert.on_conflict_do_nothing(), rows[start : start + 5000])
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) - before
