"""E-mail intake: raw RFC 5322 bytes in, plain data for the inbox out.

Pure standard library. Nothing here raises on hostile input: a message that cannot be read
cleanly comes back with ``malformed=True`` and its problems listed in Swedish, so the caller
can keep the raw bytes and flag the message instead of losing it. All text returned is plain
text; the app escapes it when rendering. Personnummer masking is the app's job.

The ``email`` package's modern policy is slow (quadratic, sometimes recursive) on some hostile
headers, and ``html.parser`` is quadratic on unterminated markup, so both are only ever fed
input of bounded size or shape; see ``_overlong_headers`` and ``_normalise_html``.
"""

import codecs
import email.errors
import email.policy
import email.utils
import mimetypes
import os.path
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from html.parser import HTMLParser

MAX_SENDER = 320
MAX_SUBJECT = 500
MAX_BODY = 100_000
TRUNCATION_NOTE = "[... texten är avkortad ...]"
MAX_FILENAME = 200
MAX_DEPTH = 20  # nesting of multiparts
MAX_PARTS = 500  # MIME parts looked at in one message
MAX_TEXT_BYTES = 2_000_000  # bytes of one text part decoded; the body is cut far below that
MAX_HTML_CHARS = 1_000_000  # characters of HTML converted to text
MAX_TAG = 10_000  # longer HTML tags are dropped
MAX_PROBLEMS = 30
MAX_URL = 2_000

# Headers the modern policy parses for us (Content-*) or that we decode with its header
# classes. Longer values than this go through compat32 / are cut before decoding.
_MODERN_HEADER_LIMIT = 2_000
_MODERN_HEADER_TOTAL = 30_000
_HEADER_DECODE_LIMIT = {"from": 2_000, "subject": 10_000, "date": 200, "message-id": 2_000}
_WATCHED_HEADER = re.compile(
    rb"^(?:content-type|content-disposition|content-transfer-encoding|from|subject|date"
    rb"|message-id)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)

_SURROGATES = re.compile("[\ud800-\udfff]")
# C0/C1 controls, bidi embeddings/overrides/isolates, BOM: never wanted in a one-line field.
_LINE_JUNK = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
# In multi-line text keep tab and newline.
_TEXT_JUNK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")
_ADDRESS = re.compile(r"[^\s@<>()\[\]\\,;:\"\x00-\x1f\x7f]+@[^\s@<>()\[\]\\,;:\"\x00-\x1f\x7f]+")
_NO_CHARSET = frozenset(
    {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "default", "8bit"}
)
# Python codecs that are not e-mail charsets; treated as unknown.
_REFUSED_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode", "mbcs", "oem"}
)
_BODY_TYPES = ("text/plain", "text/html")


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int  # bytes, after transfer decoding


@dataclass
class ParsedMail:
    message_id: str | None  # as in the header, angle brackets included
    sender: str  # "Name <address>", the address, or whatever the From header said
    sender_address: str | None
    subject: str
    body: str  # plain text
    received_at: datetime | None  # from the Date header, aware, UTC
    attachments: list[Attachment] = field(default_factory=list)
    malformed: bool = False
    problems: list[str] = field(default_factory=list)  # Swedish, for the staff


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text in self.items or len(self.items) > MAX_PROBLEMS:
            return
        if len(self.items) == MAX_PROBLEMS:
            text = "Fler problem finns men visas inte."
        self.items.append(text)


# --- public API ---------------------------------------------------------------------------


def parse_mail(raw: bytes) -> ParsedMail:
    """Read one message. Never raises for any bytes; problems are reported, not thrown."""
    raw = bytes(raw)
    if not raw.strip():
        return ParsedMail(None, "", None, "", "", None, [], True, ["Meddelandet är tomt."])
    problems = _Problems()
    try:
        return _parse(raw, problems)
    except Exception:  # last line of defence, the raw bytes must survive
        problems.add("Meddelandet kunde inte tolkas; hela innehållet visas som text.")
        return _raw_fallback(raw, problems)


def attachment_payloads(raw: bytes) -> Iterator[tuple[str, str, bytes]]:
    """(filename, content type, decoded bytes) of each attachment, for apps that store them.

    Filenames and order are the same as in ``parse_mail(raw).attachments``.
    """
    try:
        msg = _parse_message(bytes(raw), _Problems())
        if msg is None:
            return
        parts = _attachment_parts(_leaves(msg, _Problems()))
    except Exception:
        return
    for part, filename, content_type in parts:
        yield filename, content_type, _payload_bytes(part, _Problems())


def html_to_text(html: str) -> str:
    """Plain text of an HTML document: no script/style/head content, links as "text (URL)"."""
    html = html.replace("\ue000", "").replace("\ue001", "")
    try:
        parser = _TextParser()
        parser.feed(_normalise_html(html))
        parser.close()
        text = parser.text()
    except Exception:  # html.parser has raised AssertionError on odd input
        text = re.sub(r"(?is)<(script|style|head|template)\b.*?</\1\s*>", " ", html)
        text = re.sub(r"<[^>]*>", " ", text)
        text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return _tidy_text(text)


# --- parsing -----------------------------------------------------------------------------


def _parse(raw: bytes, problems: _Problems) -> ParsedMail:
    msg = _parse_message(raw, problems)
    if msg is None:
        return _raw_fallback(raw, problems)
    headers = _first_headers(msg, problems)
    sender, sender_address = _sender(headers.get("from"), problems)
    subject = _subject(headers.get("subject"), problems)
    received_at = _date(headers.get("date"), problems)
    message_id = _message_id(headers.get("message-id"))

    all_parts: list[Message] = []
    leaves = _leaves(msg, problems, all_parts)
    body = _body(leaves, problems)
    attachments = [
        Attachment(filename, content_type, len(_payload_bytes(part, problems)))
        for part, filename, content_type in _attachment_parts(leaves)
    ]
    # Decoding adds defects (bad base64 and the like), so collect them last.
    for part in all_parts:
        for defect in getattr(part, "defects", ()):
            problems.add(_defect_text(defect))
    return ParsedMail(
        message_id=message_id,
        sender=sender,
        sender_address=sender_address,
        subject=subject,
        body=body,
        received_at=received_at,
        attachments=attachments,
        malformed=bool(problems.items),
        problems=problems.items,
    )


def _parse_message(raw: bytes, problems: _Problems) -> Message | None:
    policies = [email.policy.compat32]
    if not _overlong_headers(raw):
        policies.insert(0, email.policy.default)
    for policy in policies:
        try:
            return BytesParser(policy=policy).parsebytes(raw)
        except Exception:  # RecursionError on deep nesting, and the like
            problems.add(
                "Meddelandets struktur kunde inte tolkas fullt ut; en enklare tolkning användes."
            )
    return None


def _overlong_headers(raw: bytes) -> bool:
    """True if the headers the modern policy would parse are long enough to be slow."""
    total = 0
    for match in _WATCHED_HEADER.finditer(raw):
        end = match.end()
        while True:  # follow continuation lines
            newline = raw.find(b"\n", end)
            if newline < 0:
                end = len(raw)
                break
            end = newline + 1
            if raw[end : end + 1] not in (b" ", b"\t"):
                break
            if end - match.start() > _MODERN_HEADER_LIMIT:
                break
        length = end - match.start()
        total += length
        if length > _MODERN_HEADER_LIMIT or total > _MODERN_HEADER_TOTAL:
            return True
    return False


def _raw_fallback(raw: bytes, problems: _Problems) -> ParsedMail:
    sender, sender_address, subject, received_at, message_id = "", None, "", None, None
    try:
        msg = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        headers = _first_headers(msg, _Problems())
        sender, sender_address = _sender(headers.get("from"), _Problems())
        subject = _subject(headers.get("subject"), _Problems())
        received_at = _date(headers.get("date"), _Problems())
        message_id = _message_id(headers.get("message-id"))
    except Exception:
        pass
    text = raw[:MAX_TEXT_BYTES].decode("utf-8", "replace")
    body = _cap_body(_clean_text(text), len(raw) > MAX_TEXT_BYTES)
    problems.add("Meddelandet kunde inte tolkas; hela innehållet visas som text.")
    return ParsedMail(
        message_id, sender, sender_address, subject, body, received_at, [], True, problems.items
    )


# --- headers -----------------------------------------------------------------------------


def _first_headers(msg: Message, problems: _Problems) -> dict[str, str]:
    """Raw (unfolded) value of the first occurrence of each header, 8-bit bytes decoded."""
    first: dict[str, str] = {}
    for name, value in msg.raw_items():
        if not isinstance(value, str):
            value = str(value)
        label = _clean_line(_fix_8bit(str(name), None))[:60]
        key = label.lower()
        limit = _HEADER_DECODE_LIMIT.get(key)
        if limit is None:
            if _SURROGATES.search(value):
                _fix_8bit(value, problems, label)
            continue
        if key in first:
            continue
        value = value[: limit * 2].replace("\r", "").replace("\n", "")[:limit]
        first[key] = _fix_8bit(value, problems, label)
    return first


def _fix_8bit(value: str, problems: _Problems | None, label: str = "") -> str:
    """Undo surrogateescape: raw 8-bit header bytes as UTF-8, else as Windows-1252."""
    if not _SURROGATES.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if problems is not None:
            problems.add(
                f"Rubriken '{label or '?'}' innehåller 8-bitarstecken utan angiven "
                "teckenkodning; tolkade som Windows-1252."
            )
        return _decode_single_byte(data)


def _decode_single_byte(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_ENCODED_WORD_CHARSET = re.compile(r"=\?([^?*\s]{1,64})(?:\*[^?\s]*)?\?[bBqQ]\?")


def _decode_words(label: str, value: str, problems: _Problems) -> str:
    """RFC 2047 decoding of an unstructured header value."""
    for charset in set(_ENCODED_WORD_CHARSET.findall(value)):
        if charset.lower() != "unknown-8bit" and not _known_charset(charset):
            problems.add(
                f"Rubriken '{label}' har den okända teckenkodningen '{_clean_line(charset)}'."
            )
    try:
        text = str(email.policy.default.header_factory(label, value))
    except Exception:
        text = _legacy_decode(value)
    if _SURROGATES.search(text) or "\ufffd" in text:
        problems.add(f"Rubriken '{label}' innehåller tecken som inte kunde avkodas.")
        text = _SURROGATES.sub("\ufffd", text)
    return text


def _known_charset(charset: str) -> bool:
    try:
        info = codecs.lookup(charset[:64])
    except Exception:  # LookupError, or ValueError for a NUL in the name
        return False
    return info._is_text_encoding and info.name not in _REFUSED_CODECS


def _legacy_decode(value: str) -> str:
    try:
        chunks = decode_header(value)
    except Exception:
        return value
    try:
        return str(make_header(chunks))
    except Exception:  # unknown charset in an encoded word
        out = []
        for chunk, charset in chunks:
            if isinstance(chunk, str):
                out.append(chunk)
                continue
            try:
                out.append(chunk.decode(charset or "ascii"))
            except Exception:
                out.append(chunk.decode("utf-8", "replace"))
        return "".join(out)


def _clean_line(text: str) -> str:
    text = _SURROGATES.sub("\ufffd", text)
    text = _LINE_JUNK.sub(" ", text)
    return " ".join(text.split())


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _subject(value: str | None, problems: _Problems) -> str:
    if value is None:
        return ""
    return _cap(_clean_line(_decode_words("Subject", value, problems)), MAX_SUBJECT)


def _valid_address(address: str | None) -> bool:
    return bool(address) and len(address) <= 254 and _ADDRESS.fullmatch(address) is not None


def _sender(value: str | None, problems: _Problems) -> tuple[str, str | None]:
    if value is None:
        problems.add("Avsändare (From) saknas.")
        return "", None
    display, address, text = "", None, value
    try:
        header = email.policy.default.header_factory("from", value)
        text = str(header)
        for candidate in header.addresses:
            if _valid_address(candidate.addr_spec):
                display, address = candidate.display_name, candidate.addr_spec
                break
    except Exception:  # e.g. RecursionError on nested comments
        text = _legacy_decode(value)
    if address is None:
        try:
            for name, candidate in email.utils.getaddresses([text]):
                if _valid_address(candidate):
                    display, address = _legacy_decode(name), candidate
                    break
        except Exception:
            pass
    if address is None:
        problems.add("Avsändarens adress kunde inte tolkas.")
        return _cap(_clean_line(_SURROGATES.sub("\ufffd", _legacy_decode(value))), MAX_SENDER), None
    display = _clean_line(_SURROGATES.sub("\ufffd", display))
    address = _clean_line(address)
    sender = f"{display} <{address}>" if display and display != address else address
    return _cap(sender, MAX_SENDER), address


def _date(value: str | None, problems: _Problems) -> datetime | None:
    if value is None:
        return None
    value = _clean_line(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000": zone unknown, take it as UTC
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except Exception:  # ValueError, OverflowError, TypeError, IndexError
        problems.add(f"Datumet '{value[:60]}' kunde inte tolkas.")
        return None


def _message_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = _clean_line(value)
    match = re.search(r"<[^<>\s]+>", value)
    if match:
        return match.group(0)[:998]
    tokens = value.split()
    return tokens[0][:998] if tokens else None


# --- MIME structure ----------------------------------------------------------------------


def _content_type(part: Message) -> str:
    try:
        content_type = str(part.get_content_type())
    except Exception:
        return "application/octet-stream"
    return _clean_line(content_type).lower()[:100] or "application/octet-stream"


def _leaves(
    msg: Message, problems: _Problems, all_parts: list[Message] | None = None
) -> list[Message]:
    """The non-multipart parts in document order; message/* parts count as leaves."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            problems.add(f"Meddelandet har fler än {MAX_PARTS} delar; resten har hoppats över.")
            break
        if all_parts is not None:
            all_parts.append(part)
        try:
            nested = part.is_multipart() and not _content_type(part).startswith("message/")
            children = part.get_payload() if nested else None
        except Exception:
            nested, children = False, None
        if not nested:
            leaves.append(part)
            continue
        if depth >= MAX_DEPTH:
            problems.add(
                f"Meddelandet är nästlat djupare än {MAX_DEPTH} nivåer; "
                "de innersta delarna har hoppats över."
            )
            continue
        if isinstance(children, list):
            stack.extend((c, depth + 1) for c in reversed(children) if isinstance(c, Message))
    return leaves


def _raw_filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return str(name) if name else None


def _is_attachment(part: Message, content_type: str) -> bool:
    if content_type.startswith("multipart/"):
        return False  # a multipart without usable boundary: its text is the body
    if _raw_filename(part):
        return True
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    return disposition == "attachment" or content_type not in _BODY_TYPES


def _attachment_parts(leaves: list[Message]) -> list[tuple[Message, str, str]]:
    out: list[tuple[Message, str, str]] = []
    taken: set[str] = set()
    for part in leaves:
        content_type = _content_type(part)
        if not _is_attachment(part, content_type):
            continue
        name = _safe_filename(_raw_filename(part), content_type, len(out) + 1)
        stem, ext = os.path.splitext(name)
        number = 2
        while name.casefold() in taken:
            name = f"{stem[: MAX_FILENAME - len(ext) - 6]} ({number}){ext}"
            number += 1
        taken.add(name.casefold())
        out.append((part, name, content_type))
    return out


_RESERVED_WINDOWS = re.compile(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?")
_MIME = None


def _extension(content_type: str) -> str:
    global _MIME
    if content_type == "message/rfc822":
        return ".eml"
    if _MIME is None:
        _MIME = mimetypes.MimeTypes()  # built-in table only, same on every machine
    return _MIME.guess_extension(content_type) or ".bin"


def _safe_filename(name: str | None, content_type: str, number: int) -> str:
    """A filename safe to store: no directories, no leading dots, no control characters."""
    name = _fix_8bit(name or "", None)
    if "=?" in name:
        name = _legacy_decode(name)
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(_LINE_JUNK.sub("", _SURROGATES.sub("", name)).split())
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = name.lstrip(". ").rstrip(". ")
    if _RESERVED_WINDOWS.fullmatch(name):
        name = "_" + name
    if not name:
        name = f"bilaga-{number}{_extension(content_type)}"
    if len(name) > MAX_FILENAME:
        stem, ext = os.path.splitext(name)
        if 1 < len(ext) <= 20:
            name = stem[: MAX_FILENAME - len(ext)].rstrip(". ") + ext
        else:
            name = name[:MAX_FILENAME]
    return name


# --- payloads and text -------------------------------------------------------------------


def _payload_bytes(part: Message, problems: _Problems) -> bytes:
    try:
        if part.is_multipart():  # message/rfc822 and friends: the enclosed message
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if not isinstance(inner, Message):
                return b""
            # compat32 writes the stored header text back as it is; the modern policy would
            # parse and refold every header (slow on hostile ones).
            return inner.as_bytes(policy=email.policy.compat32)
        data = part.get_payload(decode=True)
        if data is None:
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return bytes(data)
    except Exception:
        problems.add("En del av meddelandet kunde inte avkodas.")
        return b""


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:
        return "(oläslig)"
    if charset is None:
        return None
    return _clean_line(str(charset)).strip("\"' ").lower()[:64]


def _decode_text(data: bytes, charset: str | None, problems: _Problems) -> str:
    if charset is None or charset in _NO_CHARSET:
        if data.isascii():
            return data.decode("ascii")
        try:
            text = data.decode("utf-8")
            problems.add("Teckenkodning saknas för text med 8-bitarstecken; tolkad som UTF-8.")
            return text
        except UnicodeDecodeError:
            problems.add(
                "Teckenkodning saknas för text med 8-bitarstecken; tolkad som Windows-1252."
            )
            return _decode_single_byte(data)
    if not _known_charset(charset):
        problems.add(
            f"Teckenkodningen '{charset}' är okänd; texten avkodad som UTF-8 med ersättningstecken."
        )
        return data.decode("utf-8", "replace")
    name = codecs.lookup(charset).name
    if name in ("iso8859-1", "cp1252") and not data.isascii():
        try:
            text = data.decode("utf-8")
            problems.add(f"Texten är märkt som '{charset}' men är UTF-8; tolkad som UTF-8.")
            return text
        except UnicodeDecodeError:
            # Mailers say ISO-8859-1 and mean Windows-1252, as browsers assume too.
            return _decode_single_byte(data)
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        pass
    except Exception:
        problems.add(
            f"Teckenkodningen '{charset}' är okänd; texten avkodad som UTF-8 med ersättningstecken."
        )
        return data.decode("utf-8", "replace")
    if name == "utf-8":
        replaced = data.decode("utf-8", "replace")
        if not any(ord(c) > 0x7F and c != "\ufffd" for c in replaced):
            problems.add("Texten är märkt som UTF-8 men är det inte; tolkad som Windows-1252.")
            return _decode_single_byte(data)
        problems.add("Texten är inte giltig UTF-8; felaktiga tecken ersatta.")
        return replaced
    problems.add(f"Texten är inte giltig '{charset}'; felaktiga tecken ersatta.")
    return data.decode(name, "replace")


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TEXT_JUNK.sub("", text).strip("\n").rstrip()


def _cap_body(text: str, truncated: bool) -> str:
    if len(text) > MAX_BODY:
        text, truncated = text[:MAX_BODY].rstrip(), True
    return f"{text}\n\n{TRUNCATION_NOTE}" if truncated else text


def _part_text(part: Message, problems: _Problems) -> tuple[str, bool]:
    data = _payload_bytes(part, problems)
    truncated = len(data) > MAX_TEXT_BYTES
    return _decode_text(data[:MAX_TEXT_BYTES], _charset(part), problems), truncated


def _body(leaves: list[Message], problems: _Problems) -> str:
    plain: list[Message] = []
    html: list[Message] = []
    for part in leaves:
        content_type = _content_type(part)
        if _is_attachment(part, content_type):
            continue
        (html if content_type == "text/html" else plain).append(part)
    texts: list[str] = []
    size, truncated = 0, False
    for part in plain:
        if size > MAX_BODY:
            truncated = True
            break
        text, cut = _part_text(part, problems)
        text = _clean_text(text)
        if text.strip():
            texts.append(text)
            size += len(text)
            truncated |= cut
    html_budget = MAX_HTML_CHARS
    for part in html if not texts else ():
        if size > MAX_BODY or html_budget <= 0:
            truncated = True
            break
        markup, cut = _part_text(part, problems)
        if len(markup) > html_budget:
            markup, cut = markup[:html_budget], True
        html_budget -= len(markup)
        text = _clean_text(html_to_text(markup))
        if text.strip():
            texts.append(text)
            size += len(text)
            truncated |= cut
    return _cap_body("\n\n".join(texts), truncated)


_DEFECTS: dict[type, str] = {
    email.errors.NoBoundaryInMultipartDefect: "Multipart-del saknar avgränsare (boundary).",
    email.errors.StartBoundaryNotFoundDefect: "Multipart-delens första avgränsare hittades inte.",
    email.errors.CloseBoundaryNotFoundDefect: "Multipart-delens avslutande avgränsare saknas.",
    email.errors.FirstHeaderLineIsContinuationDefect: "Första rubrikraden är en fortsättningsrad.",
    email.errors.MisplacedEnvelopeHeaderDefect: "Kuvertrubrik (From_) på fel ställe.",
    email.errors.MissingHeaderBodySeparatorDefect: (
        "Rubrikrad utan kolon; resten av delen tolkad som text."
    ),
    email.errors.MultipartInvariantViolationDefect: (
        "Meddelandet är märkt som multipart men saknar delar."
    ),
    email.errors.InvalidMultipartContentTransferEncodingDefect: (
        "Otillåten överföringskodning för en multipart-del."
    ),
    email.errors.UndecodableBytesDefect: "Byte som inte kan avkodas.",
    email.errors.InvalidBase64PaddingDefect: "Felaktig utfyllnad i base64-kodad del.",
    email.errors.InvalidBase64CharactersDefect: "Otillåtna tecken i base64-kodad del.",
    email.errors.InvalidBase64LengthDefect: "Felaktig längd på base64-kodad del.",
    email.errors.HeaderMissingRequiredValue: "En rubrik saknar obligatoriskt värde.",
    email.errors.NonPrintableDefect: "En rubrik innehåller icke utskrivbara tecken.",
    email.errors.InvalidHeaderDefect: "En rubrik är felaktig.",
}


def _defect_text(defect: object) -> str:
    for cls in type(defect).__mro__:
        if cls in _DEFECTS:
            return _DEFECTS[cls]
    return f"Fel i meddelandets struktur ({type(defect).__name__})."


# --- HTML --------------------------------------------------------------------------------

_QUOTED_TAG = re.compile(r"""</?[a-zA-Z][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_PRE_SPACE, _PRE_TAB = "\ue000", "\ue001"


def _normalise_html(html: str) -> str:
    """Rewrite HTML so that html.parser sees only complete tags.

    html.parser rescans unterminated constructs ("<a <a <a ...", "<!--<!--...") once per
    "<", which is quadratic. Here, in linear time: comments, declarations and processing
    instructions are dropped (an unclosed comment hides the rest, as in browsers); a "<"
    that does not start a complete tag becomes "&lt;"; tags longer than MAX_TAG are dropped.
    """
    out: list[str] = []
    n = len(html)
    i = 0
    gt_from, gt_at = n + 1, -1  # cache: the first ">" at or after gt_from is at gt_at (-1: none)

    def next_gt(pos: int) -> int:
        nonlocal gt_from, gt_at
        if not (gt_from <= pos and (gt_at < 0 or pos <= gt_at)):
            gt_from, gt_at = pos, html.find(">", pos)
        return gt_at

    while i < n:
        j = html.find("<", i)
        if j < 0:
            out.append(html[i:])
            break
        out.append(html[i:j])
        if html.startswith("<!--", j):
            end = html.find("-->", j + 4)
            if end < 0:
                break
            i = end + 3
            continue
        following = html[j + 1 : j + 2]
        tag_start = following.isascii() and following.isalpha()
        if following == "/":
            after = html[j + 2 : j + 3]
            tag_start = after.isascii() and after.isalpha()
        if following in ("!", "?") or tag_start:
            end = next_gt(j + 1)
            if end < 0:
                out.append("&lt;")
                i = j + 1
                continue
            if following in ("!", "?"):  # <!DOCTYPE>, <![CDATA[...]]>, <?xml?>: dropped
                i = end + 1
                continue
            tag = html[j : end + 1]
            if '"' in tag or "'" in tag:
                match = _QUOTED_TAG.match(html, j, min(n, j + MAX_TAG))
                if match:
                    tag = match.group(0)
                else:  # unbalanced quotes: the tag ends at the first ">" without them
                    tag = tag.replace('"', "").replace("'", "")
                    match = None
                i = match.end() if match else end + 1
            else:
                i = end + 1
            out.append(tag if len(tag) <= MAX_TAG else " ")
            continue
        out.append("&lt;")
        i = j + 1
    return "".join(out)


class _TextParser(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "template", "title"})
    PARAGRAPH = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}
    )
    LINE = frozenset(
        {
            "br",
            "div",
            "ul",
            "ol",
            "li",
            "tr",
            "dl",
            "dt",
            "dd",
            "section",
            "article",
            "header",
            "footer",
            "nav",
            "aside",
            "main",
            "figure",
            "figcaption",
            "address",
            "form",
            "fieldset",
            "center",
            "caption",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._skip: list[str] = []
        self._pre = 0
        self._links: list[tuple[str | None, int]] = []
        self._newlines = 0  # line breaks at the end of the output so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip.append(tag)
            return
        if tag == "body" and "head" in self._skip:  # <head> left open: body ends it
            self._skip = self._skip[: self._skip.index("head")]
        if self._skip:
            return
        self._break(tag)
        if tag == "li":
            self._out.append("- ")
        elif tag in ("td", "th"):
            self._out.append(" ")
        elif tag == "pre":
            self._pre += 1
        elif tag == "a":
            href = next((value for name, value in attrs if name == "href"), None)
            self._links.append((_safe_href(href), len(self._out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            if tag in self._skip:
                del self._skip[len(self._skip) - 1 - self._skip[::-1].index(tag) :]
            return
        if self._skip:
            return
        if tag != "br":
            self._break(tag)
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            if href and _link_key(href) != _link_key("".join(self._out[start:])):
                self._out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            self._out.append(data.replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB))
        else:
            data = re.sub(r"\s+", " ", data)
            self._out.append(data)
        if data.strip():
            self._newlines = len(data) - len(data.rstrip("\n"))

    def _break(self, tag: str) -> None:
        wanted = 2 if tag in self.PARAGRAPH else 1 if tag in self.LINE else 0
        if tag == "br":  # every <br> is a line break of its own
            self._out.append("\n")
            self._newlines += 1
        elif wanted > self._newlines:
            self._out.append("\n" * (wanted - self._newlines))
            self._newlines = wanted

    def text(self) -> str:
        return "".join(self._out)


def _safe_href(href: str | None) -> str | None:
    """The URL if it is http(s) or mailto, else None (javascript:, data:, relative...)."""
    if not href:
        return None
    url = re.sub(r"[\x00-\x1f\x7f]", "", href.strip()).replace(" ", "%20")
    url = _SURROGATES.sub("", url)
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://", "mailto:")):
        return None
    return url


def _link_key(text: str) -> str:
    text = text.strip().lower()
    for prefix in ("mailto:", "https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.rstrip("/")


def _tidy_text(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t\xa0]+", " ", line).strip(" ")
        lines.append(line.replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t"))
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return _TEXT_JUNK.sub("", text).strip()
