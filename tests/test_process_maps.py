"""Process maps through the app: API and pages, versions, BPMN both ways, discovery uploads."""

import io
from pathlib import Path

import pytest

from frontdesk.models import AuditEvent, ProcessMap
from rosa.bpmn import read_bpmn
from rosa.discovery import MAX_FLOWS
from rosa.processmap import from_dict, to_dict
from tests.helpers import count

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MAP = {
    "steps": [
        {"id": "ta-emot", "name": "Ta emot ansökan", "level": 1, "actor": "front", "minutes": 3},
        {"id": "kontroll", "name": "Kontrollera", "level": 3, "actor": "back", "minutes": 10},
        {"id": "beslut", "name": "Beslut", "level": 4, "actor": "back", "minutes": 15},
    ],
    "flows": [
        {"from": "ta-emot", "to": "kontroll", "share": 1.0},
        {"from": "kontroll", "to": "beslut", "share": 0.9},
    ],
}


def test_put_json_stores_versions_and_get_returns_them(app, world, api):
    response = api.put("/process-maps/PARK", json=MAP, as_user="karin")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["version"] == 1 and body["source"] == "json"
    assert [s["id"] for s in body["steps"]] == ["ta-emot", "kontroll", "beslut"]
    assert body["flows"][1] == {
        "from": "kontroll",
        "to": "beslut",
        "share": 0.9,
        "count": None,
        "name": "",
    }
    changed = {**MAP, "steps": [{**MAP["steps"][0], "level": 2}, *MAP["steps"][1:]]}
    assert api.put("/process-maps/PARK", json=changed, as_user="karin").json["version"] == 2
    # A new version never overwrites the old one.
    assert api.get("/process-maps/PARK?version=1", as_user="karin").json["steps"][0]["level"] == 1
    assert api.get("/process-maps/PARK", as_user="admin").json["steps"][0]["level"] == 2
    assert count(app, ProcessMap) == 2
    assert count(app, AuditEvent, AuditEvent.action == "process_map.stored") == 2


def test_get_as_bpmn_imports_back_to_the_same_graph(app, world, api):
    api.put("/process-maps/PARK", json=MAP, as_user="karin")
    response = api.get("/process-maps/PARK", headers={"Accept": "application/xml"}, as_user="karin")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b"Fr\xc3\xa4mre ledet" in response.data and b"Bakre ledet" in response.data
    again = read_bpmn(response.data)
    assert to_dict(again)["steps"] == to_dict(from_dict(MAP))["steps"]
    # And back in through the API: the same map as version 2.
    put = api.put(
        "/process-maps/PARK",
        data=response.data,
        headers={"Content-Type": "application/xml"},
        as_user="karin",
    )
    assert put.status_code == 201 and put.json["source"] == "bpmn"
    assert (
        put.json["steps"] == api.get("/process-maps/PARK?version=1", as_user="karin").json["steps"]
    )


def test_put_bpmn_from_another_tool(app, world, api):
    data = (DATA / "bpmn-miwg" / "reference" / "A.2.0.bpmn").read_bytes()
    response = api.put(
        "/process-maps/EKB", data=data, headers={"Content-Type": "application/xml"}, as_user="admin"
    )
    assert response.status_code == 201
    names = {s["name"] for s in response.json["steps"] if s["kind"] == "task"}
    assert names == {s["name"] for s in to_dict(read_bpmn(data))["steps"] if s["kind"] == "task"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b"<not-bpmn/>", "application/xml", 422, "fil"),
        (b"\x00\xff garbage", "application/xml", 422, None),
        (b'{"steps": []}', "application/json", 422, "steps"),
        (b'{"steps": [{"id": "a", "level": 12}]}', "application/json", 422, "steps[0].level"),
        (b"[1, 2]", "application/json", 422, "body"),
        (b"steps", "text/plain", 415, None),
    ],
)
def test_bad_maps_are_refused_with_the_place(app, world, api, body, content_type, status, field):
    response = api.put(
        "/process-maps/PARK", data=body, headers={"Content-Type": content_type}, as_user="karin"
    )
    assert response.status_code == status
    if field:
        assert field in response.json["fields"]
    assert count(app, ProcessMap) == 0


def test_process_map_api_access(app, world, api):
    assert api.put("/process-maps/PARK", json=MAP, as_user="anna").status_code == 403
    assert api.put("/process-maps/NOPE", json=MAP, as_user="karin").status_code == 404
    assert api.get("/process-maps/PARK", as_user="anna").status_code == 403
    assert api.get("/process-maps/PARK", as_user="karin").status_code == 404  # no map yet
    for version in ("x", "²", "0", "99999999999999999999"):
        response = api.get(f"/process-maps/PARK?version={version}", as_user="karin")
        assert response.status_code == 422, version


def test_discover_returns_the_directly_follows_graph(app, world, api):
    log = (DATA / "eventlogs" / "running-example.csv").read_bytes()
    response = api.post(
        "/rosa/discover", data=log, headers={"Content-Type": "text/csv"}, as_user="karin"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["cases"], body["events"], body["activities"]) == (6, 42, 8)
    steps = {s["id"]: s for s in body["steps"]}
    assert steps["register request"]["count"] == 6 and steps["decide"]["count"] == 9
    flows = {(f["from"], f["to"]): f["count"] for f in body["flows"]}
    assert flows[("decide", "reinitiate request")] == 3
    xes = (DATA / "eventlogs" / "running-example.xes").read_bytes()
    as_file = api.post(
        "/rosa/discover",
        data={"file": (io.BytesIO(xes), "running-example.xes")},
        content_type="multipart/form-data",
        as_user="admin",
    )
    assert as_file.status_code == 200 and as_file.json["flows"] == body["flows"]
    bad = api.post(
        "/rosa/discover", data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}, as_user="karin"
    )
    assert bad.status_code == 422 and bad.json["fields"]
    assert api.post("/rosa/discover", data=log, as_user="anna").status_code == 403


def _version(client, code="PARK"):
    return count(client.application, ProcessMap)


def test_manager_builds_and_edits_a_map_in_the_browser_forms(app, world, client, auth):
    auth.login("karin")
    page = client.get("/processer/PARK")
    assert page.status_code == 200 and "ingen karta ännu" in page.get_data(as_text=True)
    add = {"version": "0", "name": "Ta emot", "level": "1", "actor": "front", "minutes": "3"}
    client.post("/processer/PARK/steg", data=add)
    client.post(
        "/processer/PARK/steg",
        data={"version": "1", "name": "Bedöma", "level": "6", "actor": "back", "minutes": "30"},
    )
    client.post(
        "/processer/PARK/steg",
        data={"version": "2", "name": "Registrera", "level": "3", "actor": "back"},
    )
    assert count(app, ProcessMap) == 3
    html = client.get("/processer/PARK").get_data(as_text=True)
    assert "<svg" in html and "Version 3" in html
    assert "Registrera" in html and "överlämningar" in html.lower()
    # Under mandate 3, "Registrera" comes after the level-6 step: the page says so.
    assert "kommer efter" in client.get("/processer/PARK?mandat=3").get_data(as_text=True)
    # Steps are listed in flow order, each row of the one form named rows-N-....
    page = client.get("/processer/PARK").get_data(as_text=True)
    assert (
        page.index('value="steg-1"') < page.index('value="steg-2"') < page.index('value="steg-3"')
    )
    table = {
        "version": "3",
        **{f"rows-{i}-step": f"steg-{i + 1}" for i in range(3)},
        "rows-0-name": "Ta emot", "rows-0-level": "1", "rows-0-actor": "front", "rows-0-minutes": "3",
        "rows-1-name": "Bedöma", "rows-1-level": "6", "rows-1-actor": "back", "rows-1-minutes": "30",
        "rows-2-name": "Registrera", "rows-2-level": "3", "rows-2-actor": "back",
    }  # fmt: skip
    # Move "Registrera" before the assessment and rename and relevel the first step: one save.
    client.post(
        "/processer/PARK/steg/spara",
        data={**table, "rows-0-name": "Ta emot ansökan", "rows-0-level": "2",
              "action": "earlier:steg-3"},
    )  # fmt: skip
    assert count(app, ProcessMap) == 4
    html = client.get("/processer/PARK?mandat=3").get_data(as_text=True)
    assert "Flytten hjälper" in html and "Ta emot ansökan" in html
    assert html.index('value="steg-3"') < html.index('value="steg-2"')  # the new flow order
    # Saving what is there stores nothing.
    same = {**table, "version": "4", "rows-0-name": "Ta emot ansökan", "rows-0-level": "2",
            "rows-1-step": "steg-3", "rows-1-name": "Registrera", "rows-1-level": "3",
            "rows-1-minutes": "", "rows-2-step": "steg-2", "rows-2-name": "Bedöma",
            "rows-2-level": "6", "rows-2-minutes": "30"}  # fmt: skip
    unchanged = client.post("/processer/PARK/steg/spara", data=same, follow_redirects=True)
    assert "Inga ändringar att spara" in unchanged.get_data(as_text=True)
    assert count(app, ProcessMap) == 4
    # A bad value in one row: nothing is stored, the error sits at that row's field, and
    # the other rows keep what was typed.
    bad = client.post(
        "/processer/PARK/steg/spara",
        data={**same, "rows-0-name": "Nytt namn", "rows-2-level": "9"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and count(app, ProcessMap) == 4
    assert 'id="rows-2-level-error"' in text and "Nivån ska vara 1–8" in text
    assert 'value="Nytt namn"' in text
    # An edit based on an old version is refused and stores nothing.
    stale = client.post(
        "/processer/PARK/steg/spara",
        data={**same, "version": "2", "action": "remove:steg-2"},
        follow_redirects=True,
    )
    assert "har ändrats av någon annan" in stale.get_data(as_text=True)
    assert count(app, ProcessMap) == 4
    removed = client.post(
        "/processer/PARK/steg/spara",
        data={**same, "action": "remove:steg-2"},
        follow_redirects=True,
    )
    assert "ny version" in removed.get_data(as_text=True) and count(app, ProcessMap) == 5
    # Old versions stay readable; the BPMN download is a file.
    assert "äldre version" in client.get("/processer/PARK?version=1").get_data(as_text=True)
    download = client.get("/processer/PARK/bpmn")
    assert download.mimetype == "application/xml"
    assert "attachment" in download.headers["Content-Disposition"]
    assert read_bpmn(download.data).number_of_nodes() == 2


def test_bpmn_upload_and_lane_mapping(app, world, client, auth):
    auth.login("karin")
    data = (DATA / "bpmn-miwg" / "reference" / "B.2.0.bpmn").read_bytes()
    graph = read_bpmn(data)
    lanes = sorted({a["lane"] for _, a in graph.nodes(data=True) if a.get("lane")})
    assert lanes, "B.2.0 has lanes"
    response = client.post(
        "/processer/EKB/bpmn",
        data={"file": (io.BytesIO(data), "B.2.0.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "version 1" in html and "Banor från BPMN-filen" in html
    mapping = {"version": "1", "lane": lanes, "actor": ["front"] + ["back"] * (len(lanes) - 1)}
    client.post("/processer/EKB/banor", data=mapping)
    stored = client.get("/api/v1/process-maps/EKB")  # no token: pages' session is not the API
    assert stored.status_code == 401
    with app.app_context():
        import sqlalchemy as sa

        from frontdesk.extensions import db
        from frontdesk.models import CaseType
        from frontdesk.processes.queries import graph_of, latest_map

        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == "EKB"))
        graph = graph_of(latest_map(case_type))
    actors = {a["lane"]: a["actor"] for _, a in graph.nodes(data=True) if a.get("lane")}
    assert actors[lanes[0]] == "front" and all(actors[lane] == "back" for lane in lanes[1:])
    broken = client.post(
        "/processer/EKB/bpmn",
        data={"file": (io.BytesIO(b"<definitions/>"), "x.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "BPMN-filen kunde inte läsas" in broken.get_data(as_text=True)
    assert count(app, ProcessMap) == 2


def test_discovery_upload_stores_a_map_to_annotate(app, world, client, auth):
    auth.login("admin")
    log = (DATA / "eventlogs" / "running-example.xes").read_bytes()
    response = client.post(
        "/processer/upptack",
        data={"case_type": "FKBARN", "file": (io.BytesIO(log), "running-example.xes")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "version 1" in html and "register request" in html
    assert "6 ärenden, 42 händelser" in html
    nothing = client.post(
        "/processer/upptack",
        data={"case_type": "NOPE", "file": (io.BytesIO(log), "x.xes")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Okänd ärendetyp" in nothing.get_data(as_text=True)
    assert count(app, ProcessMap) == 1


def _tangled_log() -> bytes:
    """90 activities, each following every other: 8,010 pairs, 90 starts, 90 ends."""
    names = [f"steg {n}" for n in range(90)]
    pairs = [(a, b) for a in names for b in names if a != b]
    rows = "".join(f"{case},{a}\n{case},{b}\n" for case, (a, b) in enumerate(pairs))
    return ("case,activity\n" + rows).encode()


def test_a_log_too_tangled_for_a_map_is_refused_with_the_bound(app, world, client, auth, api):
    log = _tangled_log()
    refused = api.post(
        "/rosa/discover", data=log, headers={"Content-Type": "text/csv"}, as_user="karin"
    )
    assert refused.status_code == 422
    assert f"högst {MAX_FLOWS}" in refused.json["fields"]["flöden"]
    auth.login("karin")
    page = client.post(
        "/processer/upptack",
        data={"case_type": "PARK", "file": (io.BytesIO(log), "trassel.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert (
        f"8190 olika flöden mellan aktiviteterna; en upptäckt processkarta får ha högst {MAX_FLOWS}"
        in page.get_data(as_text=True)
    )
    assert count(app, ProcessMap) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"steps": [{"id": "a", "level": 1e400}]}', "steps[0].level"),
        (b'{"steps": [{"id": "a", "minutes": 1e400}]}', "steps[0].minutes"),
        (b'{"steps": [{"id": "a", "count": 1' + b"0" * 400 + b"}]}", "steps[0].count"),
        (b'{"steps": [{"id": "a", "share": NaN}]}', "steps[0].share"),
    ],
)
def test_numbers_beyond_reason_are_refused(app, world, api, body, field):
    response = api.put(
        "/process-maps/PARK",
        data=body,
        headers={"Content-Type": "application/json"},
        as_user="karin",
    )
    assert response.status_code == 422 and field in response.json["fields"]
    assert count(app, ProcessMap) == 0


def test_odd_requests_on_map_pages_never_fail(app, world, client, auth, api):
    loop = {
        "steps": [{"id": "x", "name": "X"}, {"id": "p", "name": "P"}, {"id": "s", "name": "S"}],
        "flows": [{"from": "x", "to": "p"}, {"from": "p", "to": "s"}, {"from": "s", "to": "p"}],
    }
    api.put("/process-maps/EKB", json=loop, as_user="karin")
    auth.login("karin")
    moved = client.post(
        "/processer/EKB/steg/spara",
        data={"version": "1", "action": "earlier:s"},
        follow_redirects=True,
    )
    assert moved.status_code == 200 and "leder tillbaka" in moved.get_data(as_text=True)
    for version in ("99999999999999999999", "²", "0", "7"):
        assert client.get(f"/processer/EKB?version={version}").status_code == 404
        assert client.get(f"/processer/EKB/bpmn?version={version}").status_code == 404
    assert client.get("/processer/EKB?mandat=²").status_code == 200
    assert count(app, ProcessMap) == 1


def test_xes_in_an_unknown_encoding_is_refused_clearly(app, world, api):
    body = b'<?xml version="1.0" encoding="x-foo"?><log></log>'
    response = api.post(
        "/rosa/discover", data=body, headers={"Content-Type": "application/xml"}, as_user="karin"
    )
    assert response.status_code == 422 and "teckenkodning" in response.json["fields"]["xes"]


def test_a_failed_request_leaves_no_half_stored_map(app, world):
    """The store and its audit event commit or roll back together (no SAVEPOINT split)."""
    import sqlalchemy as sa

    from frontdesk.extensions import db
    from frontdesk.models import CaseType
    from frontdesk.processes.operations import store_map

    with app.app_context():
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == "PARK"))
        store_map(case_type, from_dict(MAP), "json", None)
        db.session.rollback()
    assert count(app, ProcessMap) == 0
    assert count(app, AuditEvent, AuditEvent.action == "process_map.stored") == 0


DANGLING = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<process id="P"><startEvent id="S" /><task id="A" name="Ta emot" />
<sequenceFlow id="F1" sourceRef="S" targetRef="A" />
<sequenceFlow id="F2" sourceRef="A" targetRef="Borta" /></process></definitions>"""


def test_put_bpmn_skips_what_it_cannot_use_and_lists_it(app, world, api):
    response = api.put(
        "/process-maps/PARK", data=DANGLING, headers={"Content-Type": "application/xml"},
        as_user="karin",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json["warnings"] == [
        '<sequenceFlow id="F2">: targetRef pekar på Borta, som inte finns i processen; '
        "hoppades över"
    ]
    assert {(f["from"], f["to"]) for f in response.json["flows"]} == {("S", "A")}
    clean = api.put(
        "/process-maps/PARK",
        data=DANGLING.replace(b'targetRef="Borta"', b'targetRef="S"'),
        headers={"Content-Type": "application/xml"},
        as_user="karin",
    )
    assert clean.status_code == 201 and clean.json["warnings"] == []
    assert api.get("/process-maps/PARK", as_user="karin").json["warnings"] == []


def test_a_file_without_a_process_imports_as_an_empty_map_the_page_can_show(
    app, world, api, client, auth
):
    empty = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" />"""
    response = api.put(
        "/process-maps/PARK", data=empty, headers={"Content-Type": "application/xml"},
        as_user="karin",
    )  # fmt: skip
    assert response.status_code == 201 and response.json["steps"] == []
    assert "ingen process" in response.json["warnings"][0]
    auth.login("karin")
    assert client.get("/processer/PARK").status_code == 200
    # Nothing to export: a clear answer, not an error page.
    download = client.get("/processer/PARK/bpmn")
    assert download.status_code in (200, 404, 409, 422), download.status_code
    xml = api.get("/process-maps/PARK", headers={"Accept": "application/xml"}, as_user="karin")
    assert xml.status_code in (200, 404, 409, 422), xml.status_code


def test_the_upload_page_lists_what_was_skipped(app, world, client, auth):
    auth.login("karin")
    response = client.post(
        "/processer/PARK/bpmn",
        data={"file": (io.BytesIO(DANGLING), "skev.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "hoppades över:" in html and "&lt;sequenceFlow id=&#34;F2&#34;&gt;" in html
    assert "version 1" in html
