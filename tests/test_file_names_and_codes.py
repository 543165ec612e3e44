"""File names in downloads cannot break the header, and catalogue codes are plain."""

import json

import pytest
import sqlalchemy as sa
from flask import Response
from werkzeug.http import parse_options_header

from frontdesk.extensions import db
from frontdesk.models import CaseType
from frontdesk.web import as_download
from tests.conftest import TEST_CATALOG
from tests.helpers import count


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PARK-v1.bpmn", "PARK-v1.bpmn"),
        ('a"b;c.csv', 'a"b;c.csv'),
        ("rad\r\nX-Injected: 1.csv", "radX-Injected: 1.csv"),
        ("back\\slash.csv", "back\\slash.csv"),
        ("kontakter-Årsta.csv", "kontakter-Årsta.csv"),
        ("\r\n", "fil"),
    ],
)
def test_a_download_name_is_quoted_and_survives_a_parser(app, name, expected):
    with app.test_request_context():
        header = as_download(Response(""), name).headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    # Werkzeug's parser, as a browser (RFC 6266), reads filename* when it is there.
    assert options["filename"] == expected
    assert header.isascii()  # the non-ASCII name travels percent-encoded


def test_a_case_type_code_from_before_the_rule_still_downloads(app, world, client, auth, api):
    """A code written by hand into the database: the header holds, no 500."""
    with app.app_context():
        db.session.execute(
            sa.update(CaseType).where(CaseType.code == "PARK").values(code='PA"RK;x')
        )
        db.session.commit()
    steps = [{"id": "a", "name": "Ta emot", "level": 1}]
    stored = api.put('/process-maps/PA"RK;x', json={"steps": steps, "flows": []}, as_user="karin")
    assert stored.status_code in (200, 201), stored.get_data(as_text=True)
    auth.login("karin")
    download = client.get("/processer/PA%22RK%3Bx/bpmn")
    assert download.status_code == 200
    _, options = parse_options_header(download.headers["Content-Disposition"])
    assert options["filename"] == 'PA"RK;x-v1.bpmn'


@pytest.mark.parametrize("code", ["park", "PA RK", 'PA"RK', "PA;RK", "BYGGLOV\r\n", "ÅTER"])
def test_catalogue_codes_are_capitals_digits_dash_and_underscore(app, runner, tmp_path, code):
    catalog = json.loads(json.dumps(TEST_CATALOG))
    catalog["case_types"][0]["code"] = code
    catalog["mandates"] = [m for m in catalog["mandates"] if m["case_type"] != "PARK"]
    path = tmp_path / "katalog.json"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    result = runner.invoke(args=["import-catalog", str(path)])
    assert result.exit_code != 0
    assert "case_types[0].code: får bara innehålla A–Z (versaler), 0–9, _ och -" in result.output
    assert count(app, CaseType) == 0
