"""One Swedish format everywhere: svformat itself, then every page of a demo municipality.

The walk logs in as each role over the demo data (twelve thousand contacts, so five-digit
figures exist), opens every page the app has that answers GET (filling path arguments from
the data) and looks at the text a person sees for English-style numbers: a decimal point,
five or more digits without a space, a percent sign without one, hundreds of minutes.
Identifiers and the audit log's verbatim records are marked `verbatim` and not figures.
"""

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

import svformat
from frontdesk.demo.seed import seed_demo
from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, InboxMessage, ProcessMap, Referral, User
from tests.conftest import make_app

NBSP = "\u00a0"


def test_numbers_have_a_space_between_thousands_and_a_decimal_comma():
    assert svformat.number(10651) == f"10{NBSP}651"
    assert svformat.number(1234567.89) == f"1{NBSP}234{NBSP}567,9"
    assert svformat.number(2.25) == "2,3"  # half up, as people round
    assert svformat.number(3.0) == "3"
    assert svformat.number(-0.01) == "0"
    assert svformat.number(-3.5) == "\u22123,5"
    assert svformat.number(None) == ""
    assert svformat.decimal(1234.5, 2) == "1234,5"  # a spreadsheet cell: no grouping


def test_shares_dates_weekdays_and_durations():
    assert svformat.percent(0.672) == f"67,2{NBSP}%"
    assert svformat.percent(1, 0) == f"100{NBSP}%"
    assert svformat.date(date(2026, 12, 5)) == "2026-12-05"
    assert svformat.date_long(date(2026, 12, 5)) == "5 dec. 2026"
    assert svformat.weekday(date(2026, 12, 7)) == "måndag"
    assert svformat.weekday(4, short=True) == "fre"
    assert svformat.duration(600) == f"10{NBSP}min"
    assert svformat.duration(4068 * 60) == f"2,8{NBSP}dygn"  # not "4068 min"
    assert svformat.duration(5.5 * 3600) == f"5,5{NBSP}h"
    assert svformat.hours(12.25) == f"12,3{NBSP}h"


ENGLISH_STYLE = (
    (re.compile(r"(?<![\w.,\-/])\d+\.\d+(?![\w.\-])"), "a decimal point"),
    (re.compile(r"(?<![\w,\-:])\d{5,}(?![\w\-])"), "five digits without a space"),
    (re.compile(r"\d%"), "a percent sign without a space"),
    (re.compile(r"\b\d{3,}\s?min\b"), "hundreds of minutes"),
    (re.compile(r"\b\d{1,3},\d{3}\b(?!,)"), "a comma between thousands"),
)
# Swedish notation that looks like an English number: clock times written 09.00 and the
# name of the BPMN standard.
ALLOWED = re.compile(r"\b\d{2}\.\d{2}\b|BPMN 2\.0")
VERBATIM = re.compile(r'(?s)<(\w+)\b[^>]*\bclass="[^"]*\bverbatim\b[^"]*"[^>]*>.*?</\1>')


def english_numbers(page: str) -> list[str]:
    text = VERBATIM.sub(" ", page)
    text = re.sub(r"(?is)<(script|style|title)\b.*?</\1>", " ", text)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", text))
    text = ALLOWED.sub(" ", text)
    found = []
    for pattern, what in ENGLISH_STYLE:
        for match in pattern.finditer(text):
            context = " ".join(text[max(0, match.start() - 40) : match.end() + 20].split())
            found.append(f"{what}: …{context}…")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        seed_demo(12_000)
        db.session.commit()
        values = {
            "referral_id": db.session.scalar(sa.select(sa.func.max(Referral.id))),
            "message_id": db.session.scalar(sa.select(sa.func.max(InboxMessage.id))),
            "user_id": db.session.scalar(sa.select(User.id).where(User.username == "anna")),
            "contact_id": db.session.scalar(sa.select(sa.func.max(Contact.id))),
            # A case type with a process map (its page, its guidance card).
            "code": db.session.scalar(
                sa.select(CaseType.code).join(ProcessMap, ProcessMap.case_type_id == CaseType.id)
            ),
            "name": "arendetyper",
        }
    yield app, values
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


SKIPPED_PREFIXES = ("/api/", "/static/", "/login", "/logout", "/konto/aterstall", "/kontakta-oss")


def _pages(app, values) -> list[str]:
    """Every GET page of the app, path arguments filled from the demo data."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        if "export" in rule.rule or rule.endpoint.endswith(("download", "attachment", "bpmn")):
            continue  # files, not pages
        if not all(name in values for name in rule.arguments):
            continue
        with app.test_request_context():
            from flask import url_for

            pages.append(url_for(rule.endpoint, **{n: values[n] for n in rule.arguments}))
    return sorted(set(pages))


# At least this many pages answer each role (so a broken walk cannot pass).
ROLES = {"karin": 20, "admin": 25, "anna": 8, "erik": 3}


@pytest.mark.parametrize("username", ROLES)
def test_no_page_shows_an_english_style_number(demo, username):
    app, values = demo
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": f"{username}123"})
    assert answer.status_code == 302, f"{username} could not log in"
    walked, problems = 0, []
    for path in _pages(app, values):
        page = client.get(path)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        walked += 1
        problems += [f"{path}: {problem}" for problem in english_numbers(page.text)]
    assert walked >= ROLES[username], f"only {walked} pages answered {username}"
    assert not problems, "\n".join(problems[:40])


def test_the_walk_finds_english_style_numbers():
    page = (
        '<p>55440 kontakter, 67.5 %, 4068 min, 12%, 1,234</p><td class="num verbatim">18796</td>'
        "<p>Timmen 09 är 09.00–09.59. BPMN 2.0. 10\u00a0651 kontakter, 67,5\u00a0%.</p>"
    )
    assert [problem.split(":")[0] for problem in english_numbers(page)] == [
        "a decimal point",
        "five digits without a space",
        "a percent sign without a space",
        "hundreds of minutes",
        "a comma between thousands",
    ]
