"""kanaler.mail (parsing e-mail) and kanaler.mailbox.read_maildir, without a server."""

import mailbox
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kanaler.mail import (
    MAX_BODY,
    TRUNCATION_NOTE,
    Attachment,
    ParsedMail,
    attachment_payloads,
    html_to_text,
    parse_mail,
)
from kanaler.mailbox import ImapMailbox, MailboxError, _fetched_messages, imap_utf7, read_maildir

MAIL_DIR = Path(__file__).parent / "mail"
FIXTURES = sorted(p.name for p in MAIL_DIR.glob("*.eml"))


def fixture(name: str) -> bytes:
    return (MAIL_DIR / name).read_bytes()


def mail(headers: str, body: bytes | str = b"Hej\n") -> bytes:
    """A message from header lines (LF separated) and a body."""
    if isinstance(body, str):
        body = body.encode()
    return headers.encode() + b"\n\n" + body


def assert_sane(parsed: ParsedMail) -> None:
    """Invariants that hold for every input, however hostile."""
    assert isinstance(parsed, ParsedMail)
    assert isinstance(parsed.subject, str) and len(parsed.subject) <= 500
    assert isinstance(parsed.sender, str) and len(parsed.sender) <= 320
    assert len(parsed.body) <= MAX_BODY + len(TRUNCATION_NOTE) + 2
    for text in (parsed.subject, parsed.sender, parsed.sender_address or ""):
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", text), text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", parsed.body)
    assert parsed.received_at is None or parsed.received_at.tzinfo is UTC
    assert parsed.malformed == bool(parsed.problems)
    assert all(isinstance(p, str) and p for p in parsed.problems)
    for attachment in parsed.attachments:
        assert isinstance(attachment, Attachment)
        name = attachment.filename
        assert name and len(name) <= 200
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert attachment.size >= 0


# --- the fixture files ---------------------------------------------------------------------


def test_plain_utf8_mail():
    parsed = parse_mail(fixture("normal.eml"))
    assert parsed.sender == "Anna Andersson <anna.andersson@example.se>"
    assert parsed.sender_address == "anna.andersson@example.se"
    assert parsed.subject == "Fråga om parkeringstillstånd"
    assert parsed.message_id == "<20240604091530.4711@example.se>"
    assert parsed.received_at == datetime(2024, 6, 4, 7, 15, 30, tzinfo=UTC)
    assert parsed.body.startswith("Hej!\n\nJag behöver förnya mitt parkeringstillstånd")
    assert "19121212-1212" in parsed.body  # masking is the app's job
    assert parsed.body.endswith("Anna Andersson")
    assert parsed.attachments == []
    assert not parsed.malformed and parsed.problems == []


def test_iso_8859_1_quoted_printable_subject_and_body():
    parsed = parse_mail(fixture("latin1.eml"))
    assert parsed.subject == "Fråga om bygglov för altan åäö"
    assert parsed.sender == "Åsa Öberg <asa.oberg@example.se>"
    assert parsed.body == (
        "Hej! Jag undrar hur det går med min ansökan om bygglov för altanen.\n"
        "Återkom gärna.\n\nVänliga hälsningar\nÅsa Öberg"
    )
    assert not parsed.malformed


def test_html_only_mail_becomes_text_without_script_or_style():
    parsed = parse_mail(fixture("html_only.eml"))
    assert parsed.subject == "Kallelse till samråd"
    body = parsed.body
    assert body.startswith("Samråd om detaljplan\n\nVälkommen till samråd den 12 juni.\n")
    assert "Plats: Stadshuset & digitalt." in body
    assert "Läs mer på vår webbplats (https://kommun.example/samrad?id=7&lang=sv)." in body
    assert "Klicka här" in body
    for hidden in ("alert", "SKRIPTTEXT", "STILTEXT", "color", "Dold titel", "javascript"):
        assert hidden not in body
    assert "<" not in body and ">" not in body
    assert not parsed.malformed


def test_multipart_alternative_picks_text_plain_and_lists_attachments():
    raw = fixture("with_attachment.eml")
    parsed = parse_mail(raw)
    assert parsed.body == "Hej, här kommer kvittot och ritningen.\n/Bo"
    assert parsed.attachments == [
        Attachment("kvitto.pdf", "application/pdf", 288),
        Attachment("ritning åäö.png", "image/png", 69),
    ]
    assert "PDF" not in parsed.body and "HTML-VERSIONEN" not in parsed.body
    assert not parsed.malformed


def test_attachment_payloads_match_the_listing():
    raw = fixture("with_attachment.eml")
    payloads = list(attachment_payloads(raw))
    assert [(name, kind, len(data)) for name, kind, data in payloads] == [
        (a.filename, a.content_type, a.size) for a in parse_mail(raw).attachments
    ]
    pdf, png = payloads[0][2], payloads[1][2]
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    assert bytes(range(256)) in pdf
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert list(attachment_payloads(fixture("normal.eml"))) == []


def test_broken_mime_is_flagged_and_its_text_recovered():
    parsed = parse_mail(fixture("broken_mime.eml"))
    assert parsed.malformed
    problems = " | ".join(parsed.problems)
    assert "Rubriken 'Subject' innehåller 8-bitarstecken" in problems
    assert "avslutande avgränsare saknas" in problems
    assert "Rubrikrad utan kolon" in problems
    assert "base64" in problems
    assert parsed.subject == "Ärende om hämtning av sopor"
    assert parsed.sender_address == "trasig@example.se"
    assert "Soptunnan har inte tömts på tre veckor." in parsed.body
    assert "Den här raden saknar kolon" in parsed.body
    assert "Sista delen, utan avslutande gräns." in parsed.body
    assert [a.filename for a in parsed.attachments] == ["data.bin"]
    assert_sane(parsed)


def test_unknown_charset():
    parsed = parse_mail(fixture("unknown_charset.eml"))
    assert parsed.malformed
    assert (
        "Teckenkodningen 'x-foo-bar' är okänd; texten avkodad som UTF-8 med ersättningstecken."
        in parsed.problems
    )
    assert "Rubriken 'Subject' har den okända teckenkodningen 'x-foo-bar'." in parsed.problems
    assert parsed.body.startswith("Hej, när öppnar biblioteket?")
    assert "\ufffd" in parsed.body
    assert parsed.subject == "Okand kodning om bibliotek"


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_are_sane(name):
    assert_sane(parse_mail(fixture(name)))


@pytest.mark.parametrize("name", FIXTURES)
def test_crlf_line_endings_parse_the_same(name):
    # IMAP servers hand out CRLF; Maildir files and these fixtures use LF.
    crlf = fixture(name).replace(b"\n", b"\r\n")
    assert parse_mail(crlf) == parse_mail(fixture(name))


# --- broken structure ----------------------------------------------------------------------


def test_header_without_colon_in_the_top_headers():
    raw = mail("From: a@example.se\nSubject: Hej\nDen här raden saknar kolon\nX-Efter: 1")
    parsed = parse_mail(raw)
    assert parsed.malformed and "Rubrikrad utan kolon" in " ".join(parsed.problems)
    assert parsed.subject == "Hej"
    assert parsed.body.startswith("Den här raden saknar kolon\nX-Efter: 1")


def test_garbage_headers_and_8bit_bytes_do_not_crash():
    raw = (
        b": inget namn\n\x00\x01\x02: styrtecken\nFrom: \xff\xfe <x@example.se>\n"
        b"Subject: \xe5\xe4\xf6\r\n\tfortsatt\nSubject: andra\n \n\nText \xe5\n"
    )
    parsed = parse_mail(raw)
    assert_sane(parsed)
    assert parsed.malformed


def test_multipart_without_boundary_keeps_the_text():
    raw = mail("From: a@example.se\nContent-Type: multipart/mixed", "--x\n\nTexten finns kvar\n")
    parsed = parse_mail(raw)
    assert parsed.malformed
    assert "Multipart-del saknar avgränsare (boundary)." in parsed.problems
    assert "Texten finns kvar" in parsed.body


def test_deep_nesting_is_cut_and_flagged():
    def nested(levels: int) -> bytes:
        head = b"".join(
            b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
            for i in range(levels)
        )
        return b"From: a@example.se\nSubject: Djup\n" + head + b"\nInnerst\n"

    shallow = parse_mail(nested(5))
    assert "Innerst" in shallow.body
    deep = parse_mail(nested(30))
    assert deep.malformed and "nästlat djupare" in " ".join(deep.problems)
    assert deep.subject == "Djup"
    very_deep = parse_mail(nested(3000))  # the email package itself gives up (RecursionError)
    assert very_deep.malformed and very_deep.subject == "Djup"
    assert_sane(very_deep)


def test_too_many_parts():
    parts = b"".join(b"--x\nContent-Type: text/plain\n\ndel %d\n" % i for i in range(600))
    parsed = parse_mail(
        b"From: a@example.se\nContent-Type: multipart/mixed; boundary=x\n\n" + parts
    )
    assert parsed.malformed and "fler än 500 delar" in " ".join(parsed.problems)
    assert parsed.body.startswith("del 0\n\ndel 1")


def test_bad_base64_attachment_is_listed():
    raw = mail(
        "From: a@example.se\nContent-Type: application/pdf; name=x.pdf\n"
        "Content-Transfer-Encoding: base64",
        "JVBE!!!Rg==\n===\n",
    )
    parsed = parse_mail(raw)
    assert parsed.malformed
    assert [a.filename for a in parsed.attachments] == ["x.pdf"]


# --- charsets ------------------------------------------------------------------------------


def test_declared_utf8_but_latin1_bytes():
    raw = mail(
        "From: a@example.se\nContent-Type: text/plain; charset=utf-8",
        "Vänliga hälsningar".encode("latin-1"),
    )
    parsed = parse_mail(raw)
    assert parsed.body == "Vänliga hälsningar"
    assert parsed.problems == [
        "Texten är märkt som UTF-8 men är det inte; tolkad som Windows-1252."
    ]


def test_declared_utf8_with_a_few_bad_bytes():
    raw = mail("From: a@example.se\nContent-Type: text/plain; charset=utf-8", b"h\xc3\xa4r \xff")
    parsed = parse_mail(raw)
    assert parsed.body == "här \ufffd"
    assert parsed.problems == ["Texten är inte giltig UTF-8; felaktiga tecken ersatta."]


def test_declared_latin1_but_utf8_bytes():
    raw = mail("From: a@example.se\nContent-Type: text/plain; charset=iso-8859-1", "Här är jag")
    parsed = parse_mail(raw)
    assert parsed.body == "Här är jag"
    assert parsed.malformed


def test_latin1_label_means_windows_1252():
    raw = mail(
        "From: a@example.se\nContent-Type: text/plain; charset=iso-8859-1",
        "\u201dCitat\u201d \u2013 slut".encode("cp1252"),
    )
    parsed = parse_mail(raw)
    assert parsed.body == "\u201dCitat\u201d \u2013 slut"
    assert not parsed.malformed


@pytest.mark.parametrize("charset", ["rot13", "base64", "unicode_escape", "x-foo", "a\x00b"])
def test_non_text_and_unknown_codecs_are_unknown_charsets(charset):
    raw = mail(f'From: a@example.se\nContent-Type: text/plain; charset="{charset}"', "Hej \\x41")
    parsed = parse_mail(raw)
    assert parsed.body == "Hej \\x41"
    assert any("är okänd" in p for p in parsed.problems)


def test_missing_charset_with_8bit_text():
    parsed = parse_mail(mail("From: a@example.se", "Hälsningar"))
    assert parsed.body == "Hälsningar"
    assert parsed.problems == [
        "Teckenkodning saknas för text med 8-bitarstecken; tolkad som UTF-8."
    ]


def test_other_real_charsets():
    raw = mail(
        "From: a@example.se\nContent-Type: text/plain; charset=koi8-r", "Привет".encode("koi8-r")
    )
    assert parse_mail(raw).body == "Привет"
    raw = mail(
        "From: a@example.se\nContent-Type: text/plain; charset=utf-16", "Hej då".encode("utf-16")
    )
    assert parse_mail(raw).body == "Hej då"


# --- size limits ---------------------------------------------------------------------------


def test_five_megabyte_body_is_capped():
    raw = mail("From: a@example.se\nSubject: Stort", b"abcdefghij\n" * 480_000)
    assert len(raw) > 5_000_000
    started = time.monotonic()
    parsed = parse_mail(raw)
    assert time.monotonic() - started < 10
    assert parsed.body.endswith("\n\n" + TRUNCATION_NOTE)
    assert len(parsed.body) == MAX_BODY + 2 + len(TRUNCATION_NOTE)
    assert parsed.body.startswith("abcdefghij\nabcdefghij\n")
    assert not parsed.malformed


def test_huge_html_body_is_capped():
    raw = mail(
        "From: a@example.se\nContent-Type: text/html; charset=utf-8",
        b"<p>Stycke med <b>fet</b> text.</p>\n" * 150_000,
    )
    started = time.monotonic()
    parsed = parse_mail(raw)
    assert time.monotonic() - started < 20
    assert parsed.body.endswith(TRUNCATION_NOTE)
    assert parsed.body.startswith("Stycke med fet text.\n\nStycke med fet text.")


def test_long_subject_and_sender_are_capped():
    raw = mail(f"From: {'Namn ' * 100}<a@example.se>\nSubject: {'ämne ' * 200}")
    parsed = parse_mail(raw)
    assert len(parsed.subject) == 500 and parsed.subject.endswith("…")
    assert len(parsed.sender) <= 320
    assert parsed.sender_address == "a@example.se"


def test_subject_control_characters_and_bidi_overrides_are_removed():
    raw = mail("From: a@example.se\nSubject: =?utf-8?q?Hej=0D=0Ad=C3=A5=07_=E2=80=AEfdp.exe?=")
    assert parse_mail(raw).subject == "Hej då fdp.exe"


# --- empty and random input ----------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\n", b"\r\n\r\n", b"   "])
def test_empty_input(raw):
    parsed = parse_mail(raw)
    assert parsed == ParsedMail(None, "", None, "", "", None, [], True, ["Meddelandet är tomt."])


def test_random_bytes_never_raise():
    rnd = random.Random(20240604)
    for _ in range(500):
        raw = rnd.randbytes(rnd.randrange(0, 3000))
        if rnd.random() < 0.3:  # give some of them a header block to chew on
            raw = b"From: x@example.se\nContent-Type: multipart/mixed; boundary=a\n\n--a\n" + raw
        assert_sane(parse_mail(raw))
        for _ in attachment_payloads(raw):
            pass


def test_truncated_and_mutated_fixtures_never_raise():
    rnd = random.Random(7)
    for name in FIXTURES:
        raw = fixture(name)
        for cut in range(0, len(raw), max(1, len(raw) // 60)):
            assert_sane(parse_mail(raw[:cut]))
        for _ in range(40):
            mutated = bytearray(raw)
            for _ in range(rnd.randrange(1, 20)):
                mutated[rnd.randrange(len(mutated))] = rnd.randrange(256)
            assert_sane(parse_mail(bytes(mutated)))
            list(attachment_payloads(bytes(mutated)))


@pytest.mark.parametrize(
    "header",
    [
        b'From: "a' * 30_000,
        b"From: " + b"(" * 30_000,
        b"Subject: " + b"=?utf-8?q?a?= " * 50_000,
        b'Content-Type: text/plain; charset="a' + b'"a' * 30_000,
        b"Content-Type: text/plain; " + b"(" * 30_000,
        b"Content-Disposition: attachment; " + b"a=b; " * 20_000,
        b"Content-Type: text/plain; "
        + b"".join(b"name*%d*=utf-8''a%%C3;" % i for i in range(5000)),
        b"Message-ID: " + b"<" * 100_000,
        b"Date: " + b"1 " * 100_000,
    ],
)
def test_hostile_headers_are_fast(header):
    # The modern policy's header parser is quadratic or recursive on these; they must go
    # through compat32 or be cut before decoding.
    raw = b"From: a@example.se\n" + header + b"\n\nText\n"
    started = time.monotonic()
    assert_sane(parse_mail(raw))
    assert time.monotonic() - started < 5


def test_forwarded_message_with_hostile_headers_is_fast():
    inner = (
        b"From: b@example.se\nTo: " + b'"a' * 30_000 + b"\nX-A: " + b"(" * 30_000 + b"\n\nInre\n"
    )
    raw = multipart("Content-Type: text/plain\n\nHej", "Content-Type: message/rfc822\n\n") + b""
    raw = raw.replace(b"message/rfc822\n\n\n", b"message/rfc822\n\n" + inner)
    started = time.monotonic()
    parsed = parse_mail(raw)
    payloads = list(attachment_payloads(raw))
    assert time.monotonic() - started < 5
    assert parsed.body == "Hej" and parsed.attachments[0].filename == "bilaga-1.eml"
    assert payloads[0][2].endswith(b"Inre")


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Message-ID: <abc.123@example.se>", "<abc.123@example.se>"),
        ("Message-Id:   <abc@example.se> (kommentar)", "<abc@example.se>"),
        ("Message-ID:\n <folded@example.se>", "<folded@example.se>"),
        ("Message-ID: utan-klamrar@example.se", "utan-klamrar@example.se"),
        ("Message-ID:", None),
        ("X-Annat: 1", None),
    ],
)
def test_message_id(header, expected):
    assert parse_mail(mail(f"From: a@example.se\n{header}")).message_id == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Tue, 04 Jun 2024 09:15:30 +0200", datetime(2024, 6, 4, 7, 15, 30, tzinfo=UTC)),
        ("Date: 4 Jun 2024 09:15 -0500", datetime(2024, 6, 4, 14, 15, tzinfo=UTC)),
        ("Date: Tue, 04 Jun 2024 09:15:30 -0000", datetime(2024, 6, 4, 9, 15, 30, tzinfo=UTC)),
        ("Date: Tue, 04 Jun 2024 09:15:30 GMT", datetime(2024, 6, 4, 9, 15, 30, tzinfo=UTC)),
    ],
)
def test_date_is_aware_utc(header, expected):
    parsed = parse_mail(mail(f"From: a@example.se\n{header}"))
    assert parsed.received_at == expected
    assert parsed.received_at.tzinfo is UTC
    assert not parsed.malformed


def test_missing_date_is_none_and_not_a_problem():
    parsed = parse_mail(mail("From: a@example.se"))
    assert parsed.received_at is None and not parsed.malformed


@pytest.mark.parametrize("value", ["igår", "Tue, 31 Feb 2024 25:61:00 +0200", "99999999999"])
def test_unparsable_date(value):
    parsed = parse_mail(mail(f"From: a@example.se\nDate: {value}"))
    assert parsed.received_at is None
    assert parsed.malformed and "kunde inte tolkas" in parsed.problems[0]


def test_sender_variants():
    missing = parse_mail(mail("Subject: Ingen avsändare"))
    assert (missing.sender, missing.sender_address) == ("", None)
    assert "Avsändare (From) saknas." in missing.problems

    garbage = parse_mail(mail("From: ingen adress alls"))
    assert (garbage.sender, garbage.sender_address) == ("ingen adress alls", None)
    assert "Avsändarens adress kunde inte tolkas." in garbage.problems

    bare = parse_mail(mail("From: <bare@example.se>"))
    assert (bare.sender, bare.sender_address) == ("bare@example.se", "bare@example.se")

    quoted = parse_mail(mail('From: "Andersson, Anna" <anna@example.se>'))
    assert quoted.sender == "Andersson, Anna <anna@example.se>"

    many = parse_mail(mail("From: Ett <ett@example.se>, Två <tva@example.se>"))
    assert many.sender_address == "ett@example.se"


# --- attachments -----------------------------------------------------------------------------


def multipart(*parts: str) -> bytes:
    body = "".join(f"--B\n{part}\n" for part in parts) + "--B--\n"
    return mail("From: a@example.se\nContent-Type: multipart/mixed; boundary=B", body)


def test_attachment_filenames_are_sanitised():
    names = [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        ".htaccess",
        "a" * 300 + ".pdf",
        "faktura\u202egpj.exe",
        "con.txt",
        'fr?ga<>:"|*.txt',
        "...",
    ]
    parts = [
        f"Content-Type: application/octet-stream\n"
        f"Content-Disposition: attachment; filename*=utf-8''{_percent(n)}\n\nx"
        for n in names
    ]
    raw = multipart("Content-Type: text/plain\n\nBrödtext", *parts)
    parsed = parse_mail(raw)
    got = [a.filename for a in parsed.attachments]
    assert got[:3] == ["passwd", "boot.ini", "htaccess"]
    assert len(got[3]) == 200 and got[3].endswith("aaa.pdf")
    assert got[4:] == ["fakturagpj.exe", "_con.txt", "fr_ga______.txt", "bilaga-8.bin"]
    assert [name for name, _, _ in attachment_payloads(raw)] == got
    assert parsed.body == "Brödtext"
    assert_sane(parsed)


def _percent(text: str) -> str:
    return "".join(
        c if c.isalnum() and c.isascii() else f"%{b:02X}" for c in text for b in c.encode()
    )


def test_attachments_without_names_and_duplicates():
    raw = multipart(
        "Content-Type: text/plain\n\nText",
        "Content-Type: image/png\nContent-ID: <logo>\nContent-Transfer-Encoding: base64\n\niVBORw==",
        'Content-Type: application/pdf; name="a.pdf"\n\n%PDF',
        'Content-Type: application/pdf; name="A.pdf"\n\n%PDF',
        "Content-Type: message/rfc822\n\nFrom: b@example.se\nSubject: Inre\n\nInre text",
        "Content-Type: text/plain\nContent-Disposition: attachment\n\nBifogad text",
    )
    parsed = parse_mail(raw)
    names = [a.filename for a in parsed.attachments]
    assert names == ["bilaga-1.png", "a.pdf", "A (2).pdf", "bilaga-4.eml", "bilaga-5.txt"]
    assert parsed.attachments[0].size == 4
    assert parsed.attachments[3].content_type == "message/rfc822"
    assert b"Inre text" in dict((n, d) for n, _, d in attachment_payloads(raw))["bilaga-4.eml"]
    assert "Inre text" not in parsed.body and "Bifogad text" not in parsed.body
    assert parsed.body.startswith("Text")


def test_rfc2047_filename():
    raw = multipart(
        "Content-Type: application/pdf\nContent-Disposition: attachment; "
        'filename="=?utf-8?q?ans=C3=B6kan.pdf?="\n\n%PDF'
    )
    assert [a.filename for a in parse_mail(raw).attachments] == ["ansökan.pdf"]


# --- html_to_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Ett</p><p>Två</p>", "Ett\n\nTvå"),
        ("<div><div><p>Djupt <b>in<i>ne</i></b></p></div></div>slut", "Djupt inne\n\nslut"),
        ("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n- b\n- c"),
        ("rad 1<br>rad 2<br/><br>rad 4", "rad 1\nrad 2\n\nrad 4"),
        ("<h2>Rubrik</h2>text", "Rubrik\n\ntext"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>", "1 2\n3"),
        ("  mycket   \n\n  luft\t här  ", "mycket luft här"),
        ("<pre>  indrag\n    mer</pre>", "indrag\n    mer"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("&aring;&auml;&ouml; &#229; &#x1F600; &amp;amp; &nbsp;x", "åäö å \U0001f600 &amp; x"),
        ("a < b > c & d", "a < b > c & d"),
        ("<script>alert(1)</script>synlig", "synlig"),
        ("<style>p{}</style><template><p>mall</p></template>synlig", "synlig"),
        ("<head><title>T</title><body>utan stängd head", "utan stängd head"),
        ("före<script>allt efter ett öppet script försvinner", "före"),
        ("före<!-- <p>kommentar</p> -->efter", "föreefter"),
        ("före<!-- aldrig stängd <p>text</p>", "före"),
        ("a<![CDATA[x]]>b<!DOCTYPE html><?xml version='1.0'?>c", "abc"),
        ("<a title='x>y' href='https://e.se/'>länk</a>", "länk (https://e.se/)"),
        ('<p title="ej stängt>text', "text"),
        ('<a href="https://e.se/">https://e.se</a>', "https://e.se"),
        (
            "<a href='mailto:a@e.se'>a@e.se</a> <a href='MAILTO:b@e.se'>B</a>",
            "a@e.se B (MAILTO:b@e.se)",
        ),
        ("<a href='javascript:alert(1)'>x</a>", "x"),
        ("<a href=' JaVaScRiPt:alert(1)'>x</a>", "x"),
        ("<a href='java\tscript:alert(1)'>x</a>", "x"),
        ("<a href='data:text/html,<script>alert(1)</script>'>x</a>", "x"),
        ("<a href='vbscript:x'>x</a> <a href='/relativ'>y</a>", "x y"),
        ("<a href='https://e.se/a b'>x</a>", "x (https://e.se/a%20b)"),
        ("<img src=x onerror=alert(1)>bild", "bild"),
        ("<b>ostängd <i>text", "ostängd text"),
        ("</p></div>bara sluttaggar", "bara sluttaggar"),
        ("", ""),
    ],
)
def test_html_to_text(html, expected):
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<" * 100_000,
        "<!--" * 50_000,
        "<a " * 50_000,
        '<a x="' * 50_000,
        "<!" * 100_000,
        "</a" * 50_000,
        "<b>" * 60_000,
        "<a x='" + "<b>" * 50_000,
        "&#" * 100_000,
    ],
    ids=["lt", "comment", "open-tag", "open-quote", "bang", "end-tag", "tags", "quote", "charref"],
)
def test_html_to_text_is_linear_on_unterminated_markup(html):
    # html.parser alone takes many minutes on some of these: it rescans the rest of the
    # document for every "<" of an unterminated construct.
    started = time.monotonic()
    html_to_text(html)
    assert time.monotonic() - started < 5


# --- read_maildir --------------------------------------------------------------------------------


def test_read_maildir_on_a_folder_of_eml_files():
    got = list(read_maildir(MAIL_DIR))
    assert [key for key, _ in got] == FIXTURES
    assert all(raw == fixture(key) for key, raw in got)


def test_eml_folder_ignores_other_files_and_sorts_by_name(tmp_path):
    (tmp_path / "b.eml").write_bytes(b"From: b@example.se\n\nB\n")
    (tmp_path / "A.EML").write_bytes(b"From: a@example.se\n\nA\n")
    (tmp_path / "readme.txt").write_text("inte e-post")
    (tmp_path / "mapp.eml").mkdir()
    assert [key for key, _ in read_maildir(tmp_path)] == ["A.EML", "b.eml"]
    assert list(read_maildir(tmp_path / "mapp.eml")) == []


def test_read_maildir_on_a_real_maildir(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    new_key = box.add(fixture("normal.eml"))
    seen = mailbox.MaildirMessage(fixture("latin1.eml"))
    seen.set_subdir("cur")
    seen.add_flag("S")
    cur_key = box.add(seen)
    (tmp_path / "Maildir" / "tmp" / "halvfardig").write_bytes(b"From: x\n\nunder leverans")
    got = dict(read_maildir(tmp_path / "Maildir"))
    assert set(got) == {new_key, cur_key}
    assert got[new_key] == fixture("normal.eml")
    assert got[cur_key] == fixture("latin1.eml")
    assert parse_mail(got[cur_key]).subject == "Fråga om bygglov för altan åäö"


def test_read_maildir_errors(tmp_path):
    with pytest.raises(MailboxError, match="finns inte"):
        read_maildir(tmp_path / "saknas")
    (tmp_path / "fil").write_text("x")
    with pytest.raises(MailboxError, match="ingen mapp"):
        read_maildir(tmp_path / "fil")
    (tmp_path / "halv" / "new").mkdir(parents=True)
    with pytest.raises(MailboxError, match="ofullständig Maildir"):
        read_maildir(tmp_path / "halv")


# --- IMAP helpers that need no server --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("INBOX", "INBOX"),
        ("Ärenden", "&AMQ-renden"),
        ("a&b", "a&-b"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501's example
    ],
)
def test_imap_utf7(name, encoded):
    assert imap_utf7(name) == encoded


def test_fetch_response_parsing_either_order():
    data = [
        (b"1 (UID 7 BODY[] {5}", b"Hej 1"),
        b")",
        (b"2 (BODY[] {5}", b"Hej 2"),
        b" UID 9)",
        b"3 (FLAGS (\\Seen) UID 10)",  # an unsolicited flag update, no body
    ]
    assert list(_fetched_messages(data)) == [("7", b"Hej 1"), ("9", b"Hej 2")]


def test_imap_mailbox_settings():
    box = ImapMailbox("imap.example.se", user="u", password="hemligt")
    assert box.port == 993 and "hemligt" not in repr(box)
    assert ImapMailbox("h", security="starttls").port == 143
    with pytest.raises(ValueError):
        ImapMailbox("h", security="tls")  # type: ignore[arg-type]


def test_kanaler_stays_pure():
    code = (
        "import sys, kanaler, kanaler.mail, kanaler.mailbox\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'frontdesk', 'sqlalchemy', 'rosa')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
