"""Reading a mail's stored attachments back (fetch-mail writes them under the receipt)."""

from pathlib import Path

from flask import current_app, send_file

from frontdesk.inbox.intake import attachment_file_name
from frontdesk.models import InboxMessage
from frontdesk.web import as_download


def attachment_file(message: InboxMessage, index: int) -> tuple[dict, Path] | None:
    """The listed attachment number `index` (from 0) and its file, if it was stored."""
    if not 0 <= index < len(message.attachments or []):
        return None
    root = current_app.config.get("MAIL_ATTACHMENTS_DIR")
    if not root:
        return None
    listed = message.attachments[index]
    path = Path(root) / message.receipt / attachment_file_name(index, listed.get("filename", ""))
    if not path.is_file():
        return None
    return listed, path


def send_attachment(message: InboxMessage | None, index: int):
    """The attachment as a download (never shown inline: it is the sender's file), or None."""
    found = attachment_file(message, index) if message is not None else None
    if found is None:
        return None
    listed, path = found
    # The sender chose the name: one place quotes every download's name (web.as_download).
    response = send_file(path, mimetype="application/octet-stream")
    return as_download(response, listed.get("filename") or f"bilaga-{index + 1}")
