"""The back office's and the inbox's rules hold alike on the page and in the API.

Each rule is declared once (the reason's and the answer's limits, the parking date, a
guide's own office) and both edges call it: these tests send the same refused input
through both and expect the same refusal.
"""

from datetime import timedelta

import pytest

from frontdesk.backoffice.operations import MAX_PARK_DAYS, check_park_date
from frontdesk.models import Contact, InboxMessage, Referral
from frontdesk.models.catalog import REASON_MAX
from frontdesk.models.referral import ANSWER_MAX_LENGTH
from frontdesk.timeutil import local_today
from tests.helpers import count, one

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 5}


def _claimed(api) -> int:
    referral_id = api.post("/contacts", json=CONTACT).get_json()["referral"]["id"]
    assert api.post(f"/referrals/{referral_id}/claim", as_user="erik").status_code == 200
    return referral_id


@pytest.mark.parametrize("days", [0, -1, MAX_PARK_DAYS + 1])
def test_page_and_api_refuse_the_same_parking_dates_with_the_same_words(
    app, api, client, auth, days
):
    until = local_today() + timedelta(days=days)
    message = check_park_date(until)
    assert message
    referral_id = _claimed(api)
    response = api.post(
        f"/referrals/{referral_id}/park",
        as_user="erik",
        json={"until": until.isoformat(), "reason": "Väntar på intyg."},
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"until": message}
    auth.login("erik")
    page = client.post(
        f"/remisser/{referral_id}/parkera",
        data={"until": until.isoformat(), "reason": "Väntar på intyg."},
    )
    assert page.status_code == 422 and message in page.text
    assert one(app, Referral).status == "pagar"


def test_the_longest_reason_and_answer_are_taken_one_more_character_is_not(app, api, client, auth):
    referral_id = _claimed(api)
    until = (local_today() + timedelta(days=7)).isoformat()
    too_long = api.post(
        f"/referrals/{referral_id}/park",
        as_user="erik",
        json={"until": until, "reason": "x" * (REASON_MAX + 1)},
    )
    assert too_long.status_code == 422
    assert too_long.get_json()["fields"]["reason"].startswith(f"Högst {REASON_MAX} ")
    # The page's field stops at the same length.
    auth.login("erik")
    page = client.get(f"/remisser/{referral_id}").text
    assert f'name="reason" type="text" maxlength="{REASON_MAX}"' in page
    assert f'name="answer" rows="4" maxlength="{ANSWER_MAX_LENGTH}"' in page
    # Blanks around the text do not count against the limit.
    parked = api.post(
        f"/referrals/{referral_id}/park",
        as_user="erik",
        json={"until": until, "reason": f"  {'x' * REASON_MAX}\t"},
    )
    assert parked.status_code == 200, parked.get_json()
    assert parked.get_json()["park_reason"] == "x" * REASON_MAX
    assert parked.headers["ETag"] == f'"{parked.get_json()["version"]}"'


def test_a_conflict_names_the_state_and_the_version(api):
    referral_id = _claimed(api)
    again = api.post(f"/referrals/{referral_id}/claim", as_user="erik")
    assert again.status_code == 409
    body = again.get_json()
    assert body["status"] == "pagar" and body["claimed_by"] == "erik" and body["fields"] == {}
    current = api.get(f"/referrals/{referral_id}", as_user="erik")
    assert again.headers["ETag"] == current.headers["ETag"]
    stale = api.post(
        f"/referrals/{referral_id}/release", as_user="erik", headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.get_json()["fields"] == {"version": current.headers["ETag"].strip('"')}


def test_a_guide_handles_messages_of_their_own_office_only_on_the_page_and_in_the_api(
    app, api, client, auth
):
    created = api.post(
        "/inbox", as_user="karin", json={"channel": "webb", "body": "Hej", "office": "K1"}
    )
    message_id = created.get_json()["id"]
    # anna works at K1; triaging the K1 message as K2's is refused by the operation.
    refused = api.post(
        f"/inbox/{message_id}/triage",
        as_user="anna",
        json={"case_type": "PARK", "rosa_level": 1, "office": "K2"},
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "Du kan bara hantera meddelanden till ditt eget kontor."
    auth.login("anna")
    page = client.post(
        f"/inkorg/{message_id}/triage",
        data={"case_type": "PARK", "rosa_level": "1", "office": "K2"},
    )
    assert page.status_code == 403
    assert one(app, InboxMessage).status == "new" and count(app, Contact) == 0
    handed_over = api.post(
        "/inbox", as_user="anna", json={"channel": "webb", "body": "Hej", "office": "k2"}
    )
    assert handed_over.status_code == 403
    assert count(app, InboxMessage) == 1


@pytest.mark.parametrize("moment", [1, 1.5, True, "igår"])
def test_a_moment_is_text_in_iso_form(app, api, moment):
    response = api.post("/inbox", json={"channel": "webb", "body": "Hej", "received_at": moment})
    assert response.status_code == 422
    assert "received_at" in response.get_json()["fields"]
    assert count(app, InboxMessage) == 0
