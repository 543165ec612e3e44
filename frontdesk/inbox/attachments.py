"""Reading a mail's stored attachments back (fetch-mail writes them under the receipt)."""

from pathlib import Path

from flask import current_app

from frontdesk.inbox.intake import attachment_file_name
from frontdesk.models import InboxMessage


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
