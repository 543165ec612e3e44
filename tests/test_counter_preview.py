"""The counter's routing preview, asked from the server (GET /disk/forhandsvisning).

The page shows what logging a contact would do before it is sent; the rule that decides
it (rosa.route with the office's mandate) lives on the server only, so the preview and
the decision cannot disagree except when a mandate changes in between.
Every test runs on SQLite and PostgreSQL.
"""

import re

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office
from tests.helpers import one

HTMX = {"HX-Request": "true"}
URL = "/disk/forhandsvisning"
QUESTION = "Gäller tillståndet även för min dotters bil?"


@pytest.fixture
def guide(world, auth):
    auth.login("anna")  # vägledare at K1, where PARK's mandate is 3 (the test catalogue)
    return world


def ask(client, **params):
    return client.get(URL, query_string=params, headers=HTMX)


def said(response) -> dict:
    """The preview's outcome, referred levels and words, as counter.js reads them."""
    node = re.search(r'<span class="preview[^"]*"([^>]*)>(.*)</span>', response.text, re.S)
    assert node, response.text
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', node.group(1)))
    text = re.sub(r"<[^>]+>", "", node.group(2))
    return {**attributes, "text": " ".join(text.split())}


def _set_mandate(app, office_code, case_type_code, level):
    from frontdesk.mandates.operations import set_mandate

    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == case_type_code))
        set_mandate(office, case_type, level, "Nytt avtal", None)
        db.session.commit()


# --- Each outcome -----------------------------------------------------------------------


def test_at_the_mandate_the_desk_answers(client, guide):
    response = ask(client, case_type="PARK", rosa_level="3")
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text  # a fragment
    preview = said(response)
    assert preview["outcome"] == "informerat" and preview["tone"] == "answer"
    assert preview["mandate"] == "3"
    assert preview["text"] == "Nivå 3 ryms i mandatet (3): besvaras i disken."
    # The level cards mark what the server would refer, no rule needed on the page.
    assert preview["referred-levels"] == "4 5 6 7 8"


def test_above_the_mandate_it_is_a_referral_to_the_queue(client, guide):
    preview = said(ask(client, case_type="PARK", rosa_level="4"))
    assert preview["outcome"] == "eskalerat" and preview["tone"] == "refer"
    assert preview["text"] == (
        "Nivå 4 är över mandatet (3): remiss till Gata och park. Skriv frågan till handläggaren."
    )


def test_put_through_is_no_referral_whatever_the_level(client, guide):
    preview = said(ask(client, case_type="PARK", rosa_level="7", outcome="kopplat"))
    assert preview["outcome"] == "kopplat" and preview["tone"] == ""
    assert preview["text"] == "Kopplas vidare till Tekniska förvaltningen – ingen remiss."


def test_a_case_type_without_a_level_marks_the_levels_but_says_nothing_yet(client, guide):
    preview = said(ask(client, case_type="EKB"))  # no agreed mandate: the default, 2
    assert preview["outcome"] == "" and preview["text"] == ""
    assert preview["mandate"] == "2" and preview["referred-levels"] == "3 4 5 6 7 8"


def test_a_referral_to_an_owner_without_a_queue_says_so_before_sending(app, client, guide):
    from frontdesk.models import Organisation

    with app.app_context():
        culture = Organisation(code="KUL", name="Kulturförvaltningen", kind="kommun")
        db.session.add(culture)
        db.session.add(CaseType(code="BIBL", name="Bibliotekskort", organisation=culture))
        db.session.commit()
    preview = said(ask(client, case_type="BIBL", rosa_level="3"))
    assert preview["outcome"] == "eskalerat"
    assert preview["text"] == (
        "Nivå 3 är över mandatet (2): Kulturförvaltningen har ingen kö att skicka remissen till."
    )
    refused = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "BIBL", "rosa_level": "3", "question": QUESTION},
        headers=HTMX,
    )
    assert refused.status_code == 422
    assert "Kulturförvaltningen har ingen kö att skicka remissen till." in refused.text


@pytest.mark.parametrize("put_through", [False, True])
def test_the_preview_is_what_logging_the_contact_decides(app, client, guide, put_through):
    """Every level, put through or not: the preview and the logged outcome agree."""
    for level in range(1, 9):
        extra = {"outcome": "kopplat"} if put_through else {}
        preview = said(ask(client, case_type="PARK", rosa_level=str(level), **extra))
        logged = client.post(
            "/disk/kontakter",
            data={
                "channel": "telefon",
                "case_type": "PARK",
                "rosa_level": str(level),
                "question": QUESTION,
                "previewed_outcome": preview["outcome"],
                **extra,
            },
            headers=HTMX,
        )
        assert logged.status_code == 200, logged.text
        assert "Mandatet har ändrats" not in logged.text
        with app.app_context():
            outcome = db.session.scalars(
                sa.select(Contact.outcome).order_by(Contact.id.desc())
            ).first()
        assert outcome == preview["outcome"], (level, put_through)


# --- A mandate changed while the page is open -------------------------------------------


def test_a_mandate_changed_after_the_page_loaded_changes_the_next_preview(app, client, guide):
    assert client.get("/disk").status_code == 200
    before = said(ask(client, case_type="PARK", rosa_level="4"))
    assert before["outcome"] == "eskalerat"
    _set_mandate(app, "K1", "PARK", 4)
    after = said(ask(client, case_type="PARK", rosa_level="4"))
    assert after["outcome"] == "informerat"
    assert after["text"] == "Nivå 4 ryms i mandatet (4): besvaras i disken."
    assert after["referred-levels"] == "5 6 7 8"
    # Sent with what the page now says: answered at the desk, and nothing to explain.
    logged = client.post(
        "/disk/kontakter",
        data={
            "channel": "besok",
            "case_type": "PARK",
            "rosa_level": "4",
            "previewed_outcome": after["outcome"],
        },
        headers=HTMX,
    )
    assert "Besvarat i disken" in logged.text and "Mandatet har ändrats" not in logged.text


# --- Bad input: a clear Swedish message, never a 500 ----------------------------------


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "Välj ärendetyp."),
        ({"case_type": "   ", "rosa_level": "2"}, 400, "Välj ärendetyp."),
        ({"case_type": "NOPE"}, 422, "Okänd ärendetyp. Sök på namn eller kod och välj i listan."),
        ({"case_type": "P" * 5000}, 422, "Okänd ärendetyp."),
        ({"case_type": "PARK", "rosa_level": "9"}, 422, "ROSA-nivån ska vara 1–8."),
        ({"case_type": "PARK", "rosa_level": "0"}, 422, "ROSA-nivån ska vara 1–8."),
        ({"case_type": "PARK", "rosa_level": "två"}, 422, "ROSA-nivån ska vara 1–8."),
        ({"case_type": "PARK", "rosa_level": "3.5"}, 422, "ROSA-nivån ska vara 1–8."),
        ({"case_type": "PARK", "rosa_level": "٣"}, 422, "ROSA-nivån ska vara 1–8."),
        (
            {"case_type": "PARK", "rosa_level": "2", "outcome": "eskalerat"},
            422,
            "Utfallet kan bara anges som kopplat.",
        ),
        ({"case_type": "PARK", "rosa_level": "2", "office": "K9"}, 422, "Okänt kontor."),
        ({"case_type": "PARK", "office": "K" * 5000}, 422, "Okänt kontor."),
        (
            {"case_type": "<script>alert(1)</script>"},
            422,
            "Okänd ärendetyp. Sök på namn eller kod och välj i listan.",
        ),
    ],
)
def test_bad_input_gets_a_message_in_the_preview(client, guide, params, status, message):
    response = ask(client, **params)
    assert response.status_code == status
    preview = said(response)
    assert preview["outcome"] == "" and message in preview["text"]
    assert "<script>" not in response.text


def test_a_retired_case_type_is_not_previewed(app, client, guide):
    with app.app_context():
        db.session.execute(sa.update(CaseType).where(CaseType.code == "PARK").values(active=False))
        db.session.commit()
    response = ask(client, case_type="PARK", rosa_level="2")
    assert response.status_code == 422 and "Okänd ärendetyp" in response.text


# --- Whose office ---------------------------------------------------------------------


def test_each_guide_previews_with_the_own_offices_mandate(client, world, auth):
    auth.login("johan")  # K2: no agreed mandate for PARK, so the default 2
    preview = said(ask(client, case_type="PARK", rosa_level="3"))
    assert preview["outcome"] == "eskalerat" and preview["mandate"] == "2"


def test_a_guide_may_not_preview_for_another_office(client, guide):
    refused = ask(client, case_type="PARK", rosa_level="3", office="K2")
    assert refused.status_code == 403
    assert said(refused)["text"] == "Du registrerar bara kontakter för ditt eget kontor."
    # The own office, named as the inbox's form names it, is fine.
    assert said(ask(client, case_type="PARK", rosa_level="3", office="K1"))["mandate"] == "3"


def test_a_manager_previews_the_office_named_without_changing_the_counters_office(
    client, world, auth
):
    auth.login("admin")
    assert "Medborgarkontoret Centrum" in client.get("/disk?office=K1").text
    k2 = said(ask(client, case_type="PARK", rosa_level="3", office="K2"))
    assert k2["outcome"] == "eskalerat" and k2["mandate"] == "2"
    # Without an office: the counter page's office, still K1.
    k1 = said(ask(client, case_type="PARK", rosa_level="3"))
    assert k1["outcome"] == "informerat" and k1["mandate"] == "3"


def test_a_handler_gets_no_preview(client, world, auth):
    auth.login("erik")
    assert ask(client, case_type="PARK", rosa_level="3").status_code == 403


# --- Cheap, and rendered without JavaScript -------------------------------------------


def test_the_preview_costs_a_few_small_reads(app, client, guide):
    ask(client, case_type="PARK", rosa_level="3")  # the session's first request is done
    statements = []

    def counting(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counting)
        try:
            response = ask(client, case_type="PARK", rosa_level="4")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counting)
    assert said(response)["outcome"] == "eskalerat"
    # The user, the case type with its queue and owner, the mandate: nothing per level.
    assert len(statements) <= 4, statements
    assert not any("contacts" in s for s in statements)


def _preview_box(html: str) -> str:
    start = html.index('id="route-preview"')
    return html[start : html.index("</div>", start)]


def test_a_form_sent_back_with_an_error_keeps_its_preview(client, guide):
    # No channel: the form comes back, and says what the contact would become.
    data = {"case_type": "PARK", "rosa_level": "4", "question": QUESTION}
    partial = client.post("/disk/kontakter", data=data, headers=HTMX)
    assert partial.status_code == 422
    box = _preview_box(partial.text)
    assert 'class="route-preview refer"' in partial.text
    assert "remiss till Gata och park" in box and 'data-outcome="eskalerat"' in box
    # Without JavaScript: the whole page, with the same preview.
    page = client.post("/disk/kontakter", data=data)
    assert page.status_code == 422
    assert "remiss till Gata och park" in _preview_box(page.text)
    # The page as first served has no choice and so no preview.
    assert "Nivå" not in _preview_box(client.get("/disk").text)


def test_the_correction_page_previews_the_contacts_level(app, client, guide):
    client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "2"},
        headers=HTMX,
    )
    contact = one(app, Contact)
    page = client.get(f"/disk/kontakter/{contact.id}/andra").text
    assert "Nivå 2 ryms i mandatet (3): besvaras i disken." in _preview_box(page)
