"""Guidance as a small knowledge base: links and keywords in the catalogue, and
*Sök i vägledningen* at the counter (SQLite and PostgreSQL)."""

import copy
import json

import pytest
import sqlalchemy as sa

from frontdesk.catalog import import_catalog
from frontdesk.catalog.operations import CatalogError, export_catalog
from frontdesk.extensions import db
from tests.conftest import TEST_CATALOG

HTMX = {"HX-Request": "true"}
FK_LINK = {
    "title": "Försäkringskassan: Föräldrapenning",
    "url": "https://www.forsakringskassan.se/privatperson/foralder/foraldrapenning",
}


def _catalog() -> dict:
    data = copy.deepcopy(TEST_CATALOG)
    by_code = {ct["code"]: ct for ct in data["case_types"]}
    by_code["FKBARN"]["guidance_links"] = [FK_LINK]
    by_code["FKBARN"]["guidance_keywords"] = ["vab", "föräldraledighet"]
    by_code["FKBARN"]["guidance"] = "Hänvisa till Mina sidor. Vid vab: anmäl samma dag."
    by_code["PARK"]["guidance_keywords"] = ["p-tillstånd", "rullstol"]
    data["case_types"] += [
        {
            "code": "FARDT",
            "name": "Färdtjänst",
            "organisation": "SOC",
            "category": "Resor",
            "guidance": "Personer som använder rullstol kan få färdtjänst efter utredning.",
        },
        {
            "code": "OVRIGT",
            "name": "Övrigt om ÅTERBÄRING",
            "organisation": "SOC",
            "guidance": "Återbetalning av avgifter handläggs av socialförvaltningen.",
        },
        {
            "code": "GAMMAL",
            "name": "Gammal rullstolstjänst",
            "organisation": "SOC",
            "guidance": "Ersatt av FARDT.",
            "active": False,
        },
    ]
    return data


@pytest.fixture
def guided(app, world):
    with app.app_context():
        import_catalog(_catalog())
        db.session.commit()
    return world


def _search(client, q, headers=HTMX):
    return client.get("/disk/vagledning", query_string={"q": q}, headers=headers)


def _codes(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [part.split("<")[0] for part in html.split('<span class="code">')[1:]]


def test_code_name_and_keyword_hits_rank_before_guidance_text(client, auth, guided):
    auth.login()
    response = _search(client, "RULLSTOL")
    assert response.status_code == 200
    # PARK has it as a keyword; FARDT only in its guidance text; the inactive GAMMAL never.
    assert _codes(response) == ["PARK", "FARDT"]
    assert "<mark>rullstol</mark>" in response.get_data(as_text=True)
    assert _codes(_search(client, "park")) == ["PARK"]
    # Every word must match somewhere.
    assert _codes(_search(client, "vab mina sidor")) == ["FKBARN"]
    assert _codes(_search(client, "vab parkering")) == []


def test_swedish_letters_in_any_case(client, auth, guided):
    auth.login()
    assert _codes(_search(client, "återbäring")) == ["OVRIGT"]
    assert _codes(_search(client, "FÖRÄLDRALEDIGHET")) == ["FKBARN"]
    assert _codes(_search(client, "återbetalning")) == ["OVRIGT"]
    assert _codes(_search(client, "övrigt")) == ["OVRIGT"]


def test_inactive_case_types_are_not_found(client, auth, guided):
    auth.login()
    response = _search(client, "gammal")
    assert _codes(response) == []
    assert "Inga träffar" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Skriv ett eller flera ord"),
        ("   ", "Skriv ett eller flera ord"),
        ("x" * 101, "högst 100 tecken"),
        ("<script>alert(1)</script>" * 5, "högst 100 tecken"),
    ],
)
def test_bad_queries_get_a_message(client, auth, guided, query, message):
    auth.login()
    for headers in (HTMX, {}):
        response = _search(client, query, headers)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert message in body and "<script>alert" not in body


def test_without_javascript_a_full_page_and_a_guidance_page(client, auth, guided):
    auth.login()
    response = _search(client, "vab", headers={})
    body = response.get_data(as_text=True)
    assert "<html" in body and 'aria-live="polite"' in body and 'value="vab"' in body
    assert 'href="/disk/arendetyper/FKBARN"' in body
    card = client.get("/disk/arendetyper/FKBARN")
    assert "<html" in card.get_data(as_text=True)
    partial = client.get("/disk/arendetyper/FKBARN", headers=HTMX).get_data(as_text=True)
    assert "<html" not in partial and "Föräldrapenning och barnbidrag" in partial


def test_the_panel_shows_links_and_keywords(client, auth, guided):
    auth.login()
    body = client.get("/disk/arendetyper/FKBARN", headers=HTMX).get_data(as_text=True)
    assert f'href="{FK_LINK["url"]}" target="_blank" rel="noopener noreferrer"' in body
    assert FK_LINK["title"] in body and "extern webbplats" in body
    assert "vab, föräldraledighet" in body
    # The counter page itself carries the search field.
    page = client.get("/disk").get_data(as_text=True)
    assert 'role="search"' in page and "Sök i vägledningen" in page


def test_search_reads_no_table_while_the_catalogue_is_unchanged(app, client, auth, guided):
    auth.login()
    _search(client, "vab")  # fills the cache
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(_engine(app), "before_cursor_execute", note)
    try:
        assert _codes(_search(client, "vab")) == ["FKBARN"]
    finally:
        sa.event.remove(_engine(app), "before_cursor_execute", note)
    assert not [s for s in statements if "case_types" in s]


def _engine(app):
    with app.app_context():
        return db.engine


def test_a_changed_catalogue_is_searched_at_once(app, client, auth, guided):
    auth.login()
    assert _codes(_search(client, "tandläkare")) == []
    data = _catalog()
    data["case_types"][1]["guidance_keywords"] = ["tandläkare"]
    with app.app_context():
        import_catalog(data)
        db.session.commit()
    assert _codes(_search(client, "tandläkare")) == ["EKB"]


def test_at_most_twenty_hits(app, client, auth, guided):
    data = {
        "case_types": [
            {"code": f"T{i:02}", "name": f"Typ {i}", "organisation": "SOC", "guidance": "blankett"}
            for i in range(25)
        ]
    }
    with app.app_context():
        import_catalog(data)
        db.session.commit()
    auth.login()
    assert len(_codes(_search(client, "blankett"))) == 20


def test_export_round_trips_links_and_keywords(app, guided):
    with app.app_context():
        exported = export_catalog()
        fkbarn = next(ct for ct in exported["case_types"] if ct["code"] == "FKBARN")
        assert fkbarn["guidance_links"] == [FK_LINK]
        assert fkbarn["guidance_keywords"] == ["vab", "föräldraledighet"]
        ekb = next(ct for ct in exported["case_types"] if ct["code"] == "EKB")
        assert (ekb["guidance_links"], ekb["guidance_keywords"]) == ([], [])
        import_catalog(json.loads(json.dumps(exported)))
        db.session.commit()
        assert export_catalog() == exported


def test_re_import_without_the_fields_keeps_them(app, guided):
    with app.app_context():
        import_catalog(TEST_CATALOG)
        db.session.commit()
        fkbarn = next(ct for ct in export_catalog()["case_types"] if ct["code"] == "FKBARN")
        assert fkbarn["guidance_links"] == [FK_LINK]


def test_api_lists_links_and_keywords(api, guided):
    response = api.get("/case-types")
    fkbarn = next(ct for ct in response.get_json()["case_types"] if ct["code"] == "FKBARN")
    assert fkbarn["guidance_links"] == [FK_LINK]
    assert fkbarn["guidance_keywords"] == ["vab", "föräldraledighet"]


BAD = [
    ({"guidance_links": "https://x.se"}, "case_types[0].guidance_links: ska vara en lista"),
    (
        {"guidance_links": [{"title": "Hem", "url": "javascript:alert(1)"}]},
        "case_types[0].guidance_links[0].url: ska vara en fullständig webbadress",
    ),
    (
        {"guidance_links": [{"title": "Hem", "url": "ftp://example.se/a"}]},
        "case_types[0].guidance_links[0].url: ska vara en fullständig webbadress",
    ),
    (
        {"guidance_links": [{"title": "Hem", "url": "https://"}]},
        "case_types[0].guidance_links[0].url: ska vara en fullständig webbadress",
    ),
    (
        {"guidance_links": [{"url": "https://example.se"}]},
        "case_types[0].guidance_links[0].title: saknas",
    ),
    (
        {"guidance_links": [{"title": "x" * 201, "url": "https://example.se"}]},
        "case_types[0].guidance_links[0].title: högst 200 tecken",
    ),
    (
        {"guidance_links": [{"title": "Hem", "url": "https://example.se/" + "a" * 500}]},
        "case_types[0].guidance_links[0].url: högst 500 tecken",
    ),
    (
        {"guidance_links": [{"title": "Hem", "url": "https://example.se", "rel": "x"}]},
        "case_types[0].guidance_links[0].rel: okänt fält",
    ),
    (
        {"guidance_links": [{"title": f"L{i}", "url": "https://example.se"} for i in range(11)]},
        "case_types[0].guidance_links: högst 10 länkar",
    ),
    ({"guidance_keywords": "vab, sjuk"}, "case_types[0].guidance_keywords: ska vara en lista"),
    ({"guidance_keywords": ["vab", 3]}, "case_types[0].guidance_keywords[1]: ska vara en icke"),
    ({"guidance_keywords": ["x" * 51]}, "case_types[0].guidance_keywords[0]: högst 50 tecken"),
    ({"guidance_keywords": ["Vab", "vab"]}, "case_types[0].guidance_keywords[1]: sökordet"),
    (
        {"guidance_keywords": [f"ord{i}" for i in range(31)]},
        "case_types[0].guidance_keywords: högst 30 sökord",
    ),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_bad_links_and_keywords_are_refused_and_nothing_is_written(app, guided, fields, message):
    data = _catalog()
    data["case_types"][0].update(fields)
    data["case_types"][1]["guidance_keywords"] = ["skulle", "inte", "skrivas"]
    with app.app_context():
        with pytest.raises(CatalogError) as refused:
            import_catalog(data)
        db.session.rollback()
        assert any(error.startswith(message) for error in refused.value.errors), (
            refused.value.errors
        )
        ekb = next(ct for ct in export_catalog()["case_types"] if ct["code"] == "EKB")
        assert ekb["guidance_keywords"] == []


def test_import_catalog_command_reports_the_place(runner, tmp_path, guided):
    data = _catalog()
    data["case_types"][3]["guidance_links"] = [{"title": "Hem", "url": "www.example.se"}]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-catalog", str(path)])
    assert result.exit_code != 0
    assert "case_types[3].guidance_links[0].url" in result.output
