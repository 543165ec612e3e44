"""A contact sent twice is logged once: the counter form's one-time key and the API's
Idempotency-Key (a double click, a browser resending, a client retrying a lost answer)."""

import re
import threading

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Contact, ContactDayTally, Referral
from tests.helpers import count, serving

REFERRED = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}
ANSWERED = {"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 1}
KEY = {"Idempotency-Key": "kassa-7f3a9c"}


def _tallied(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ContactDayTally.contacts), 0))
        )


def test_an_api_retry_with_the_same_key_gets_the_first_answer_and_logs_nothing(app, world, api):
    first = api.post("/contacts", json=REFERRED, headers=dict(KEY))
    again = api.post("/contacts", json=REFERRED, headers=dict(KEY))
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.get_json()["referral"] is not None
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, Contact) == 1
    assert count(app, Referral) == 1
    assert _tallied(app) == 1


def test_without_a_key_or_with_another_key_each_post_is_a_contact(app, world, api):
    api.post("/contacts", json=ANSWERED)
    api.post("/contacts", json=ANSWERED)
    api.post("/contacts", json=ANSWERED, headers={"Idempotency-Key": "a-1"})
    api.post("/contacts", json=ANSWERED, headers={"Idempotency-Key": "a-2"})
    assert count(app, Contact) == 4


def test_a_key_belongs_to_its_user(app, world, api):
    """Two guides who happen to choose the same key log two contacts."""
    assert api.post("/contacts", json=ANSWERED, headers=dict(KEY)).status_code == 201
    assert (
        api.post("/contacts", json=ANSWERED, headers=dict(KEY), as_user="omar").status_code == 201
    )
    assert count(app, Contact) == 2


def test_a_key_reused_for_another_contact_is_refused_and_changes_nothing(app, world, api):
    api.post("/contacts", json=ANSWERED, headers=dict(KEY))
    other = api.post("/contacts", json={**ANSWERED, "rosa_level": 2}, headers=dict(KEY))
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["fields"]
    assert count(app, Contact) == 1


@pytest.mark.parametrize("key", ["", "med mellanslag", "x" * 101, "åäö"])
def test_a_malformed_key_is_refused_naming_the_header(app, world, api, key):
    response = api.post("/contacts", json=ANSWERED, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["fields"]
    assert count(app, Contact) == 0


def test_simultaneous_retries_log_one_contact(app, world):
    """Eight copies of one request at once against a threaded server: one contact."""
    import json
    import urllib.request

    results = []

    def post(base):
        request = urllib.request.Request(
            f"{base}/api/v1/contacts",
            data=json.dumps(REFERRED).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {world.tokens['anna']}",
                "Content-Type": "application/json",
                **KEY,
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            results.append((response.status, json.loads(response.read())["id"]))

    with serving(app) as base:
        threads = [threading.Thread(target=post, args=(base,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(results) == 8
    assert {status for status, _ in results} == {201}
    assert len({contact_id for _, contact_id in results}) == 1
    assert count(app, Contact) == 1
    assert count(app, Referral) == 1


def _form_key(html: str) -> str:
    return re.search(r'name="submission" type="hidden" value="([^"]+)"', html).group(1)


def test_the_counter_form_posted_twice_logs_one_contact(app, world, client, auth):
    auth.login("anna")
    page = client.get("/disk").get_data(as_text=True)
    key = _form_key(page)
    form = {"channel": "besok", "case_type": "PARK", "rosa_level": "1", "submission": key}
    first = client.post("/disk/kontakter", data=form)
    again = client.post("/disk/kontakter", data=form)
    assert first.status_code == again.status_code == 303
    assert count(app, Contact) == 1
    # The second post shows the decision about the contact the first one logged.
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert 'data-outcome="informerat"' in shown


def test_every_empty_counter_form_carries_a_new_key(app, world, client, auth):
    auth.login("anna")
    first = _form_key(client.get("/disk").get_data(as_text=True))
    second = _form_key(client.get("/disk").get_data(as_text=True))
    assert first != second
    form = {"channel": "besok", "case_type": "PARK", "rosa_level": "1", "submission": first}
    logged = client.post("/disk/kontakter", data=form, headers={"HX-Request": "true"})
    assert logged.status_code == 200
    # The fresh form after logging has a key of its own, so the next contact is new.
    assert _form_key(logged.get_data(as_text=True)) not in (first, second)


def test_a_counter_form_without_a_key_still_logs(app, world, client, auth):
    """An odd or missing key only means there is no double-submit guard."""
    auth.login("anna")
    form = {"channel": "besok", "case_type": "PARK", "rosa_level": "1", "submission": "x y"}
    assert client.post("/disk/kontakter", data=form).status_code == 303
    assert client.post("/disk/kontakter", data=form).status_code == 303
    assert count(app, Contact) == 2


def test_simultaneous_retries_on_the_counter_page_show_the_same_decision(app, world, client, auth):
    """The htmx answer to a resent form is the first contact's decision, not a new one."""
    auth.login("anna")
    key = _form_key(client.get("/disk").get_data(as_text=True))
    form = {"channel": "telefon", "case_type": "PARK", "rosa_level": "5", "submission": key}
    form["question"] = "Får jag parkera på gatan i natt?"
    htmx = {"HX-Request": "true"}
    first = client.post("/disk/kontakter", data=form, headers=htmx).get_data(as_text=True)
    again = client.post("/disk/kontakter", data=form, headers=htmx).get_data(as_text=True)
    assert 'data-outcome="eskalerat"' in first and 'data-outcome="eskalerat"' in again
    assert count(app, Referral) == 1
