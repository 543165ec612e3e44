"""Hostile text in every field of every form and API endpoint: refused clearly or stored safely.

Each value below goes into each text field: script tags, SQL fragments, control
characters, a very long text. Whatever comes back is never a 500. A refusal says
why (in Swedish on pages, naming the field in the API's `fields`) and changes
nothing; what is accepted is stored as sent and shown escaped on every page that
shows it. Oversized bodies are refused with 413 before anything is read, invalid
UTF-8 never gets past the request, and a NUL byte never reaches PostgreSQL.
Property-based tests (hypothesis) throw arbitrary JSON at the API's inputs.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from frontdesk.extensions import db
from frontdesk.models import Contact, InboxMessage, Referral, User
from frontdesk.timeutil import local_today
from kanaler import mask_personnummer, parse_channel
from kanaler.citizen import ContactDetailError, display_phone, normalise_email, normalise_phone
from tests.conftest import PASSWORD, _empty_postgres, make_app
from tests.test_access_matrix import Objects

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
# What must never appear in a page as markup, whatever was typed.
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror")
HOSTILE = {
    "script": SCRIPT,
    "img": IMG,
    "drop": "'; DROP TABLE contacts; --",
    "or": "' OR 1=1 --",
    "nul": "a\x00b",
    "ansi": "\x1b[31mröd\x1b[0m",
    "bidi": "\u202eexe.txt",
    "long": "å" * 60_000,
}
# Fields that take a code, a number or a date: markup, SQL and a NUL are enough to try.
FOR_CODES = ("script", "drop", "nul")
TEN_MB = 10 * 1024 * 1024


class Fresh(Objects):
    """The access matrix's fresh objects, and one this file needs besides."""

    def emailable(self):
        """A claimed referral whose citizen left an e-mail address: answers may go by mail."""
        body = {**CONTACT, "citizen": {"email": "eva@example.se"}, "question": "Ok"}
        referral_id = self.call("POST", "/contacts", "anna", json=body)["referral"]["id"]
        self.call("POST", f"/referrals/{referral_id}/claim", "erik")
        return referral_id


def counts(app) -> tuple:
    """The number of rows of every table, read in one statement."""
    with app.app_context():
        tables = db.metadata.sorted_tables
        query = sa.select(
            *[sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables]
        )
        return tuple(db.session.execute(query).one())


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def no_raw_markup(html: str, where: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, f"{where} shows {raw!r} unescaped"


def leaves(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)


@pytest.fixture
def app(database_url, tmp_path):
    """The shared app fixture, with the web form's hourly limit out of the way and a folder
    for the attachments of fetched mail."""
    app = make_app(
        database_url,
        WEB_FORM_LIMIT_PER_HOUR=10_000,
        MAIL_ATTACHMENTS_DIR=str(tmp_path / "bilagor"),
    )
    if database_url.startswith("postgresql"):
        _empty_postgres(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- Page forms ------------------------------------------------------------------


@dataclass(frozen=True)
class PageForm:
    path: str
    user: str  # None: the public
    data: dict  # a valid submission; each field in `fields` is replaced in turn
    fields: tuple[str, ...]
    free_text: tuple[str, ...] = ()  # fields that may hold anything; the others must refuse it
    ignored: tuple[str, ...] = ()  # fields whose odd values are dropped, the rest still stored
    shows: tuple[str, ...] = ()  # pages (read as admin) that show what was stored
    writes: bool = True  # a submission that changes nothing must say why


BPMN = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
    b'<process id="P"><startEvent id="S"/><task id="T" name="Ta emot"/><endEvent id="E"/>'
    b'<sequenceFlow id="F1" sourceRef="S" targetRef="T"/>'
    b'<sequenceFlow id="F2" sourceRef="T" targetRef="E"/></process></definitions>'
)
EVENT_LOG = (
    b"case,activity,timestamp\n1,Ta emot,2026-01-05T09:00:00\n1,Besluta,2026-01-05T10:00:00\n"
)
STEP = {"version": "{map_version}", "step": "b", "name": "Besluta", "level": "3", "actor": "back"}
# The step table saves as one form: row 0 of it, naming step b.
STEP_ROW = {
    "version": "{map_version}",
    "rows-0-step": "b",
    "rows-0-name": "Besluta",
    "rows-0-level": "3",
    "rows-0-actor": "back",
}

PAGE_FORMS = {
    "counter": PageForm(
        "/disk/kontakter",
        "anna",
        # Referred: the question to the handler is required, who to reach is not.
        {
            "channel": "besok",
            "case_type": "PARK",
            "rosa_level": "5",
            "note": "Ok",
            "question": "Ok",
        },
        ("note", "case_type", "channel", "rosa_level", "duration_minutes", "outcome"),
        free_text=("note",),
        shows=("/disk", "/remisser/{last_referral}", "/oversikt/kontakter"),
    ),
    "counter_citizen": PageForm(
        "/disk/kontakter",
        "anna",
        {
            "channel": "besok",
            "case_type": "PARK",
            "rosa_level": "5",
            "question": "Ok",
            "citizen_name": "Eva",
        },
        ("citizen_name", "citizen_phone", "citizen_email", "reach_by", "question"),
        free_text=("citizen_name", "question"),
        shows=("/remisser/{last_referral}",),
    ),
    "correction": PageForm(
        "/disk/kontakter/{contact}/andra",
        "anna",
        {
            "channel": "telefon",
            "case_type": "PARK",
            "rosa_level": "5",
            "note": "Ok",
            "question": "Ok",
        },
        ("note", "case_type", "channel", "rosa_level"),
        free_text=("note",),
        shows=("/disk",),
    ),
    "triage": PageForm(
        "/inkorg/{message}/triage",
        "anna",
        {"case_type": "PARK", "rosa_level": "6"},
        ("case_type", "rosa_level", "office"),
    ),
    "reply": PageForm(
        "/inkorg/{mail}/svar",
        "anna",
        {"case_type": "PARK", "rosa_level": "1", "reply": "Ok"},
        ("reply", "case_type", "office"),
        free_text=("reply",),
        shows=("/inkorg/{mail}",),
    ),
    "letter": PageForm(
        "/inkorg/brev",
        "anna",
        {"sender": "Eva", "subject": "Bygglov", "body": "Ok", "received_on": "{today}"},
        ("sender", "subject", "body", "received_on"),
        free_text=("sender", "subject", "body"),
        shows=("/inkorg/", "/inkorg/{last_message}"),
    ),
    "web_form": PageForm(
        "/kontakta-oss",
        None,
        {"question": "Ok", "email": "", "topic": ""},
        ("question", "email", "topic"),
        free_text=("question",),
        ignored=("topic",),  # a topic that is not one of the catalogue's categories
        shows=("/inkorg/", "/inkorg/{last_message}"),
    ),
    "answer": PageForm(
        "/remisser/{claimed}/svara",
        "erik",
        {"answer": "Ok", "delivery": "callback"},
        ("answer", "delivery"),
        free_text=("answer",),
        shows=("/remisser/{claimed}", "/disk"),
    ),
    "note": PageForm(
        "/remisser/{referral}/anteckning",
        "erik",
        {"note": "Ok"},
        ("note",),
        free_text=("note",),
        shows=("/remisser/{referral}",),
    ),
    # Anything but "1" turns the e-mail off: odd values change nothing else.
    "notifications": PageForm(
        "/remisser/avisering", "erik", {"notify": "0"}, ("notify",), ignored=("notify",)
    ),
    "park": PageForm(
        "/remisser/{claimed}/parkera",
        "erik",
        {"until": "{in_a_week}", "reason": "Ok"},
        ("reason", "until"),
        free_text=("reason",),
        shows=("/remisser/{claimed}",),
    ),
    "forward": PageForm(
        "/remisser/{claimed}/skicka",
        "erik",
        {"queue": "SOC", "reason": "Ok"},
        ("reason", "queue"),
        free_text=("reason",),
        shows=("/remisser/{claimed}",),
    ),
    "reassign": PageForm("/remisser/{claimed}/omfordela", "erik", {}, ("colleague", "queue")),
    "mandate": PageForm(
        "/mandat/K1/PARK",
        "karin",
        {"max_level": "{other_level}", "reason": "Ok"},
        ("reason", "max_level"),
        free_text=("reason",),
        shows=("/mandat/?office=K1",),
    ),
    "decision": PageForm(
        "/rosa/rekommendationer/{proposal}/beslut",
        "karin",
        {"decision": "reject", "note": "Ok"},
        ("note", "decision"),
        free_text=("note",),
        shows=("/rosa/rekommendationer?office=K1",),
    ),
    "process_step_add": PageForm(
        "/processer/PARK/steg",
        "karin",
        {**STEP, "step": "", "after": "a"},
        ("name", "level", "actor", "after", "version"),
        free_text=("name",),
        shows=("/processer/PARK",),
    ),
    "process_step_change": PageForm(
        "/processer/PARK/steg/spara",
        "karin",
        STEP_ROW,
        ("rows-0-name", "rows-0-step", "rows-0-level"),
        free_text=("rows-0-name",),
        shows=("/processer/PARK",),
    ),
    "process_step_remove": PageForm(
        "/processer/PARK/steg/spara",
        "karin",
        {"version": "{map_version}", "action": "remove:b"},
        ("action",),
    ),
    "process_lanes": PageForm(
        "/processer/PARK/banor",
        "karin",
        {"version": "{map_version}", "lane": "Handläggning", "actor": "back"},
        ("lane", "actor"),
        free_text=("lane",),  # a lane nobody has changes nothing, and that is fine
        writes=False,
    ),
    "bpmn_upload": PageForm(
        "/processer/PARK/bpmn", "karin", {"file": BPMN, "process_id": ""}, ("process_id",)
    ),
    "discover": PageForm(
        "/processer/upptack", "karin", {"case_type": "PARK", "file": EVENT_LOG}, ("case_type",)
    ),
    "admin_user_new": PageForm(
        "/admin/anvandare/ny",
        "admin",
        {"username": "{new_username}", "display_name": "Ok", "role": "vagledare", "office": "K1"},
        ("username", "display_name", "role", "office", "organisation", "email"),
        free_text=("display_name",),
        shows=("/admin/anvandare",),
    ),
    "admin_user_edit": PageForm(
        "/admin/anvandare/{new_user_id}",
        "admin",
        {"username": "{new_username}", "display_name": "Ok", "role": "vagledare", "office": "K2"},
        ("username", "display_name", "role", "office", "organisation", "email"),
        free_text=("display_name",),
        shows=("/admin/anvandare?status=alla",),
    ),
    "whatif": PageForm(
        "/rosa/vad-om",
        "karin",
        {"office": "K1", "target-PARK": ""},
        ("office", "target-PARK"),
        writes=False,
    ),
}


def _form_data(form: PageForm, fresh: Objects, field: str, value: str) -> tuple[dict, dict]:
    """The submission with one field replaced, and the fresh objects its templates named."""
    made = {}

    def fill(template):
        if not isinstance(template, str) or "{" not in template:
            return template
        name = template[1:-1]
        made.setdefault(name, fresh.fill(template))
        return str(made[name])

    data = {name: fill(v) for name, v in form.data.items()}
    data[field] = value
    for name, v in list(data.items()):
        if isinstance(v, bytes):
            data[name] = (io.BytesIO(v), f"{name}.dat")
    path = form.path
    for name in [part.split("}")[0] for part in path.split("{")[1:]]:
        path = path.replace(f"{{{name}}}", fill(f"{{{name}}}"))
    return path, data, made


def _message_shown(client, response) -> bool:
    """A refusal says why: a field's message, an error notice, or the error page."""
    html = response.text
    if 300 <= response.status_code < 400:
        html = client.get(response.headers["Location"]).text
    return any(
        mark in html for mark in ('class="field-error"', "flash-error", "Felkod", 'role="alert"')
    )


def _forms(names) -> list:
    return sorted(names)


@pytest.mark.parametrize("name", _forms(PAGE_FORMS))
def test_page_forms_refuse_or_store_hostile_text_safely(app, world, name):
    form = PAGE_FORMS[name]
    fresh = Fresh(app, world)
    client = login(app, form.user) if form.user else app.test_client()
    admin = login(app, "admin")
    failures = []
    for field in form.fields:
        values = HOSTILE if field in form.free_text else {k: HOSTILE[k] for k in FOR_CODES}
        for label, value in values.items():
            path, data, made = _form_data(form, fresh, field, value)
            before = counts(app)
            response = client.post(path, data=data)
            where = f"{name}.{field}={label}: {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
                continue
            changed = counts(app) != before
            if not changed and form.writes and not _message_shown(client, response):
                failures.append(f"{where}: nothing stored and no message says why")
            if changed and field not in form.free_text + form.ignored:
                failures.append(f"{where}: {field} accepted hostile text")
            if changed and label == "nul":
                failures.append(f"{where}: a NUL byte was stored")
            if not changed:
                continue
            shown_escaped = False
            for page in form.shows:
                page_path = page.format(
                    **made,
                    last_message=_last(app, InboxMessage),
                    last_referral=_last(app, Referral),
                )
                html = admin.get(page_path).text
                shown_escaped |= ESCAPED_SCRIPT in html
                for raw in RAW_MARKUP:
                    if raw in html:
                        failures.append(f"{where}: {page_path} shows {raw!r} unescaped")
            if label == "script" and field in form.free_text and form.shows and not shown_escaped:
                failures.append(f"{where}: stored, but none of {form.shows} shows it (escaped)")
    assert not failures, "\n".join(failures)


# Text a form cannot do without: blanks alone (spaces, a tab, a no-break space) are none.
REQUIRED_TEXT = {
    "admin_user_new": ("username",),
    "admin_user_edit": ("username",),
    "letter": ("sender", "subject", "body"),
    "web_form": ("question",),
    "reply": ("reply",),
    "answer": ("answer",),
    "note": ("note",),
    "counter_citizen": ("question",),  # the contact is referred: the handler needs it
    "park": ("reason",),
    "forward": ("reason",),
    "mandate": ("reason",),
    "decision": ("note",),
    "process_step_add": ("name",),
    "process_step_change": ("rows-0-name",),
}


@pytest.mark.parametrize("name", _forms(REQUIRED_TEXT))
def test_blank_required_text_is_refused_with_a_message(app, world, name):
    form = PAGE_FORMS[name]
    fresh = Fresh(app, world)
    client = login(app, form.user) if form.user else app.test_client()
    for field in REQUIRED_TEXT[name]:
        path, data, _ = _form_data(form, fresh, field, " \t\u00a0 ")
        before = counts(app)
        response = client.post(path, data=data)
        assert counts(app) == before, f"{name}.{field}: blanks were stored"
        assert response.status_code < 500 and _message_shown(client, response), f"{name}.{field}"


def _last(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(model.id)))


# --- API inputs --------------------------------------------------------------------

API_HOSTILE = {**HOSTILE, "surrogate": "a\ud800b"}  # JSON can carry a lone surrogate


@dataclass(frozen=True)
class ApiInput:
    method: str
    path: str
    user: str
    body: dict  # a valid body; each field in `fields` is replaced in turn
    fields: tuple[str, ...]
    free_text: tuple[str, ...] = ()
    read_back: str | None = None  # where the stored text can be read ("{id}": the answer's id)


def with_field(body: dict, name: str, value) -> dict:
    """The body with one field set; `citizen.name` is `name` inside the `citizen` object."""
    body = dict(body)
    if "." in name:
        outer, inner = name.split(".", 1)
        body[outer] = {**body.get(outer, {}), inner: value}
    else:
        body[name] = value
    return body


CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}

API_INPUTS = {
    "contact": ApiInput(
        "POST",
        "/contacts",
        "anna",
        {**CONTACT, "note": "Ok", "citizen": {"name": "Eva"}, "question": "Ok"},
        (
            "note",
            "office",
            "channel",
            "case_type",
            "occurred_at",
            "outcome",
            "question",
            "citizen.name",
            "citizen.phone",
            "citizen.email",
            "citizen.reach_by",
        ),
        free_text=("note", "question", "citizen.name"),
        read_back="/contacts/{id}",
    ),
    "inbox": ApiInput(
        "POST",
        "/inbox",
        "anna",
        {"channel": "chatt", "body": "Ok", "sender": "Eva", "subject": "Fråga", "office": "K1"},
        ("body", "sender", "subject", "reply_to", "channel", "office", "received_at"),
        free_text=("body", "sender", "subject"),
        read_back="/inbox/{id}",
    ),
    "triage": ApiInput(
        "POST",
        "/inbox/{message}/triage",
        "anna",
        {"case_type": "PARK", "rosa_level": 6},
        ("case_type", "office"),
    ),
    # The reply is mailed, not shown by the API: stored or refused is what can be checked.
    "inbox_reply": ApiInput(
        "POST",
        "/inbox/{mail}/reply",
        "anna",
        {"case_type": "PARK", "rosa_level": 1, "reply": "Ok"},
        ("reply", "case_type", "office"),
        free_text=("reply",),
    ),
    "park": ApiInput(
        "POST",
        "/referrals/{claimed}/park",
        "erik",
        {"until": "{in_a_week}", "reason": "Ok"},
        ("reason", "until"),
        free_text=("reason",),
        read_back="/referrals/{claimed}",
    ),
    "forward": ApiInput(
        "POST",
        "/referrals/{claimed}/forward",
        "erik",
        {"queue": "SOC", "reason": "Ok"},
        ("reason", "queue"),
        free_text=("reason",),
        read_back="/referrals/{claimed}/events",
    ),
    "answer": ApiInput(
        "POST",
        "/referrals/{claimed}/answer",
        "erik",
        {"answer": "Ok", "callback": True},
        ("answer",),
        free_text=("answer",),
        read_back="/referrals/{claimed}",
    ),
    # By e-mail to the address the citizen left: the same text goes into the outbox.
    "answer_by_email": ApiInput(
        "POST",
        "/referrals/{emailable}/answer",
        "erik",
        {"answer": "Ok", "send_email": True},
        ("answer",),
        free_text=("answer",),
        read_back="/referrals/{emailable}",
    ),
    "mandate": ApiInput(
        "PUT",
        "/mandates/K1/PARK",
        "karin",
        {"max_level": "{other_level}", "reason": "Ok"},
        ("reason",),
        free_text=("reason",),
    ),
    "user": ApiInput(
        "POST",
        "/users",
        "admin",
        {"username": "{new_username}", "display_name": "Ok", "role": "vagledare", "office": "K1"},
        ("username", "display_name", "role", "office", "organisation", "email"),
        free_text=("display_name",),
        read_back="",  # the answer is the account
    ),
    "user_patch": ApiInput(
        "PATCH",
        "/users/{new_user}",
        "admin",
        {"display_name": "Ok", "email": "ny@example.se"},
        ("username", "display_name", "role", "office", "organisation", "email"),
        free_text=("display_name",),
        read_back="",
    ),
    "decision": ApiInput(
        "POST",
        "/rosa/recommendations/{proposal}/decision",
        "karin",
        {"decision": "reject", "note": "Ok"},
        ("note", "decision"),
        free_text=("note",),
        read_back="",  # the answer itself holds the note
    ),
}


def _api_call(app, world, method, path, user, **kwargs):
    headers = {"Authorization": f"Bearer {world.tokens[user]}", **kwargs.pop("headers", {})}
    return app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


@pytest.mark.parametrize("name", sorted(API_INPUTS))
def test_api_refuses_or_stores_hostile_text_safely(app, world, name):
    spec = API_INPUTS[name]
    fresh = Fresh(app, world)
    failures = []
    for field in spec.fields:
        values = API_HOSTILE if field in spec.free_text else {k: API_HOSTILE[k] for k in FOR_CODES}
        for label, value in values.items():
            made = {}
            path = spec.path
            for part in [p.split("}")[0] for p in path.split("{")[1:]]:
                made[part] = fresh.fill(f"{{{part}}}")
                path = path.replace(f"{{{part}}}", str(made[part]))
            body = {k: fresh.fill(v) if isinstance(v, str) else v for k, v in spec.body.items()}
            body = with_field(body, field, value)
            before = counts(app)
            response = _api_call(app, world, spec.method, path, spec.user, json=body)
            status = response.status_code
            where = f"{name}.{field}={label}: {status}"
            changed = counts(app) != before
            answer = response.get_json(silent=True)
            if status >= 500 or not isinstance(answer, dict):
                failures.append(f"{where}: {response.text[:200]}")
                continue
            if status >= 400:
                if changed:
                    failures.append(f"{where}: refused, but the database changed")
                if status == 422 and field not in answer.get("fields", {}):
                    failures.append(f"{where}: 422 without naming {field}: {answer}")
                continue
            if field not in spec.free_text or label in ("nul", "surrogate"):
                failures.append(f"{where}: {field} accepted {value[:40]!r}")
                continue
            if spec.read_back is not None:
                stored = answer
                if spec.read_back:
                    read_path = spec.read_back.format(id=answer.get("id"), **made)
                    stored = _api_call(app, world, "GET", read_path, "admin").get_json()
                if not any(value.strip() in leaf for leaf in leaves(stored)):
                    failures.append(f"{where}: stored text differs from what was sent")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(API_INPUTS))
def test_api_text_fields_take_only_text(app, world, name):
    """true, 1, [] or {} where text belongs is refused by name, never turned into text."""
    spec = API_INPUTS[name]
    fresh = Fresh(app, world)
    for field in spec.fields:
        for value in (True, False, 1, 2.5, [], ["x"], {}, {"x": 1}):
            path = spec.path
            for part in [p.split("}")[0] for p in path.split("{")[1:]]:
                path = path.replace(f"{{{part}}}", str(fresh.fill(f"{{{part}}}")))
            body = {k: fresh.fill(v) if isinstance(v, str) else v for k, v in spec.body.items()}
            body = with_field(body, field, value)
            before = counts(app)
            response = _api_call(app, world, spec.method, path, spec.user, json=body)
            where = f"{name}.{field}={value!r}: {response.status_code}"
            assert response.status_code == 422, where
            assert field in response.get_json()["fields"], where
            assert counts(app) == before, where


def _request(spec: ApiInput, fresh: "Fresh") -> tuple[str, dict]:
    """The spec's path and valid body, with fresh objects made for them."""
    path = spec.path
    for part in [p.split("}")[0] for p in path.split("{")[1:]]:
        path = path.replace(f"{{{part}}}", str(fresh.fill(f"{{{part}}}")))
    body = {k: fresh.fill(v) if isinstance(v, str) else v for k, v in spec.body.items()}
    return path, body


# JSON of the wrong shape where an object, a flag or a level belongs: (field, value, the
# field the 422 must name). Every one is refused and nothing is written.
WRONG_SHAPES = {
    "contact": [
        *[("citizen", value, "citizen") for value in ("Eva", 1, True, 2.5, [], ["x"])],
        ("citizen", {"x": 1}, "citizen.x"),
        ("citizen", {SCRIPT: "Eva"}, f"citizen.{SCRIPT}"),
        ("citizen", {"name\x00": "Eva"}, "citizen"),
        ("citizen", {"name\ud800": "Eva"}, "citizen"),
        ("citizen", {"name": {"first": "Eva"}}, "citizen.name"),
        ("citizen.phone", 46701234567, "citizen.phone"),
        ("citizen.phone", "9" * 5000, "citizen.phone"),
        ("citizen.email", ["eva@example.se"], "citizen.email"),
        ("citizen.email", "eva@example.se\r\nBcc: x@example.se", "citizen.email"),
        ("citizen.email", "a" * 400 + "@example.se", "citizen.email"),
        ("citizen.reach_by", True, "citizen.reach_by"),
        ("citizen.reach_by", "epost", "citizen.reach_by"),  # no address to write to
        ("citizen.reach_by", "telefon", "citizen.reach_by"),  # no number to call
        *[("repeat", value, "repeat") for value in ("y", "true", 1, [], {})],
        *[("question", value, "question") for value in (True, 1, ["Ok"], {"text": "Ok"})],
    ],
    "answer": [
        *[("callback", value, "callback") for value in ("y", "true", 1, [], {}, None)],
        ("send_email", True, "send_email"),  # and callback: one or the other
    ],
    "answer_by_email": [
        *[
            ("send_email", value, "send_email")
            for value in ("true", "y", 1, 0, 2.5, [], {}, SCRIPT, "a\x00b")
        ],
        ("callback", True, "send_email"),  # and send_email: one or the other
        ("callback", "y", "callback"),
    ],
    "inbox_reply": [
        *[("rosa_level", value, "rosa_level") for value in ("1", True, 2.5, [], None, 0, 9)],
        ("rosa_level", 8, "rosa_level"),  # above the office's mandate: triage it instead
        *[("reply", value, "reply") for value in (None, "", " \t\u00a0 ")],
    ],
}


@pytest.mark.parametrize("name", sorted(WRONG_SHAPES))
def test_api_objects_flags_and_levels_take_only_their_shape(app, world, name):
    spec = API_INPUTS[name]
    fresh = Fresh(app, world)
    failures = []
    for field, value, named in WRONG_SHAPES[name]:
        path, body = _request(spec, fresh)
        body = with_field(body, field, value)
        before = counts(app)
        response = _api_call(app, world, spec.method, path, spec.user, json=body)
        answer = response.get_json(silent=True) or {}
        where = f"{name}.{field}={value!r:.60}: {response.status_code}"
        if response.status_code != 422 or named not in answer.get("fields", {}):
            failures.append(f"{where}, expected 422 naming {named!r}: {answer}")
        if counts(app) != before:
            failures.append(f"{where}: the database changed")
    assert not failures, "\n".join(failures)


def test_no_address_refuses_mail_and_writes_nothing(app, world):
    """An answer or reply by e-mail where there is no address is refused by name, unwritten."""
    fresh = Fresh(app, world)
    reply = {"case_type": "PARK", "rosa_level": 1, "reply": SCRIPT}
    requests = [
        ("erik", f"/referrals/{fresh.claimed()}/answer", {"answer": SCRIPT, "send_email": True},
         "send_email"),
        ("anna", f"/inbox/{fresh.message()}/reply", reply, "reply"),  # no sender, no reply_to
    ]  # fmt: skip
    for user, path, body, named in requests:
        before = counts(app)
        response = _api_call(app, world, "POST", path, user, json=body)
        assert response.status_code == 422, (path, response.text)
        assert named in response.get_json()["fields"], (path, response.get_json())
        assert counts(app) == before, path
    # The page says why, and the chosen way of delivery is kept.
    claimed = fresh.claimed()
    client = login(app, "erik")
    before = counts(app)
    response = client.post(
        f"/remisser/{claimed}/svara", data={"answer": SCRIPT, "delivery": "email"}
    )
    assert response.status_code == 422 and _message_shown(client, response)
    no_raw_markup(response.text, "the referral page")
    assert counts(app) == before


ATTACHMENT_NUMBERS = ("1", "-1", "9" * 30, "%3Cscript%3E", "0%00", "%FF", "0.0", "%200", "0x0")


def test_attachment_numbers_outside_the_list_are_not_found(app, world):
    """Only the listed attachments are served; any other number, or none, is 404 or 400."""
    referral_id = Fresh(app, world).mailed()
    page, api = login(app, "erik"), app.test_client()
    token = {"Authorization": f"Bearer {world.tokens['erik']}"}
    before = counts(app)
    for index in ("0", *ATTACHMENT_NUMBERS):
        for client, path, headers in (
            (page, f"/remisser/{referral_id}/bilagor/{index}", {}),
            (api, f"/api/v1/referrals/{referral_id}/attachments/{index}", token),
        ):
            with client.get(path, headers=headers) as response:
                where = f"GET {path}: {response.status_code}"
                if index == "0":
                    assert response.status_code == 200, where
                    assert response.data == b"%PDF-1.4", where
                    continue
                assert response.status_code in (400, 404), where
                no_raw_markup(response.text, where)
    assert counts(app) == before


def test_masked_text_at_its_limit_still_fits_its_column(app, world):
    """A personnummer without its dash grows when masked (8112189876 -> XXXXXX-9876): text
    at its limit is cut to the column, not refused by PostgreSQL with a 500."""
    numbers = "8112189876 "
    body = {
        **CONTACT,
        "note": (numbers * 200)[:2000],
        "question": (numbers * 200)[:2000],
        "citizen": {"name": (numbers * 20)[:200]},
    }
    response = _api_call(app, world, "POST", "/contacts", "anna", json=body)
    assert response.status_code == 201, response.text
    stored = _api_call(app, world, "GET", f"/contacts/{response.get_json()['id']}", "anna")
    stored = stored.get_json()
    assert "8112189876" not in json.dumps(stored)
    assert (len(stored["note"]), len(stored["question"])) == (2000, 2000)
    assert len(stored["citizen"]["name"]) == 200


MAIL_DIR = Path(__file__).parent / "mail"
HOSTILE_FILENAMES = {
    "traversal": "../../../etc/passwd",
    "script": "<script>alert(1)</script>.pdf",
    "img": IMG + ".pdf",
    "header": "kvitto.pdf\r\nX-Injected: 1",
    "nul": "a\x00b.pdf",
    "dots": "..",
    "bidi": "\u202efdp.exe",
    "long": "å" * 2000 + ".pdf",
}


def test_hostile_attachment_names_are_stored_tame_and_served_safely(app, world, tmp_path):
    """An attachment's name is the sender's text: no directories, no markup on the page,
    no line break in the download's header."""
    from urllib.parse import quote

    template = (MAIL_DIR / "with_attachment.eml").read_text()
    folder = tmp_path / "maildir"
    folder.mkdir()
    for number, (label, filename) in enumerate(HOSTILE_FILENAMES.items()):
        mail = template.replace("<attach-0001@example.se>", f"<hostile-{label}@example.se>")
        mail = mail.replace(
            'Content-Type: application/pdf; name="kvitto.pdf"\n'
            'Content-Disposition: attachment; filename="kvitto.pdf"',
            "Content-Type: application/pdf\n"
            f"Content-Disposition: attachment; filename*=utf-8''{quote(filename, safe='')}",
        )
        assert "filename*=utf-8''" + quote(filename, safe="") in mail
        (folder / f"{number}.eml").write_text(mail)
    result = app.test_cli_runner().invoke(
        args=["fetch-mail", "--maildir", str(folder), "--office", "K1"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        messages = db.session.scalars(sa.select(InboxMessage.id).order_by(InboxMessage.id)).all()
    assert len(messages) == len(HOSTILE_FILENAMES)
    page = login(app, "erik")
    failures = []
    for message_id in messages:
        triage = {"case_type": "PARK", "rosa_level": 6}
        triaged = _api_call(app, world, "POST", f"/inbox/{message_id}/triage", "anna", json=triage)
        referral_id = triaged.get_json()["referral"]["id"]
        referral = _api_call(app, world, "GET", f"/referrals/{referral_id}", "erik").get_json()
        html = page.get(f"/remisser/{referral_id}").text
        for raw in RAW_MARKUP:
            if raw in html:
                failures.append(f"referral {referral_id} shows {raw!r} unescaped")
        for item in referral["message"]["attachments"]:
            name = item["name"]
            if any(c in name for c in "/\\<>\r\n\x00") or name in ("", ".", ".."):
                failures.append(f"referral {referral_id}: attachment named {name!r}")
            with _api_call(app, world, "GET", item["url"].removeprefix("/api/v1"), "erik") as got:
                disposition = got.headers.get("Content-Disposition", "")
                if got.status_code != 200 or not disposition.startswith("attachment"):
                    failures.append(f"{item['url']}: {got.status_code} {disposition!r}")
                if any(c in disposition for c in "\r\n"):
                    failures.append(f"{item['url']}: a line break in {disposition!r}")
    assert not failures, "\n".join(failures)


def test_process_map_json_with_hostile_names_is_stored_escaped_or_refused(app, world):
    """Step names, lanes and ids go into an inline SVG and a BPMN file: escaped in both."""
    admin = login(app, "admin")
    failures = []
    for label, value in API_HOSTILE.items():
        steps = [
            {"id": f"a{label}", "name": value, "level": 1, "actor": "front", "lane": value},
            {"id": value[:100] or "b", "name": "Besluta", "lane": "Bak"},
        ]
        body = {
            "name": value,
            "steps": steps,
            "flows": [{"from": f"a{label}", "to": steps[1]["id"]}],
        }
        before = counts(app)
        response = _api_call(app, world, "PUT", "/process-maps/PARK", "admin", json=body)
        where = f"process map {label}: {response.status_code}"
        if response.status_code != 201:
            answer = response.get_json(silent=True) or {}
            if (
                response.status_code >= 500
                or response.status_code != 422
                or not answer.get("fields")
            ):
                failures.append(f"{where}: {response.text[:200]}")
            if counts(app) != before:
                failures.append(f"{where}: refused, but the database changed")
            continue
        if label in ("nul", "surrogate"):
            failures.append(f"{where}: stored")
        html = admin.get("/processer/PARK").text
        for raw in RAW_MARKUP:
            if raw in html:
                failures.append(f"{where}: the map's page shows {raw!r} unescaped")
        bpmn = admin.get("/processer/PARK/bpmn")
        try:
            ElementTree.fromstring(bpmn.data)
        except ElementTree.ParseError as error:
            failures.append(f"{where}: the BPMN download is not XML ({error})")
    assert not failures, "\n".join(failures)


# --- Query strings, paths and raw bytes --------------------------------------------

# Every filter of every list and overview page, and of the API's reads.
QUERY_PAGES = {
    "/disk": ("anna", ("kanal", "office")),
    "/disk/forhandsvisning": ("anna", ("case_type", "rosa_level", "outcome", "office")),
    "/remisser/": (
        "admin",
        ("queue", "status", "case_type", "office", "channel", "overdue", "sort", "page"),
    ),
    "/inkorg/": ("anna", ("status",)),
    "/mandat/": ("anna", ("office",)),
    "/oversikt/": (
        "karin",
        ("from", "to", "office", "organisation", "case_type", "channel", "bucket"),
    ),
    "/oversikt/kontakter": (
        "karin",
        ("from", "office", "level", "outcome", "weekday", "hour", "before", "repeat"),
    ),
    "/oversikt/remisser/lista": ("karin", ("state", "before", "to")),
    "/oversikt/timmar": ("karin", ("from", "case_type")),
    "/oversikt/forsta-kontakten": ("karin", ("to", "channel")),
    "/oversikt/remisser": ("karin", ("organisation",)),
    "/oversikt/uppdrag": ("karin", ("office", "from")),
    "/oversikt/export/kontakter.csv": ("karin", ("from", "office", "level")),
    "/kanaler/": ("karin", ("from", "to")),
    "/rosa/trappan": ("karin", ("office", "case_type", "from", "to")),
    "/rosa/rekommendationer": ("karin", ("office",)),
    "/rosa/vad-om": ("karin", ("office",)),
    "/processer/PARK": ("karin", ("version", "office", "mandat")),
    "/api/v1/referrals": ("erik", ("queue", "status", "sort", "page", "per_page")),
    "/api/v1/inbox": ("anna", ("status",)),
    "/api/v1/mandates": ("anna", ("office",)),
    "/api/v1/stats/summary": (
        "karin",
        ("from", "to", "office", "organisation", "case_type", "channel"),
    ),
    "/api/v1/export/contacts.csv": ("karin", ("from", "office", "channel")),
    "/api/v1/rosa/staircase": ("karin", ("office", "case_type", "from", "to")),
    "/api/v1/rosa/recommendations": ("karin", ("office",)),
    "/api/v1/channels/parity": ("karin", ("from", "to")),
    "/api/v1/process-maps/PARK": ("karin", ("version",)),
}
REFLECTED = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


def _get(app, clients, world, user, path, query_string):
    headers = {}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {world.tokens[user]}"
        client = clients.setdefault("api", app.test_client())
    else:
        client = clients[user]
    return client.get(path, query_string=query_string, headers=headers)


def test_filters_and_query_strings_never_fail_and_never_reflect_markup(app, world):
    Fresh(app, world).referral()  # something for the lists to show
    _api_call(app, world, "PUT", "/process-maps/PARK", "admin", json=_SMALL_MAP)
    clients = {user: login(app, user) for user in ("anna", "erik", "karin", "admin")}
    failures = []
    before = counts(app)  # after the logins, which are audited
    for path, (user, params) in QUERY_PAGES.items():
        # Each parameter on its own, so a refused first one does not hide the next...
        requests = [(p, {p: REFLECTED}) for p in params]
        # ...and every parameter at once with the other kinds of hostile text.
        for label in ("drop", "nul", "ansi", "bidi"):
            requests.append((label, {p: HOSTILE[label] for p in params}))
        requests.append(("long", {p: "9" * 5000 for p in params}))
        requests.append(("bad utf-8", "&".join(f"{p}=%FF%FE%ED%A0%80" for p in params)))
        for label, query in requests:
            response = _get(app, clients, world, user, path, query)
            where = f"GET {path} {label}: {response.status_code}"
            if response.status_code not in (200, 400, 404, 422):
                failures.append(where)
                continue
            if path.startswith("/api/") and response.status_code >= 400:
                if not (response.get_json(silent=True) or {}).get("error"):
                    failures.append(f"{where}: no error message")
            elif response.mimetype == "text/html":
                for raw in RAW_MARKUP:
                    if raw in response.text:
                        failures.append(f"{where}: shows {raw!r} unescaped")
    assert not failures, "\n".join(failures)
    assert counts(app) == before


_SMALL_MAP = {
    "steps": [{"id": "a", "name": "Ta emot", "level": 1}, {"id": "b", "name": "Besluta"}],
    "flows": [{"from": "a", "to": "b"}],
}


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("anna", "/disk/arendetyper/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        ("anna", "/disk/arendetyper/%FF%FE"),
        ("anna", "/disk/arendetyper/%ED%A0%80"),
        ("karin", "/processer/%3Cscript%3E"),
        ("karin", "/processer/%FF/bpmn"),
        ("karin", "/mandat/%FF"),
        ("karin", "/oversikt/export/%FF.csv"),
        ("karin", "/rosa/rekommendationer/%FF%00:x/beslut"),
        ("karin", "/api/v1/process-maps/%FF"),
        ("karin", "/api/v1/process-maps/a%00b"),
        ("karin", "/api/v1/mandates/%FF/PARK"),
        ("karin", "/api/v1/rosa/recommendations/K1%00:PARK/decision"),
    ],
)
def test_hostile_url_paths_are_not_found(app, world, user, path):
    method = "POST" if path.endswith(("beslut", "decision")) or "/mandates/" in path else "GET"
    if "/mandates/" in path:
        method = "PUT"
    headers = {"Authorization": f"Bearer {world.tokens[user]}"} if "/api/" in path else {}
    client = app.test_client() if "/api/" in path else login(app, user)
    before = counts(app)
    response = client.open(path, method=method, headers=headers, data={}, json=None)
    assert response.status_code in (400, 404, 405, 422), response.status_code
    for raw in RAW_MARKUP:
        assert raw not in response.text
    assert counts(app) == before


@pytest.mark.parametrize(
    "note",
    [b"%FF%FE%C3", b"%ED%A0%80", b"\xff\xfe\xc3(", b"\xed\xa0\x80"],
    ids=["escaped", "escaped-surrogate", "raw", "raw-surrogate"],
)
def test_invalid_utf8_in_a_form_is_never_stored_undecodable(app, world, note):
    """Browsers send UTF-8; other bytes are kept as the text they spell, or refused."""
    client = login(app, "anna")
    body = b"channel=besok&case_type=PARK&rosa_level=1&note=" + note
    response = client.post(
        "/disk/kontakter", data=body, content_type="application/x-www-form-urlencoded"
    )
    if response.status_code == 303:
        with app.app_context():
            stored = db.session.scalar(sa.select(Contact.note))
        stored.encode("utf-8")  # a string every database, page and file can hold
        assert stored in client.get("/disk").text
    else:
        assert response.status_code == 422
        assert 'class="field-error"' in response.text
        assert counts(app)[_table_index(Contact)] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            b'{"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 1, '
            b'"note": "\xff\xfe"}',
            None,
        ),
        (b"\xff\xfe{\x00}", None),
        # A surrogate written in UTF-8 bytes decodes to a lone surrogate: refused by name.
        (b'{"office": "K1\xed\xa0\x80"}', "office"),
    ],
)
def test_invalid_utf8_json_is_refused(app, world, body, field):
    response = _api_call(
        app, world, "POST", "/contacts", "anna", data=body, content_type="application/json"
    )
    if field is None:
        assert response.status_code == 400
        assert response.get_json()["error"] == "Ogiltig JSON i begäran."
    else:
        assert response.status_code == 422
        assert field in response.get_json()["fields"]
    assert counts(app)[_table_index(Contact)] == 0


def _table_index(model) -> int:
    return db.metadata.sorted_tables.index(model.__table__)


# --- Oversized bodies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "path", "data"),
    [
        ("anna", "/disk/kontakter", {"channel": "besok", "case_type": "PARK", "rosa_level": "1"}),
        ("anna", "/inkorg/brev", {"sender": "Eva", "subject": "Brev", "received_on": "2026-01-05"}),
        (None, "/kontakta-oss", {}),
    ],
    ids=["counter", "letter", "web-form"],
)
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_ten_megabyte_forms_are_refused_with_413(app, world, user, path, data, encoding):
    client = login(app, user) if user else app.test_client()
    field = {"/disk/kontakter": "note", "/inkorg/brev": "body", "/kontakta-oss": "question"}[path]
    data = {**data, field: "x" * TEN_MB}
    kwargs = {"data": data}
    if encoding == "multipart":
        # Encoded here: the test client would spool it to a file it never closes.
        boundary, body = encode_multipart(MultiDict(data))
        kwargs = {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
    before = counts(app)
    response = client.post(path, **kwargs)
    assert response.status_code == 413
    assert "Begäran är för stor." in response.text
    assert counts(app) == before


@pytest.mark.parametrize(
    ("method", "path", "user", "body", "field"),
    [
        (
            "POST",
            "/contacts",
            "anna",
            {"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 1},
            "note",
        ),  # fmt: skip
        ("POST", "/inbox", "anna", {"channel": "chatt"}, "body"),
        ("PUT", "/mandates/K1/PARK", "karin", {"max_level": 4}, "reason"),
        (
            "POST",
            "/rosa/recommendations/K1:PARK:3:4/decision",
            "karin",
            {"decision": "reject"},
            "note",
        ),  # fmt: skip
    ],
)
def test_ten_megabyte_json_is_refused_with_413(app, world, method, path, user, body, field):
    before = counts(app)
    response = _api_call(app, world, method, path, user, json={**body, field: "x" * TEN_MB})
    assert response.status_code == 413
    assert response.get_json() == {"error": "Begäran är för stor.", "fields": {}}
    assert counts(app) == before


def test_the_longest_message_the_api_takes_still_fits(app, world):
    """100,000 characters that JSON writes as 12 bytes each (\\ud83d\\ude00) are ~1.2 MB."""
    body = "😀" * 100_000
    payload = json.dumps({"channel": "chatt", "body": body}).encode()  # ensure_ascii
    assert len(payload) > 1_000_000
    response = _api_call(
        app, world, "POST", "/inbox", "anna", data=payload, content_type="application/json"
    )
    assert response.status_code == 201, response.get_json()
    stored = _api_call(app, world, "GET", f"/inbox/{response.get_json()['id']}", "anna")
    assert stored.get_json()["body"] == body


def test_uploads_may_be_larger_than_forms(app, world):
    """A process map or event log is a file: it may pass the ordinary body limit."""
    padding = " " * (3 * 1024 * 1024)
    payload = json.dumps(_SMALL_MAP).replace("{", "{" + padding, 1).encode()
    response = _api_call(
        app, world, "PUT", "/process-maps/PARK", "admin", data=payload,
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    padded = json.dumps({"padding": padding, **_SMALL_MAP}).encode()
    response = _api_call(app, world, "POST", "/inbox", "anna", data=padded,
                         content_type="application/json")  # fmt: skip
    assert response.status_code == 413


# --- Exports --------------------------------------------------------------------------


def test_exports_carry_no_free_text_and_no_formula(app, world):
    """Notes never reach a file; a name a spreadsheet would run as a formula is quoted."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "anna"))
        user.username = '=HYPERLINK("http://x","y")'
        db.session.commit()
    contact = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
    note = '=cmd|" /C calc"!A0'
    assert (
        _api_call(
            app, world, "POST", "/contacts", "anna", json={**contact, "note": note}
        ).status_code
        == 201
    )
    for name in ("contacts.csv", "referrals.csv", "eventlog.csv"):
        text = _api_call(app, world, "GET", f"/export/{name}", "karin").text
        assert "calc" not in text, f"{name} holds the note"
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2, name
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
    assert "'=HYPERLINK" in _api_call(app, world, "GET", "/export/eventlog.csv", "karin").text


@pytest.mark.parametrize(
    "filename",
    [
        b"a\x00b.bpmn",
        b"\xed\xa0\x80.bpmn",
        b"\xff\xfe.bpmn",
        b"<script>alert(1)</script>.bpmn",
        b"x" * 2000 + b".bpmn",
    ],  # fmt: skip
    ids=["nul", "surrogate-bytes", "invalid-utf8", "script", "long"],
)
def test_upload_file_names_are_text_like_any_other(app, world, filename):
    """An upload's name goes into the map's note: refused with NUL, else kept as text or
    (bytes that are no UTF-8) the upload refused with a message."""
    client = login(app, "karin")
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/xml\r\n\r\n" + BPMN + b"\r\n--B--\r\n"
    )
    before = counts(app)
    response = client.post(
        "/processer/PARK/bpmn", data=body, content_type="multipart/form-data; boundary=B"
    )
    if b"\x00" in filename:
        assert response.status_code == 400
        assert "Felaktig begäran" in response.text
        assert counts(app) == before
        return
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    no_raw_markup(page.text, "the map's page")
    if counts(app) == before:  # bytes that are no UTF-8: the form cannot be read at all
        assert b"\xff" in filename or b"\xed" in filename
        assert "flash-error" in page.text
    else:
        assert "Kartan är sparad som version" in page.text


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/referrals?queue=TEK%00GATA", "queue"),
        ("GET", "/stats/summary?from=2026-01-01&office=K%001", "office"),
        ("GET", "/process-maps/PA%00RK", "code"),
        ("POST", "/rosa/recommendations/K1%00:PARK:3:4/decision", "proposal_id"),
        ("PUT", "/mandates/K1/PA%00RK", "case_type_code"),
    ],
)
def test_nul_in_api_parameters_is_refused_by_name(app, world, method, path, field):
    """PostgreSQL cannot compare text with a NUL in it: it never gets that far."""
    before = counts(app)
    response = _api_call(app, world, method, path, "admin", json={})
    assert response.status_code == 400
    assert field in response.get_json()["fields"]
    assert counts(app) == before


# --- Property-based: arbitrary JSON for every field of the API's inputs ---------------
#
# Each field is drawn either from values the API must take or from anything JSON can
# hold that it must refuse; the test knows which, so a 201 for refusable input fails it,
# and so does a refusal of valid input. The app and its data live across the examples
# of a test (hypothesis calls the test body many times under one fixture).

LONG_DIGITS = "9" * 5000
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["a\ud800", "\x00", SCRIPT, "' OR 1=1 --", LONG_DIGITS]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
PROPERTIES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MISSING = object()  # the field is left out of the body


def field(valid, invalid=ANY_JSON, *, is_valid=lambda value: False, optional=False):
    """(value, valid?) pairs: a value of `valid`, or one of `invalid` the oracle refuses."""
    good = valid.map(lambda value: (value, True))
    bad = invalid.filter(lambda value: not is_valid(value)).map(lambda value: (value, False))
    absent = st.just((MISSING, optional))
    # Mostly valid, so that whole bodies of valid fields come up often enough to be checked.
    return st.integers(0, 11).flatmap(lambda n: bad if n == 0 else absent if n == 1 else good)


def _blank(value) -> bool:
    return isinstance(value, str) and not value.strip()


def _clean_text(value, limit):
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= limit
        and "\x00" not in value
        and not any("\ud800" <= c <= "\udfff" for c in value)
    )


def refused_fields(fields: dict) -> str:
    return repr({name: value for name, (value, ok) in fields.items() if not ok})


def body_of(fields: dict) -> tuple[dict, bool]:
    body = {name: value for name, (value, _) in fields.items() if value is not MISSING}
    valid = all(ok for _, ok in fields.values())
    event("valid body" if valid else "invalid body")
    return body, valid


PHONES = ["070-123 45 67", "+46701234567", "0046 70 123 45 67", "08-123 456 78", "+47 900 12 345"]
ADDRESSES = ["eva@example.se", " Eva.Ek@Example.SE ", "åsa@exempel.se"]


def _storable(value) -> bool:
    return (
        isinstance(value, str)
        and "\x00" not in value
        and not any("\ud800" <= c <= "\udfff" for c in value)
    )


def _given(citizen: dict, key: str) -> str:
    return (citizen.get(key) or "").strip()


def _citizen_ok(value) -> bool:
    """Whether the API must take this `citizen`: known keys, text, a number and an address
    that can be used, and a way to be reached that has what it needs."""
    if value is None:
        return True
    if not isinstance(value, dict) or not set(value) <= {"name", "phone", "email", "reach_by"}:
        return False
    if not all(v is None or _storable(v) for v in value.values()):
        return False
    try:
        phone = normalise_phone(_given(value, "phone"))
        email = normalise_email(_given(value, "email"))
    except ContactDetailError:
        return False
    reach_by = _given(value, "reach_by")
    return len(_given(value, "name")) <= 200 and (
        reach_by == "" or (reach_by == "telefon" and phone) or (reach_by == "epost" and email)
    )


def _reached_by(citizen: dict):
    """The citizen with each way of being reached their details allow, or none given."""
    ways = [MISSING, None, "", " "]
    ways += ["telefon"] if _given(citizen, "phone") else []
    ways += ["epost"] if _given(citizen, "email") else []
    return st.sampled_from(ways).map(
        lambda way: citizen if way is MISSING else {**citizen, "reach_by": way}
    )


CITIZENS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.none() | st.text(max_size=40).filter(lambda v: "\x00" not in v),
        "phone": st.sampled_from([None, "", *PHONES]),
        "email": st.sampled_from([None, "", *ADDRESSES]),
    },
).flatmap(_reached_by)
WRONG_CITIZENS = ANY_JSON | st.sampled_from(
    [
        {"phone": "12"},
        {"phone": LONG_DIGITS},
        {"email": "nej"},
        {"email": "eva@example.se", "reach_by": "telefon"},
        {"phone": "070-123 45 67", "reach_by": "epost"},
        {"reach_by": "brev"},
        {"name": "x" * 201},
        {"name": SCRIPT, "nickname": "x"},
    ]
)

CONTACT_FIELDS = st.fixed_dictionaries(
    {
        "office": field(
            st.sampled_from(["K1", "k1", " K1 "]),
            is_valid=lambda v: isinstance(v, str) and v.strip().upper() == "K1",
        ),
        "channel": field(
            st.sampled_from(["besok", "besök", "telefon", "e-post", "brev", "webb", "chatt"]),
            is_valid=lambda v: isinstance(v, str) and parse_channel(v) is not None,
        ),
        "case_type": field(
            st.sampled_from(["PARK", "park", "EKB", "FKBARN", "Parkeringstillstånd"]),
            is_valid=lambda v: (
                isinstance(v, str) and v.strip().upper() in ("PARK", "EKB", "FKBARN")
            ),
        ),
        "rosa_level": field(
            st.integers(1, 8),
            is_valid=lambda v: type(v) is int and 1 <= v <= 8,
        ),
        "note": field(
            st.text(max_size=300).filter(lambda v: "\x00" not in v),
            is_valid=lambda v: v is None or (isinstance(v, str) and _clean_text(v + "x", 2000)),
            optional=True,
        ),
        "duration_seconds": field(
            st.integers(0, 8 * 3600),
            is_valid=lambda v: v is None or (type(v) is int and 0 <= v <= 8 * 3600),
            optional=True,
        ),
        "outcome": field(
            st.sampled_from(["kopplat", None]),
            is_valid=lambda v: v in ("kopplat", None) or _blank(v),
            optional=True,
        ),
        "repeat": field(
            st.booleans(), is_valid=lambda v: v is None or type(v) is bool, optional=True
        ),
        "occurred_at": field(
            st.datetimes(datetime(2001, 1, 1), datetime(2025, 12, 31)).map(datetime.isoformat),
            st.text(max_size=25) | st.integers(),
            is_valid=lambda v: v is None or _blank(v),  # blank counts as not given
            optional=True,
        ),
        "citizen": field(CITIZENS, WRONG_CITIZENS, is_valid=_citizen_ok, optional=True),
        "question": field(
            st.text(max_size=300).filter(lambda v: "\x00" not in v),
            st.text(min_size=2001, max_size=2100) | ANY_JSON,
            is_valid=lambda v: v is None or (_storable(v) and len(v.strip()) <= 2000),
            optional=True,
        ),
    }
)


@PROPERTIES
@given(fields=CONTACT_FIELDS)
def test_property_contacts(app, world, fields):
    body, valid = body_of(fields)
    response = _api_call(app, world, "POST", "/contacts", "anna", json=body)
    assert response.status_code in (201, 400, 422), response.text
    if not valid:
        assert response.status_code != 201, refused_fields(fields)
        if response.status_code == 422:
            named = {re.split(r"[.\[]", name)[0] for name in response.get_json()["fields"]}
            assert named and named <= set(body) | REQUIRED_CONTACT, response.get_json()
        return
    assert response.status_code == 201, (body, response.get_json())
    stored = _api_call(app, world, "GET", response.headers["Location"][7:], "anna").get_json()
    assert stored["office"] == "K1"
    assert stored["rosa_level"] == body["rosa_level"]
    assert stored["case_type"] == ("PARK" if body["case_type"] == "Parkeringstillstånd"
                                   else body["case_type"].strip().upper())  # fmt: skip
    assert stored["channel"] == parse_channel(body["channel"])
    assert stored["note"] == mask_personnummer(body.get("note") or "")
    assert stored["duration_seconds"] == body.get("duration_seconds")
    citizen = body.get("citizen") or {}
    name = mask_personnummer(_given(citizen, "name"))[:200]
    phone = normalise_phone(_given(citizen, "phone"))
    email = normalise_email(_given(citizen, "email"))
    if name or phone or email:
        reach_by = _given(citizen, "reach_by") or ("telefon" if phone else "epost" if email else "")
        assert stored["citizen"] == {
            "name": name or None,
            "phone": phone or None,
            "phone_display": display_phone(phone) or None,
            "email": email or None,
            "reach_by": reach_by or None,
        }, body
    else:
        assert stored["citizen"] is None, body
    assert stored["question"] == (mask_personnummer((body.get("question") or "").strip()) or None)
    # A repeat: flagged, or found by the citizen's number or address.
    if not (phone or email):
        assert stored["repeat_of"] is None
    assert stored["repeat"] is (bool(body.get("repeat")) or stored["repeat_of"] is not None)


REQUIRED_CONTACT = {"office", "channel", "case_type", "rosa_level"}


def _is_email(value) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


INBOX_FIELDS = st.fixed_dictionaries(
    {
        "channel": field(
            st.sampled_from(["epost", "brev", "webb", "chatt"]),
            is_valid=lambda v: v in ("epost", "brev", "webb", "chatt"),
        ),
        "body": field(
            st.text(min_size=1, max_size=300).filter(lambda v: _clean_text(v, 100_000)),
            is_valid=lambda v: _clean_text(v, 100_000),
        ),
        "sender": field(
            st.text(max_size=50).filter(lambda v: "\x00" not in v),
            is_valid=lambda v: v is None or (isinstance(v, str) and _clean_text(v + "x", 320)),
            optional=True,
        ),
        "subject": field(
            st.text(max_size=50).filter(lambda v: "\x00" not in v),
            is_valid=lambda v: v is None or (isinstance(v, str) and _clean_text(v + "x", 500)),
            optional=True,
        ),
        "reply_to": field(
            st.sampled_from(["eva@example.se", "", None]),
            is_valid=lambda v: v in ("", None) or (_clean_text(v, 320) and _is_email(v.strip())),
            optional=True,
        ),
        "office": field(
            st.sampled_from(["K1", None]), is_valid=lambda v: v in ("K1", None), optional=True
        ),  # fmt: skip
        "received_at": field(
            st.datetimes(datetime(2001, 1, 1), datetime(2025, 12, 31)).map(datetime.isoformat),
            st.text(max_size=25) | st.integers(),
            is_valid=lambda v: v is None,
            optional=True,
        ),
    }
)


@PROPERTIES
@given(fields=INBOX_FIELDS)
def test_property_inbox_messages(app, world, fields):
    body, valid = body_of(fields)
    response = _api_call(app, world, "POST", "/inbox", "anna", json=body)
    assert response.status_code in (201, 400, 422), response.text
    if not valid:
        assert response.status_code != 201, body
        return
    assert response.status_code == 201, (body, response.get_json())
    stored = _api_call(app, world, "GET", response.headers["Location"][7:], "anna").get_json()
    assert (stored["channel"], stored["office"]) == (body["channel"], "K1")
    for name in ("body", "sender", "subject"):
        assert stored[name] == mask_personnummer((body.get(name) or "").strip()), name


REFERRAL_ACTIONS = {
    "answer": st.fixed_dictionaries(
        {
            "answer": field(
                st.text(min_size=1, max_size=200).filter(lambda v: _clean_text(v, 5000)),
                is_valid=lambda v: _clean_text(v, 5000),
            ),
            "callback": field(st.booleans(), is_valid=lambda v: type(v) is bool),
            # These referrals carry no address: true is refused, as is anything not a flag.
            "send_email": field(
                st.sampled_from([False, None]),
                is_valid=lambda v: v is False or v is None,
                optional=True,
            ),  # fmt: skip
        }
    ),
    "park": st.fixed_dictionaries(
        {
            "until": field(
                st.integers(1, 365).map(lambda d: (local_today() + timedelta(days=d)).isoformat()),
                st.integers(-400, 0).map(lambda d: (local_today() + timedelta(days=d)).isoformat())
                | ANY_JSON,
            ),
            "reason": field(
                st.text(min_size=1, max_size=100).filter(lambda v: _clean_text(v, 500)),
                is_valid=lambda v: _clean_text(v, 500),
            ),
        }
    ),
    "forward": st.fixed_dictionaries(
        {
            "queue": field(st.sampled_from(["SOC", "FK"]), is_valid=lambda v: v in ("SOC", "FK")),
            "reason": field(
                st.text(min_size=1, max_size=100).filter(lambda v: _clean_text(v, 500)),
                is_valid=lambda v: _clean_text(v, 500),
            ),
        }
    ),
}


@pytest.mark.parametrize("action", sorted(REFERRAL_ACTIONS))
def test_property_referral_actions(app, world, action):
    fresh = Fresh(app, world)

    @PROPERTIES
    @given(fields=REFERRAL_ACTIONS[action])
    def check(fields):
        body, valid = body_of(fields)
        referral_id = fresh.claimed()
        path = f"/referrals/{referral_id}/{action}"
        response = _api_call(app, world, "POST", path, "erik", json=body)
        assert response.status_code in (200, 400, 422), response.text
        stored = _api_call(app, world, "GET", f"/referrals/{referral_id}", "admin").get_json()
        if not valid:
            assert response.status_code != 200, body
            assert stored["status"] == "pagar"
            return
        assert response.status_code == 200, (body, response.get_json())
        if action == "answer":
            expected = "aterford" if body["callback"] else "avslutad"
            assert (stored["status"], stored["answer"]) == (expected, body["answer"].strip())
        elif action == "park":
            assert (stored["status"], stored["parked_until"]) == ("vantar", body["until"])
            assert stored["park_reason"] == body["reason"].strip()
        else:
            assert (stored["status"], stored["queue"]) == ("ny", body["queue"])

    check()


@PROPERTIES
@given(
    fields=st.fixed_dictionaries(
        {
            "max_level": field(
                st.integers(1, 8), is_valid=lambda v: type(v) is int and 1 <= v <= 8
            ),
            "reason": field(
                st.text(min_size=1, max_size=100).filter(lambda v: _clean_text(v, 500)),
                is_valid=lambda v: _clean_text(v, 500),
            ),
        }
    )
)
def test_property_mandates(app, world, fields):
    body, valid = body_of(fields)
    before = _mandate(app, world)
    response = _api_call(app, world, "PUT", "/mandates/K1/PARK", "karin", json=body)
    assert response.status_code in (200, 400, 422), response.text
    if not valid:
        assert response.status_code != 200, body
        assert _mandate(app, world) == before
        return
    assert response.status_code == 200, (body, response.get_json())
    assert response.get_json()["changed"] is (body["max_level"] != before)
    assert _mandate(app, world) == body["max_level"]


def _mandate(app, world) -> int:
    mandates = _api_call(app, world, "GET", "/mandates?office=K1", "anna").get_json()["mandates"]
    return next(m["max_level"] for m in mandates if m["case_type"] == "PARK")


def test_property_recommendation_decisions(app, world):
    fresh = Fresh(app, world)

    @PROPERTIES
    @given(
        fields=st.fixed_dictionaries(
            {
                "decision": field(
                    st.sampled_from(["approve", "reject"]),
                    is_valid=lambda v: v in ("approve", "reject"),
                ),
                "note": field(
                    st.text(min_size=1, max_size=100).filter(lambda v: _clean_text(v, 1000)),
                    is_valid=lambda v: _clean_text(v, 1000) and len(v.strip()) <= 1000,
                ),
            }
        )
    )
    def check(fields):
        body, valid = body_of(fields)
        # An open proposal K1:PARK:3:4 each time: the mandate back at 3, no decision kept.
        reset = {"max_level": 3, "reason": "Tillbaka till utgångsläget."}
        assert (
            _api_call(app, world, "PUT", "/mandates/K1/PARK", "admin", json=reset).status_code
            == 200
        )
        key = fresh.proposal()
        path = f"/rosa/recommendations/{key}/decision"
        response = _api_call(app, world, "POST", path, "karin", json=body)
        assert response.status_code in (201, 400, 422), response.text
        if not valid:
            assert response.status_code != 201, body
            assert _mandate(app, world) == 3
            return
        assert response.status_code == 201, (body, response.get_json())
        decided = response.get_json()
        assert (decided["decision"], decided["note"]) == (body["decision"], body["note"].strip())
        assert _mandate(app, world) == (4 if body["decision"] == "approve" else 3)

    check()


STATS_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "from": st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat)
        | st.text(max_size=12),
        "to": st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat)
        | st.text(max_size=12),
        "office": st.sampled_from(["K1", "K2", "K9"]) | st.text(max_size=5),
        "organisation": st.sampled_from(["TEK", "SOC", "X"]) | st.text(max_size=5),
        "case_type": st.sampled_from(["PARK", "EKB", "NEJ"]) | st.text(max_size=5),
        "channel": st.sampled_from(["besok", "telefon", "fax"]) | st.text(max_size=5),
    },
).map(lambda params: {k: v.replace("\x00", "") for k, v in params.items()})


@PROPERTIES
@given(params=STATS_PARAMS)
@example(params={"from": "2099-01-01"})  # after the default end: the message names `from`
@example(params={"to": "9998-01-01"})  # ten years past the default start: names `to`
def test_property_stats_filters(app, world, params):
    """Any filter values: 200 with the period asked for, or 422 naming a filter that was sent."""
    response = _api_call(app, world, "GET", "/stats/summary", "karin", query_string=params)
    assert response.status_code in (200, 422), response.text
    answer = response.get_json()
    if response.status_code == 422:
        assert answer["fields"] and set(answer["fields"]) <= set(params), (params, answer)
        return
    for name in ("from", "to"):
        if params.get(name):
            assert answer[name] == params[name]
    assert answer["contacts"] == sum(answer["by_channel"].values())
