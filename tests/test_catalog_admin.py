"""The catalogue in the app: an admin creates and changes organisations, queues, offices
and case types through the catalogue import's own validation and audit."""

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, CaseType, Office, Organisation, Queue
from tests.helpers import count, one


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin")
    return client


def test_the_lists_show_the_catalogue(admin):
    page = admin.get("/admin/katalog/arendetyper")
    assert page.status_code == 200 and "PARK" in page.text
    for name, code in [("organisationer", "TEK"), ("koer", "TEK-GATA"), ("kontor", "K1")]:
        assert code in admin.get(f"/admin/katalog/{name}").text


def test_an_admin_changes_a_case_types_guidance_sla_and_queue(app, admin):
    form = admin.get("/admin/katalog/arendetyper/PARK").text
    assert 'value="PARK" readonly' in form
    response = admin.post(
        "/admin/katalog/arendetyper/PARK",
        data={
            "name": "Boendeparkering",
            "organisation": "TEK",
            "queue": "TEK-GATA",
            "category": "Trafik",
            "sla_hours": "48",
            "active": "on",
            "guidance": "Ansök i e-tjänsten; avgiften är 300 kr per månad.",
        },
    )
    assert response.status_code == 303
    park = one(app, CaseType, CaseType.code == "PARK")
    assert (park.name, park.sla_hours, park.category) == ("Boendeparkering", 48, "Trafik")
    assert park.guidance.startswith("Ansök i e-tjänsten")
    event = one(
        app, AuditEvent, AuditEvent.action == "catalog.imported", AuditEvent.user_id.is_not(None)
    )
    assert event.data["updated"] == 1
    assert event.data["case_types"] == ["PARK"]  # the log says which


def test_a_case_type_is_deactivated_not_deleted(app, admin):
    current = admin.get("/admin/katalog/arendetyper/PARK")
    assert current.status_code == 200
    admin.post(
        "/admin/katalog/arendetyper/PARK",
        data={"name": "Parkering", "organisation": "TEK", "sla_hours": "72"},
    )
    assert one(app, CaseType, CaseType.code == "PARK").active is False


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"code": "ny typ", "name": "X", "organisation": "TEK", "sla_hours": "8"},
            "code",
            "versaler",
        ),
        ({"code": "NY", "name": "", "organisation": "TEK", "sla_hours": "8"}, "name", "icke-tom"),
        (
            {"code": "NY", "name": "X", "organisation": "NEJ", "sla_hours": "8"},
            "organisation",
            "okänd",
        ),
        (
            {"code": "NY", "name": "X", "organisation": "TEK", "sla_hours": "-3"},
            "sla_hours",
            "heltal",
        ),
        (
            {"code": "NY", "name": "X", "organisation": "TEK", "sla_hours": "9" * 30},
            "sla_hours",
            "heltal",
        ),
        (
            {"code": "PARK", "name": "Dubblett", "organisation": "TEK", "sla_hours": "8"},
            "code",
            "finns redan",
        ),
    ],
)
def test_a_new_case_type_with_an_error_is_refused_naming_the_field(
    app, admin, data, field, message
):
    before = count(app, CaseType)
    response = admin.post("/admin/katalog/arendetyper/ny", data=data)
    assert response.status_code == 422
    assert f'id="c-{field}-error"' in response.text
    assert message in response.text.split(f'id="c-{field}-error">')[1].split("<")[0].lower()
    assert count(app, CaseType) == before


def test_offices_get_opening_hours_and_organisations_a_queue(app, admin):
    assert (
        admin.post(
            "/admin/katalog/kontor/ny",
            data={"code": "K9", "name": "Kontor Norr", "opens": "09:30", "closes": "16:00"},
        ).status_code
        == 303
    )
    office = one(app, Office, Office.code == "K9")
    assert office.opens.strftime("%H:%M") == "09:30"
    bad = admin.post(
        "/admin/katalog/kontor/K9",
        data={"name": "Kontor Norr", "opens": "17:00", "closes": "09:00"},
    )
    assert bad.status_code == 422
    assert (
        admin.post(
            "/admin/katalog/organisationer/ny",
            data={"code": "LSS", "name": "LSS-enheten", "kind": "kommun"},
        ).status_code
        == 303
    )
    assert one(app, Organisation, Organisation.code == "LSS").name == "LSS-enheten"
    lss = one(app, Organisation, Organisation.code == "LSS")
    assert one(app, Queue, Queue.code == "LSS").organisation_id == lss.id  # its own queue


def test_unknown_sections_and_codes_are_404(admin):
    assert admin.get("/admin/katalog/nej").status_code == 404
    assert admin.get("/admin/katalog/arendetyper/FINNS-INTE").status_code == 404


def test_only_the_admin_edits_the_catalogue(client, auth, world):
    auth.login("karin")
    assert client.get("/admin/katalog/arendetyper").status_code == 403
    assert client.post("/admin/katalog/arendetyper/PARK", data={"name": "x"}).status_code == 403


def test_guidance_links_and_keywords_from_the_form(app, admin):
    data = {
        "name": "Parkeringstillstånd",
        "organisation": "TEK",
        "queue": "TEK-GATA",
        "sla_hours": "72",
        "active": "on",
        "guidance": "Ansök i e-tjänsten.",
        "guidance_links": "E-tjänsten | https://kommun.se/parkering\nAvgifter | https://kommun.se/avgifter",
        "guidance_keywords": "boende, p-tillstånd , ",
    }
    assert admin.post("/admin/katalog/arendetyper/PARK", data=data).status_code == 303
    assert _guidance(app) == (
        [{"title": "E-tjänsten", "url": "https://kommun.se/parkering"},
         {"title": "Avgifter", "url": "https://kommun.se/avgifter"}],
        ["boende", "p-tillstånd"],
    )  # fmt: skip
    form = admin.get("/admin/katalog/arendetyper/PARK").text
    assert "E-tjänsten | https://kommun.se/parkering" in form and "boende, p-tillstånd" in form
    bad = admin.post(
        "/admin/katalog/arendetyper/PARK",
        data={**data, "guidance_links": "Fel | javascript:alert(1)"},
    )
    assert bad.status_code == 422
    assert 'id="c-guidance_links-error"' in bad.text
    assert _guidance(app)[0][0]["title"] == "E-tjänsten"  # nothing changed


def _guidance(app):
    with app.app_context():
        park = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        return park.guidance_links, park.guidance_keywords
