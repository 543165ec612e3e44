"""The waiting room: tickets from the kiosk, Nästa at the desk, the screen, the waits."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Contact, QueueTicket, TicketStatus
from frontdesk.visitors.views import device_key
from tests.helpers import serving
from tests.test_concurrency import _post

K1 = {"office": "K1"}


def _key(app, code="K1"):
    with app.test_request_context():
        return device_key(code)


def _age(app, ticket_id, seconds):
    """Move a ticket's issue back in time, as if the visitor had waited."""
    with app.app_context():
        ticket = db.session.get(QueueTicket, ticket_id)
        ticket.issued_at = ticket.issued_at - timedelta(seconds=seconds)
        db.session.commit()


def test_tickets_are_numbered_per_office_and_say_who_waits_ahead(api):
    first = api.post("/queue/tickets", json=K1)
    second = api.post("/queue/tickets", json=K1)
    other = api.post("/queue/tickets", json={"office": "K2"}, as_user="karin")
    assert first.status_code == 201, first.json
    assert (first.json["number"], first.json["waiting_ahead"]) == (1, 0)
    assert (second.json["number"], second.json["waiting_ahead"]) == (2, 1)
    assert (other.json["number"], other.json["office"]) == (1, "K2")
    status = api.get("/queue/status?office=K1")
    assert status.json["waiting"] == 2


def test_call_next_calls_the_oldest_and_404_when_nobody_waits(app, api):
    first = api.post("/queue/tickets", json=K1).json
    api.post("/queue/tickets", json=K1)
    _age(app, first["id"], 300)
    assert api.get("/queue/status?office=K1").json["longest_wait_seconds"] >= 300
    called = api.post("/queue/call-next", json={**K1, "desk": "3"})
    assert called.status_code == 200, called.json
    assert (called.json["id"], called.json["desk"]) == (first["id"], "3")
    assert 300 <= called.json["waited_seconds"] < 330
    assert api.post("/queue/call-next", json={**K1, "desk": "3"}).status_code == 200
    empty = api.post("/queue/call-next", json={**K1, "desk": "3"})
    assert empty.status_code == 404 and empty.json["error"] == "Ingen väntar."


def test_bad_queue_requests_name_the_field_and_change_nothing(app, api):
    cases = [
        ("/queue/tickets", {"office": "X9"}, 422, "office"),
        ("/queue/tickets", {**K1, "category": "Finns inte"}, 422, "category"),
        ("/queue/tickets", {**K1, "extra": 1}, 422, "extra"),
        ("/queue/call-next", {**K1, "desk": " "}, 422, "desk"),
        ("/queue/call-next", {"office": "K1"}, 422, "desk"),
    ]
    for path, body, status, field in cases:
        response = api.post(path, json=body)
        assert response.status_code == status, (body, response.json)
        assert field in response.json["fields"], response.json
    assert api.get("/queue/status?office=K2", as_user="anna").status_code == 403
    assert api.post("/queue/tickets", json={"office": "K2"}).status_code == 403
    assert api.get("/queue/status").status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueTicket)) == 0


def test_a_ticket_serves_one_contact_and_the_contact_shows_the_wait(app, api):
    ticket = api.post("/queue/tickets", json=K1).json
    _age(app, ticket["id"], 120)
    api.post("/queue/call-next", json={**K1, "desk": "1"})
    contact = {**K1, "channel": "besok", "case_type": "PARK", "rosa_level": 1}
    logged = api.post("/contacts", json={**contact, "ticket": ticket["id"]})
    assert logged.status_code == 201, logged.json
    shown = api.get(f"/contacts/{logged.json['id']}").json
    assert 120 <= shown["wait_seconds"] < 150
    again = api.post("/contacts", json={**contact, "ticket": ticket["id"]})
    assert again.status_code == 409 and "ticket" in again.json["fields"]
    unknown = api.post("/contacts", json={**contact, "ticket": 999999})
    assert unknown.status_code == 422 and "ticket" in unknown.json["fields"]
    other_office = api.post("/queue/tickets", json={"office": "K2"}, as_user="karin").json
    elsewhere = api.post("/contacts", json={**contact, "ticket": other_office["id"]})
    assert elsewhere.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
        assert db.session.get(QueueTicket, ticket["id"]).status == TicketStatus.BETJANAD


def test_a_retried_contact_with_its_key_is_the_same_contact_not_a_conflict(api):
    ticket = api.post("/queue/tickets", json=K1).json
    body = {**K1, "channel": "besok", "case_type": "PARK", "rosa_level": 1, "ticket": ticket["id"]}
    headers = {"Idempotency-Key": "besok-1"}
    first = api.post("/contacts", json=body, headers=headers)
    retry = api.post("/contacts", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json["id"] == first.json["id"]


def test_desks_calling_at_once_never_get_the_same_ticket(app, world):
    with serving(app) as base:
        for _ in range(6):
            assert _post(f"{base}/api/v1/queue/tickets", world.tokens["anna"], K1)[0] == 201
        results, lock = [], threading.Lock()
        barrier = threading.Barrier(8)

        def call(desk: int, token: str) -> None:
            barrier.wait()
            outcome = _post(f"{base}/api/v1/queue/call-next", token, {**K1, "desk": str(desk)})
            with lock:
                results.append(outcome)

        tokens = [world.tokens[name] for name in ("anna", "karin", "admin", "anna")] * 2
        threads = [threading.Thread(target=call, args=(i, t)) for i, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    called = [body["id"] for status, body in results if status == 200]
    assert sorted(status for status, _ in results) == [200] * 6 + [404] * 2
    assert len(set(called)) == 6


def test_the_kiosk_prints_a_ticket_and_the_screen_shows_the_call(app, world, client, auth):
    key = _key(app)
    assert client.get("/ko/K1/kiosk?nyckel=fel").status_code == 404
    page = client.get(f"/ko/K1/kiosk?nyckel={key}")
    assert page.status_code == 200 and "Välkommen till" in page.text
    printed = client.post("/ko/K1/kiosk", data={"nyckel": key, "category": ""})
    assert printed.status_code == 201 and 'id="ticket-number">1<' in printed.text
    assert "Du är först i kön." in printed.text
    screen = client.get(f"/ko/K1/skarm?nyckel={key}")
    assert "Inget nummer är inropat än." in screen.text and "1 väntar" in screen.text
    auth.login("anna")
    called = client.post("/disk/ko/nasta", data={"desk": "4"})
    assert called.status_code == 303
    screen = client.get(f"/ko/K1/skarm/lista?nyckel={key}")
    assert 'id="latest-number">1<' in screen.text and "Disk 4" in screen.text
    desk = client.get("/disk")
    assert "Nummer 1</strong> till disk 4" in desk.text
    assert 'name="ticket" value="' in desk.text


def test_no_show_park_and_recall_are_guarded_by_the_status(app, api, client, auth):
    api.post("/queue/tickets", json=K1)
    ticket = api.post("/queue/call-next", json={**K1, "desk": "2"}).json
    auth.login("anna")
    headers = {"HX-Request": "true"}
    parked = client.post(f"/disk/ko/{ticket['id']}/parkera", headers=headers)
    assert parked.status_code == 200 and "Parkerade och ej på plats (1)" in parked.text
    twice = client.post(f"/disk/ko/{ticket['id']}/ej-pa-plats", headers=headers)
    assert "counter-error" in twice.headers.get("HX-Trigger", "")
    recalled = client.post(
        f"/disk/ko/{ticket['id']}/kalla-igen", data={"desk": "5"}, headers=headers
    )
    assert "Nummer 1</strong> till disk 5" in recalled.text
    assert 'id="ticket-field" class="ticket-field" hx-swap-oob="true"' in recalled.text
    with app.app_context():
        row = db.session.get(QueueTicket, ticket["id"])
        assert (row.status, row.desk) == (TicketStatus.INROPAD, "5")
        events = (
            db.session.execute(
                sa.text("SELECT action FROM audit_events WHERE entity = 'queue_ticket' ORDER BY id")
            )
            .scalars()
            .all()
        )
    assert events == ["ticket.taken", "ticket.called", "ticket.parked", "ticket.recalled"]


def test_the_overview_shows_waits_per_period_and_hour(app, api, client, auth):
    for seconds in (60, 300, 900):
        ticket = api.post("/queue/tickets", json=K1).json
        _age(app, ticket["id"], seconds)
        api.post("/queue/call-next", json={**K1, "desk": "1"})
    auth.login("karin")
    page = client.get("/oversikt/vantetider?office=K1&bucket=dag")
    assert page.status_code == 200
    text = " ".join(page.text.replace("\u00a0", " ").split())
    # Median 5 min, p90 of 1/5/15 min (inclusive) 13 min, 2 of 3 within 10 minutes.
    assert "3 inropade, median 5 min, 90:e percentilen 13 min, 66,7 % inom målet" in text
    bad = client.get("/oversikt/vantetider?from=igår")
    assert bad.status_code == 422


def test_a_deleted_contact_gives_its_ticket_back(app, api, client, auth):
    api.post("/queue/tickets", json=K1)
    ticket = api.post("/queue/call-next", json={**K1, "desk": "2"}).json
    auth.login("anna")
    client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1", "ticket": ticket["id"]},
    )
    with app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        assert contact.ticket_id == ticket["id"]
        assert db.session.get(QueueTicket, ticket["id"]).status == TicketStatus.BETJANAD
    client.post(f"/disk/kontakter/{contact.id}/ta-bort")
    with app.app_context():
        assert db.session.get(QueueTicket, ticket["id"]).status == TicketStatus.INROPAD
    again = client.post(
        "/disk/kontakter",
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1", "ticket": ticket["id"]},
    )
    assert again.status_code == 303
