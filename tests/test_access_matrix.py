"""Who may do what: every route of the app, crossed with every role and anonymous.

MATRIX below is the reviewed access table. Each entry is keyed by the Flask endpoint
and HTTP method and gives the request to send and the status each caller must get:

    anonymous   no session, no token
    anna        vägledare at K1 (the office whose contacts, messages and referrals we use)
    johan       vägledare at K2 (another office: K1's matters are not his)
    erik        handläggare at TEK (owns PARK; the SOC referral is another organisation's)
    karin       chef at K1 (she manages K1 only: K2's mandates and proposals are refused)
    admin       admin

A route of the app without an entry fails test_every_route_is_in_the_matrix, naming
it, and so does an entry whose route is gone: no route slips in unreviewed.

Each cell is one request on fresh objects (a new contact, referral, message, map
version for every caller), so one caller's success never decides the next one's
answer. Pages are reached through a real login, the API with bearer tokens. CSRF is
off here so that the role check is what each answer shows; that every page form
needs its token is test_every_page_form_needs_a_csrf_token at the end.

A request that is refused (a redirect to the login, 401, 403, 404, 405, or a page
that declines with a message) must leave the database exactly as it was; a
request that succeeds on a route that writes must change it.
"""

import io
import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import MethodNotAllowed

from frontdesk.extensions import db
from frontdesk.inbox.intake import attachment_file_name
from frontdesk.models import (
    ApiToken,
    AuditEvent,
    InboxMessage,
    MandateChange,
    Organisation,
    QueueTicket,
    RecommendationDecision,
    TicketStatus,
    User,
)
from frontdesk.models.user import hash_token
from frontdesk.timeutil import local_today
from frontdesk.visitors.views import device_key
from tests.conftest import PASSWORD, make_app

CALLERS = ("anonymous", "anna", "johan", "erik", "karin", "admin")
ROUTE_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Answer:
    """An expected answer other than a plain status code."""

    status: int
    location: str | None = None  # where a redirect must lead (a prefix)
    refused: bool = True  # refused answers must leave the database as it was
    label: str = ""

    def __repr__(self):
        return self.label or f"{self.status} {self.location or ''}".strip()


# A page asked for without a session: to the login page (htmx: 401 and HX-Redirect there).
LOGIN = Answer(302, "/login", label="LOGIN")
HX_LOGIN = Answer(401, "/login", label="HX_LOGIN")


def Declined(status: int) -> Answer:  # noqa: N802 (reads as a value in the table)
    """Heard, but declined with a message (another guide's contact): nothing written."""
    return Answer(status, label=f"Declined({status})")


def Redirect(location: str) -> Answer:  # noqa: N802
    """Done, and sent on to this page."""
    return Answer(302, location, refused=False, label=f"Redirect({location})")


def See(location: str) -> Answer:  # noqa: N802
    """Done, and sent on to this page with 303 See Other (after a POST)."""
    return Answer(303, location, refused=False, label=f"See({location})")


@dataclass(frozen=True)
class Row:
    path: str
    expect: tuple  # one per caller in CALLERS
    data: dict | None = None  # a form (multipart when it holds a file)
    json: object = None
    body: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    # Whether an accepted request must change the database (None: it may or may not).
    writes: bool | None = False


def page(path, *expect, **kwargs):
    return Row(path, expect, **kwargs)


HTMX = {"HX-Request": "true"}
BPMN = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
    b'<process id="P"><startEvent id="S"/><task id="T" name="Ta emot"/><endEvent id="E"/>'
    b'<sequenceFlow id="F1" sourceRef="S" targetRef="T"/>'
    b'<sequenceFlow id="F2" sourceRef="T" targetRef="E"/></process></definitions>'
)
EVENT_LOG = (
    b"case,activity,timestamp,resource\n"
    b"1,Ta emot,2026-01-05T09:00:00,Anna\n"
    b"1,Besluta,2026-01-05T10:00:00,Erik\n"
)
MAP_JSON = {
    "steps": [
        {"id": "a", "name": "Ta emot", "level": 1, "actor": "front", "lane": "Disken"},
        {"id": "b", "name": "Besluta", "level": 4, "lane": "Handläggning"},
    ],
    "flows": [{"from": "a", "to": "b"}],
}
CONTACT = {"office": "K1", "channel": "telefon", "case_type": "PARK", "rosa_level": 1}
FILTERS = "?from=2026-01-01&to=2026-12-31"

# fmt: off
#              anonymous  anna   johan  erik   karin  admin
MATRIX = {
    # --- Login, home, public pages, files ---------------------------------------------
    ("auth.home", "GET"): page(
        "/", LOGIN, Redirect("/disk"), Redirect("/disk"), Redirect("/remisser/"),
        Redirect("/disk"), Redirect("/disk"),
    ),
    ("auth.login", "GET"): page("/login", 200, 200, 200, 200, 200, 200),
    # An empty form is re-shown; no wrong password is sent (logins are rate limited).
    ("auth.login", "POST"): page("/login", 200, 200, 200, 200, 200, 200, data={}),
    # Logging out is audited when there was someone to log out.
    ("auth.logout", "POST"): page("/logout", *[Redirect("/login")] * 6, writes=None),
    # One's own account: everyone logged in; a wrong current password changes nothing.
    ("auth.change_password", "GET"): page("/konto/losenord", LOGIN, 200, 200, 200, 200, 200),
    ("auth.change_password", "POST"): page(
        "/konto/losenord", LOGIN, 422, 422, 422, 422, 422,
        data={"current_password": "fel", "new_password": "x", "repeat": "x"},
    ),
    ("auth.log_out_everywhere", "POST"): page(
        "/konto/logga-ut-overallt", LOGIN, *[See("/login")] * 5, writes=True
    ),
    # A reset link is its own key: no login, and a wrong one is 404 for everyone.
    ("auth.reset_password", "GET"): page("/konto/aterstall/okand", *[404] * 6),
    ("auth.reset_password", "POST"): page(
        "/konto/aterstall/okand", *[404] * 6, data={"new_password": "x", "repeat": "x"}
    ),
    # Single sign-on is off without OIDC_ISSUER (as here): its routes do not exist. With a
    # provider configured, who comes in is tests/test_oidc.py's subject.
    ("auth.oidc_login", "GET"): page("/login/oidc", 404, 404, 404, 404, 404, 404),
    ("auth.oidc_callback", "GET"): page(
        "/login/oidc/callback?code=x&state=y", 404, 404, 404, 404, 404, 404
    ),
    ("web.healthz", "GET"): page("/healthz", 200, 200, 200, 200, 200, 200),
    ("static", "GET"): page("/static/app.css", 200, 200, 200, 200, 200, 200),
    ("public.contact_form", "GET"): page("/kontakta-oss", 200, 200, 200, 200, 200, 200),
    ("public.contact_form", "POST"): page(
        "/kontakta-oss", 303, 303, 303, 303, 303, 303,
        data={"question": "När har ni öppet?"}, writes=True,
    ),
    # No question was just sent: back to the form.
    ("public.receipt", "GET"): page("/kontakta-oss/tack", *[Redirect("/kontakta-oss")] * 6),

    # --- The counter ----------------------------------------------------------------------
    ("counter.index", "GET"): page("/disk", LOGIN, 200, 200, 403, 200, 200),
    ("counter.create_contact", "POST"): page(
        "/disk/kontakter", LOGIN, 303, 303, 403, 303, 303,
        data={"channel": "besok", "case_type": "PARK", "rosa_level": "1"}, writes=True,
    ),
    ("counter.todays_contacts", "GET"): page(
        "/disk/kontakter/idag", HX_LOGIN, 200, 200, 403, 200, 200, headers=HTMX
    ),
    # The routing preview the form asks for: K2's guide gets K2's mandate, not K1's.
    ("counter.preview", "GET"): page(
        "/disk/forhandsvisning?case_type=PARK&rosa_level=4", HX_LOGIN, 200, 200, 403, 200, 200,
        headers=HTMX,
    ),
    ("counter.guidance", "GET"): page(
        "/disk/arendetyper/PARK", HX_LOGIN, 200, 200, 403, 200, 200, headers=HTMX
    ),
    ("counter.guidance_search", "GET"): page(
        "/disk/vagledning?q=park", LOGIN, 200, 200, 403, 200, 200
    ),
    # Anna's contact of today: only she may change it; K2 does not see it at all.
    ("counter.edit_contact", "GET"): page(
        "/disk/kontakter/{contact}/andra", LOGIN, 200, 404, 403, 200, 200
    ),
    ("counter.edit_contact", "POST"): page(
        "/disk/kontakter/{contact}/andra", LOGIN, 302, 404, 403, Declined(422), Declined(422),
        data={"channel": "telefon", "case_type": "EKB", "rosa_level": "1"}, writes=True,
    ),
    ("counter.remove_contact", "POST"): page(
        "/disk/kontakter/{contact}/ta-bort", LOGIN, 302, 404, 403, Declined(303), Declined(303),
        writes=True,
    ),
    ("counter.toggle_repeat", "POST"): page(
        "/disk/kontakter/{contact}/upprepad", LOGIN, 302, 404, 403, Declined(303), Declined(303),
        writes=True,
    ),
    ("counter.callbacks", "GET"): page(
        "/disk/aterkopplingar", HX_LOGIN, 200, 200, 403, 200, 200, headers=HTMX
    ),
    ("counter.callback_done", "POST"): page(
        "/disk/aterkopplingar/{callback}/klar", LOGIN, 303, 404, 403, 303, 303, writes=True
    ),
    # An answer for a citizen who left only an e-mail address: queued and closed.
    ("counter.callback_by_email", "POST"): page(
        "/disk/aterkopplingar/{mail_callback}/epost", LOGIN, 303, 404, 403, 303, 303,
        writes=True,
    ),
    # The page polls it (fetch, not htmx) for changed mandates.
    ("counter.catalogue", "GET"): page("/disk/katalog", LOGIN, 200, 200, 403, 200, 200),

    # --- The back office ---------------------------------------------------------------------
    ("backoffice.index", "GET"): [
        page("/remisser/", LOGIN, 200, 200, 200, 200, 200),
        page("/remisser/?status=ny", HX_LOGIN, 200, 200, 200, 200, 200,
             headers={**HTMX, "HX-Target": "queue-list"}),
    ],
    ("backoffice.show", "GET"): [
        page("/remisser/{referral}", LOGIN, 200, 404, 200, 200, 200),
        # Referred to SOC: not erik's organisation, so it does not exist for him.
        page("/remisser/{soc_referral}", LOGIN, 200, 404, 404, 200, 200),
    ],
    ("backoffice.claim", "POST"): [
        page("/remisser/{referral}/ta", LOGIN, 403, 403, 303, 403, 403, writes=True),
        page("/remisser/{soc_referral}/ta", LOGIN, 403, 403, 404, 403, 403, writes=True),
    ],
    ("backoffice.release", "POST"): page(
        "/remisser/{claimed}/slapp", LOGIN, 403, 403, 303, 403, 403, writes=True
    ),
    ("backoffice.park", "POST"): page(
        "/remisser/{claimed}/parkera", LOGIN, 403, 403, 303, 403, 403,
        data={"until": "{in_a_week}", "reason": "Väntar på intyg."}, writes=True,
    ),
    ("backoffice.forward", "POST"): page(
        "/remisser/{claimed}/skicka", LOGIN, 403, 403, 303, 403, 403,
        data={"queue": "SOC", "reason": "Gäller ekonomiskt bistånd."}, writes=True,
    ),
    ("backoffice.reassign", "POST"): page(
        "/remisser/{claimed}/omfordela", LOGIN, 403, 403, 303, 403, 403,
        data={"colleague": "petra"}, writes=True,
    ),
    ("backoffice.answer", "POST"): page(
        "/remisser/{claimed}/svara", LOGIN, 403, 403, 303, 403, 403,
        data={"answer": "Beviljas.", "delivery": "callback"}, writes=True,
    ),
    # A note on the matter: any handler of the organisation, claimed or not.
    ("backoffice.note", "POST"): [
        page("/remisser/{referral}/anteckning", LOGIN, 403, 403, 303, 403, 403,
             data={"note": "Ringde, inget svar."}, writes=True),
        page("/remisser/{soc_referral}/anteckning", LOGIN, 403, 403, 404, 403, 403,
             data={"note": "Ringde, inget svar."}, writes=True),
    ],
    # The source e-mail's attachment: whoever may see the referral; only listed ones.
    ("backoffice.attachment", "GET"): [
        page("/remisser/{mailed}/bilagor/0", LOGIN, 200, 404, 200, 200, 200),
        page("/remisser/{mailed}/bilagor/1", LOGIN, 404, 404, 404, 404, 404),
    ],
    # A handler's own e-mail about new referrals (off: erik has no address to turn it on).
    ("backoffice.notifications", "POST"): page(
        "/remisser/avisering", LOGIN, 403, 403, 303, 403, 403, data={"notify": "0"},
        writes=True,
    ),

    # --- The inbox -------------------------------------------------------------------------------
    ("inbox.index", "GET"): page("/inkorg/", LOGIN, 200, 200, 403, 200, 200),
    ("inbox.show", "GET"): page("/inkorg/{message}", LOGIN, 200, 404, 403, 200, 200),
    ("inbox.triage_message", "POST"): page(
        "/inkorg/{message}/triage", LOGIN, 303, 404, 403, 303, 303,
        data={"case_type": "PARK", "rosa_level": "6"}, writes=True,
    ),
    ("inbox.reply_message", "POST"): page(
        "/inkorg/{mail}/svar", LOGIN, 303, 404, 403, 303, 303,
        data={"case_type": "PARK", "rosa_level": "1", "reply": "Ansök på webben."}, writes=True,
    ),
    ("inbox.spam", "POST"): page(
        "/inkorg/{message}/skrap", LOGIN, 303, 404, 403, 303, 303, writes=True
    ),
    ("inbox.letter", "GET"): page("/inkorg/brev", LOGIN, 200, 200, 403, 200, 200),
    ("inbox.letter", "POST"): page(
        "/inkorg/brev", LOGIN, 303, 303, 403, 303, 303,
        data={"sender": "Eva", "subject": "Bygglov", "body": "Hej!", "received_on": "{today}"},
        writes=True,
    ),

    # --- Mandates ----------------------------------------------------------------------------------
    ("mandates.index", "GET"): page("/mandat/", LOGIN, 200, 200, 200, 200, 200),
    ("mandates.change", "POST"): [
        page(
            "/mandat/K1/PARK", LOGIN, 403, 403, 403, 303, 303,
            data={"max_level": "{other_level}", "reason": "Utbildning klar."}, writes=True,
        ),
        # Another office than the chef's own: only the admin manages it.
        page(
            "/mandat/K2/PARK", LOGIN, 403, 403, 403, 403, 303,
            data={"max_level": "{other_level_k2}", "reason": "Utbildning klar."}, writes=True,
        ),
    ],

    # --- Administration: admin only -------------------------------------------------------
    ("admin.users", "GET"): page("/admin/anvandare?q=a", LOGIN, 403, 403, 403, 403, 200),
    ("admin.new_user", "GET"): page("/admin/anvandare/ny", LOGIN, 403, 403, 403, 403, 200),
    ("admin.new_user", "POST"): page(
        "/admin/anvandare/ny", LOGIN, 403, 403, 403, 403, 303,
        data={"username": "{new_username}", "role": "vagledare", "office": "K1"}, writes=True,
    ),
    ("admin.edit_user", "GET"): page("/admin/anvandare/{new_user_id}", LOGIN, 403, 403, 403, 403, 200),
    ("admin.edit_user", "POST"): page(
        "/admin/anvandare/{new_user_id}", LOGIN, 403, 403, 403, 403, 303,
        data={"username": "{new_username}", "role": "vagledare", "office": "K2"}, writes=True,
    ),
    ("admin.deactivate", "POST"): page(
        "/admin/anvandare/{new_user_id}/inaktivera", LOGIN, 403, 403, 403, 403,
        303, writes=True,
    ),
    ("admin.reactivate", "POST"): page(
        "/admin/anvandare/{inactive_user_id}/aktivera", LOGIN, 403, 403, 403, 403,
        303, writes=True,
    ),
    # The catalogue in the app: the admin only; a save goes through the catalogue import.
    ("catalog.index", "GET"): page(
        "/admin/katalog/", LOGIN, 403, 403, 403, 403, Redirect("/admin/katalog/arendetyper")
    ),
    ("catalog.items", "GET"): page("/admin/katalog/kontor", LOGIN, 403, 403, 403, 403, 200),
    ("catalog.edit", "GET"): [
        page("/admin/katalog/arendetyper/PARK", LOGIN, 403, 403, 403, 403, 200),
        page("/admin/katalog/kontor/ny", LOGIN, 403, 403, 403, 403, 200),
    ],
    ("catalog.edit", "POST"): page(
        "/admin/katalog/kontor/K2", LOGIN, 403, 403, 403, 403, See("/admin/katalog/kontor"),
        data={"name": "Kontor Syd", "opens": "08:00", "closes": "16:30"}, writes=True,
    ),
    ("admin.audit", "GET"): page("/admin/logg?kind=nekade", LOGIN, 403, 403, 403, 403, 200),
    # No session of the new user to end: the record of the action is the write.
    ("admin.end_sessions", "POST"): page(
        "/admin/anvandare/{new_user_id}/logga-ut", LOGIN, 403, 403, 403, 403, 303, writes=None,
    ),
    ("admin.reset_password", "POST"): page(
        "/admin/anvandare/{new_user_id}/aterstall-losenord", LOGIN, 403, 403, 403, 403,
        303, writes=True,
    ),
    ("admin.revoke", "POST"): page(
        "/admin/anvandare/{token_of_new_user}/aterkalla", LOGIN, 403, 403, 403, 403,
        303, writes=True,
    ),

    # --- ROSA: staircase, recommendations, what-if ------------------------------------
    ("recommendations.staircase", "GET"): page("/rosa/trappan", LOGIN, 403, 403, 403, 200, 200),
    ("recommendations.recommendations", "GET"): page(
        "/rosa/rekommendationer?office=K1", LOGIN, 403, 403, 403, 200, 200
    ),
    ("recommendations.decision", "POST"): [
        page(
            "/rosa/rekommendationer/{proposal}/beslut", LOGIN, 403, 403, 403, 303, 303,
            data={"decision": "reject", "note": "Inte nu."}, writes=True,
        ),
        page(
            "/rosa/rekommendationer/{proposal_k2}/beslut", LOGIN, 403, 403, 403, 403, 303,
            data={"decision": "reject", "note": "Inte nu."}, writes=True,
        ),
    ],
    ("recommendations.whatif", "GET"): page("/rosa/vad-om", LOGIN, 403, 403, 403, 200, 200),
    ("recommendations.follow_up_page", "GET"): page(
        "/rosa/uppfoljning?office=K1", LOGIN, 403, 403, 403, 200, 200
    ),
    ("recommendations.whatif", "POST"): page(
        "/rosa/vad-om", LOGIN, 403, 403, 403, 200, 200, data={"office": "K1"}
    ),

    # --- Process maps ------------------------------------------------------------------------------
    ("processes.index", "GET"): page("/processer/", LOGIN, 403, 403, 403, 200, 200),
    ("processes.show", "GET"): page("/processer/{mapped}", LOGIN, 403, 403, 403, 200, 200),
    ("processes.download_bpmn", "GET"): page(
        "/processer/{mapped}/bpmn", LOGIN, 403, 403, 403, 200, 200
    ),
    ("processes.add", "POST"): page(
        "/processer/PARK/steg", LOGIN, 403, 403, 403, 303, 303,
        data={"version": "{map_version}", "name": "Kontrollera", "level": "3", "actor": "front",
              "after": "a"},
        writes=True,
    ),
    ("processes.save_steps", "POST"): page(
        "/processer/PARK/steg/spara", LOGIN, 403, 403, 403, 303, 303,
        data={"version": "{map_version}", "rows-0-step": "b", "rows-0-name": "Besluta",
              "rows-0-level": "3", "rows-0-actor": "back", "action": "earlier:b"},
        writes=True,
    ),
    ("processes.map_lanes", "POST"): page(
        "/processer/PARK/banor", LOGIN, 403, 403, 403, 303, 303,
        data={"version": "{map_version}", "lane": "Handläggning", "actor": "back"}, writes=True,
    ),
    ("processes.upload_bpmn", "POST"): page(
        "/processer/PARK/bpmn", LOGIN, 403, 403, 403, 303, 303,
        data={"file": (BPMN, "park.bpmn")}, writes=True,
    ),
    ("processes.discover_map", "POST"): page(
        "/processer/upptack", LOGIN, 403, 403, 403, 303, 303,
        data={"case_type": "PARK", "file": (EVENT_LOG, "logg.csv")}, writes=True,
    ),

    # --- The manager's overview and the channel report ------------------------------------
    ("overview.volumes", "GET"): page("/oversikt/" + FILTERS, LOGIN, 403, 403, 403, 200, 200),
    ("overview.hours", "GET"): page("/oversikt/timmar", LOGIN, 403, 403, 403, 200, 200),
    ("overview.resolution", "GET"): page(
        "/oversikt/forsta-kontakten", LOGIN, 403, 403, 403, 200, 200
    ),
    ("overview.referrals", "GET"): page("/oversikt/remisser", LOGIN, 403, 403, 403, 200, 200),
    ("overview.breadth", "GET"): page("/oversikt/uppdrag", LOGIN, 403, 403, 403, 200, 200),
    ("overview.contacts", "GET"): page("/oversikt/kontakter", LOGIN, 403, 403, 403, 200, 200),
    ("overview.referral_list", "GET"): page(
        "/oversikt/remisser/lista", LOGIN, 403, 403, 403, 200, 200
    ),
    ("overview.download", "GET"): [
        # A download is audited (who took which selection of contacts).
        page("/oversikt/export/kontakter.csv", LOGIN, 403, 403, 403, 200, 200, writes=True),
        page("/oversikt/export/nej.exe", LOGIN, 403, 403, 403, 404, 404),
    ],
    ("channels.index", "GET"): page("/kanaler/", LOGIN, 403, 403, 403, 200, 200),

    # --- JSON API v1: a bearer token for everyone but the anonymous caller -----------------
    ("api.openapi_document", "GET"): page("/api/v1/openapi.json", 200, 200, 200, 200, 200, 200),
    ("api.list_case_types", "GET"): page("/api/v1/case-types", 401, 200, 200, 200, 200, 200),
    ("api.list_offices", "GET"): page("/api/v1/offices", 401, 200, 200, 200, 200, 200),
    ("api.list_mandates", "GET"): page("/api/v1/mandates", 401, 200, 200, 200, 200, 200),
    ("api.put_mandate", "PUT"): [
        page(
            "/api/v1/mandates/K1/PARK", 401, 403, 403, 403, 200, 200,
            json={"max_level": "{other_level}", "reason": "Utbildning klar."}, writes=True,
        ),
        page(
            "/api/v1/mandates/K2/PARK", 401, 403, 403, 403, 403, 200,
            json={"max_level": "{other_level_k2}", "reason": "Utbildning klar."}, writes=True,
        ),
    ],
    ("api.create_contact", "POST"): page(
        "/api/v1/contacts", 401, 201, 403, 403, 201, 201, json=CONTACT, writes=True
    ),
    ("api.get_contact", "GET"): page(
        "/api/v1/contacts/{contact}", 401, 200, 404, 200, 200, 200
    ),
    ("api.list_referrals", "GET"): page("/api/v1/referrals", 401, 200, 200, 200, 200, 200),
    ("api.get_referral", "GET"): [
        page("/api/v1/referrals/{referral}", 401, 200, 404, 200, 200, 200),
        page("/api/v1/referrals/{soc_referral}", 401, 200, 404, 404, 200, 200),
    ],
    ("api.referral_events", "GET"): page(
        "/api/v1/referrals/{referral}/events", 401, 200, 404, 200, 200, 200
    ),
    ("api.referral_attachment", "GET"): [
        page("/api/v1/referrals/{mailed}/attachments/0", 401, 200, 404, 200, 200, 200),
        page("/api/v1/referrals/{mailed}/attachments/1", 401, 404, 404, 404, 404, 404),
    ],
    ("api.claim_referral", "POST"): [
        page("/api/v1/referrals/{referral}/claim", 401, 403, 403, 200, 403, 403, writes=True),
        page("/api/v1/referrals/{soc_referral}/claim", 401, 403, 403, 404, 403, 403,
             writes=True),
    ],
    ("api.release_referral", "POST"): page(
        "/api/v1/referrals/{claimed}/release", 401, 403, 403, 200, 403, 403, writes=True
    ),
    ("api.park_referral", "POST"): page(
        "/api/v1/referrals/{claimed}/park", 401, 403, 403, 200, 403, 403,
        json={"until": "{in_a_week}", "reason": "Väntar på intyg."}, writes=True,
    ),
    ("api.forward_referral", "POST"): page(
        "/api/v1/referrals/{claimed}/forward", 401, 403, 403, 200, 403, 403,
        json={"queue": "SOC", "reason": "Gäller ekonomiskt bistånd."}, writes=True,
    ),
    ("api.answer_referral", "POST"): page(
        "/api/v1/referrals/{claimed}/answer", 401, 403, 403, 200, 403, 403,
        json={"answer": "Beviljas.", "callback": True}, writes=True,
    ),
    ("api.callback_done_referral", "POST"): page(
        "/api/v1/referrals/{callback}/callback-done", 401, 200, 404, 403, 200, 200, writes=True
    ),
    ("api.create_inbox_message", "POST"): page(
        "/api/v1/inbox", 401, 201, 403, 403, 201, 201,
        json={"channel": "chatt", "body": "Hej!", "office": "K1"}, writes=True,
    ),
    ("api.list_inbox", "GET"): page("/api/v1/inbox", 401, 200, 200, 403, 200, 200),
    ("api.get_inbox_message", "GET"): page(
        "/api/v1/inbox/{message}", 401, 200, 404, 403, 200, 200
    ),
    ("api.triage_inbox_message", "POST"): page(
        "/api/v1/inbox/{message}/triage", 401, 201, 404, 403, 201, 201,
        json={"case_type": "PARK", "rosa_level": 6}, writes=True,
    ),
    ("api.reply_inbox_message", "POST"): page(
        "/api/v1/inbox/{mail}/reply", 401, 201, 404, 403, 201, 201,
        json={"case_type": "PARK", "rosa_level": 1, "reply": "Ansök på webben."}, writes=True,
    ),
    ("api.channel_parity", "GET"): page(
        "/api/v1/channels/parity", 401, 403, 403, 403, 200, 200
    ),
    ("api.stats_summary", "GET"): page(
        "/api/v1/stats/summary" + FILTERS, 401, 403, 403, 403, 200, 200
    ),
    ("api.export_contacts_csv", "GET"): page(
        "/api/v1/export/contacts.csv", 401, 403, 403, 403, 200, 200, writes=True
    ),
    ("api.export_contacts_xlsx", "GET"): page(
        "/api/v1/export/contacts.xlsx", 401, 403, 403, 403, 200, 200, writes=True
    ),
    ("api.export_referrals_csv", "GET"): page(
        "/api/v1/export/referrals.csv", 401, 403, 403, 403, 200, 200, writes=True
    ),
    ("api.export_eventlog_xes", "GET"): page(
        "/api/v1/export/eventlog.xes", 401, 403, 403, 403, 200, 200, writes=True
    ),
    ("api.export_eventlog_csv", "GET"): page(
        "/api/v1/export/eventlog.csv", 401, 403, 403, 403, 200, 200, writes=True
    ),
    ("api.staircase", "GET"): page("/api/v1/rosa/staircase", 401, 403, 403, 403, 200, 200),
    ("api.recommendations", "GET"): page(
        "/api/v1/rosa/recommendations?office=K1", 401, 403, 403, 403, 200, 200
    ),
    ("api.follow_up_moves", "GET"): page(
        "/api/v1/rosa/follow-up?office=K1", 401, 403, 403, 403, 200, 200
    ),
    ("api.recommendation_decision", "POST"): [
        page(
            "/api/v1/rosa/recommendations/{proposal}/decision", 401, 403, 403, 403, 201, 201,
            json={"decision": "reject", "note": "Inte nu."}, writes=True,
        ),
        page(
            "/api/v1/rosa/recommendations/{proposal_k2}/decision", 401, 403, 403, 403, 403, 201,
            json={"decision": "reject", "note": "Inte nu."}, writes=True,
        ),
    ],
    # --- The users API: admin only ------------------------------------------------------
    ("api.list_users", "GET"): page("/api/v1/users", 401, 403, 403, 403, 403, 200),
    ("api.get_user", "GET"): page("/api/v1/users/anna", 401, 403, 403, 403, 403, 200),
    ("api.post_user", "POST"): page(
        "/api/v1/users", 401, 403, 403, 403, 403, 201,
        json={"username": "{new_username}", "role": "vagledare", "office": "K1"}, writes=True,
    ),
    ("api.patch_user", "PATCH"): page(
        "/api/v1/users/{new_user}", 401, 403, 403, 403, 403, 200,
        json={"display_name": "Nytt namn"}, writes=True,
    ),
    ("api.put_process_map", "PUT"): page(
        "/api/v1/process-maps/PARK", 401, 403, 403, 403, 201, 201, json=MAP_JSON, writes=True
    ),
    ("api.get_process_map", "GET"): page(
        "/api/v1/process-maps/{mapped}", 401, 403, 403, 403, 200, 200
    ),
    # Discovery reads a log and answers with the map; it stores nothing.
    ("api.discover_map", "POST"): page(
        "/api/v1/rosa/discover", 401, 403, 403, 403, 200, 200,
        body=EVENT_LOG, content_type="text/csv",
    ),

    # --- The waiting room, NKI and staffing ------------------------------------------------
    # A kiosk and a screen need no login but the office's device key: without it, 404.
    ("visitors.kiosk", "GET"): [
        page("/ko/K1/kiosk?nyckel={k1_key}", *[200] * 6),
        page("/ko/K1/kiosk?nyckel=gissad", *[404] * 6),
    ],
    ("visitors.kiosk_take", "POST"): [
        page("/ko/K1/kiosk", *[201] * 6, data={"nyckel": "{k1_key}"}, writes=True),
        page("/ko/K1/kiosk", *[404] * 6, data={"nyckel": "gissad"}),
    ],
    ("visitors.screen", "GET"): page("/ko/K1/skarm?nyckel={k1_key}", *[200] * 6),
    ("visitors.screen_calls", "GET"): page("/ko/K1/skarm/lista?nyckel={k1_key}", *[200] * 6),
    ("visitors.devices", "GET"): page("/ko", LOGIN, 200, 200, 403, 200, 200),
    ("visitors.desk_panel", "GET"): page(
        "/disk/ko", HX_LOGIN, 200, 200, 403, 200, 200, headers=HTMX
    ),
    # Nästa at one's own office (K2's guide finds nobody waiting at K2).
    ("visitors.call_next", "POST"): page(
        "/disk/ko/nasta{waiting_ticket}", LOGIN, See("/disk"), See("/disk"), 403, See("/disk"),
        See("/disk"), data={"desk": "3"}, writes=None,
    ),
    # A ticket called at K1: K2's guide does not see it.
    ("visitors.move", "POST"): [
        page("/disk/ko/{called_ticket}/ej-pa-plats", LOGIN, See("/disk"), 404, 403,
             See("/disk"), See("/disk"), writes=True),
        page("/disk/ko/{called_ticket}/parkera", LOGIN, See("/disk"), 404, 403,
             See("/disk"), See("/disk"), writes=True),
        page("/disk/ko/{parked_ticket}/kalla-igen", LOGIN, See("/disk"), 404, 403,
             See("/disk"), See("/disk"), data={"desk": "2"}, writes=True),
    ],
    ("api.take_ticket", "POST"): page(
        "/api/v1/queue/tickets", 401, 201, 403, 403, 201, 201, json={"office": "K1"},
        writes=True,
    ),
    ("api.call_next", "POST"): page(
        "/api/v1/queue/call-next{waiting_ticket}", 401, 200, 403, 403, 200, 200,
        json={"office": "K1", "desk": "1"}, writes=True,
    ),
    ("api.queue_status", "GET"): page(
        "/api/v1/queue/status?office=K1", 401, 200, 403, 403, 200, 200
    ),
    # The citizen's link is its own key: no login, for anyone who holds it, once.
    ("feedback.answer", "GET"): [
        page("/tyck-till/{feedback_token}", *[200] * 6),
        page("/tyck-till/gissad", *[404] * 6),
    ],
    ("feedback.answer", "POST"): [
        page("/tyck-till/{feedback_token}", *[201] * 6,
             data={"q1": "8", "q2": "7", "q3": "9"}, writes=True),
        page("/tyck-till/gissad", *[404] * 6, data={"q1": "8", "q2": "7", "q3": "9"}),
    ],
    ("feedback.tablet", "GET"): page("/disk/surfplatta", LOGIN, 200, 200, 403, 200, 200),
    # Nothing new to ask about (the world's contacts are not visits of the last minutes).
    ("feedback.tablet_questions", "GET"): page(
        "/disk/surfplatta/fragor", HX_LOGIN, 204, 204, 403, 204, 204, headers=HTMX
    ),
    ("feedback.tablet_skip", "POST"): page(
        "/disk/surfplatta/hoppa-over/{contact}", HX_LOGIN, 200, 200, 403, 200, 200, headers=HTMX
    ),
    ("feedback.nki", "GET"): page("/oversikt/nki", LOGIN, 403, 403, 403, 200, 200),
    ("api.nki_stats", "GET"): page("/api/v1/stats/nki", 401, 403, 403, 403, 200, 200),
    ("overview.waiting", "GET"): page("/oversikt/vantetider", LOGIN, 403, 403, 403, 200, 200),
    ("staffing.index", "GET"): page("/bemanning/", LOGIN, 403, 403, 403, 200, 200),
    ("staffing.save_targets", "POST"): page(
        "/bemanning/mal", LOGIN, 403, 403, 403, See("/bemanning/"), See("/bemanning/"),
        data={"rows-0-channel": "besok", "rows-0-percent": "75", "rows-0-within_seconds": "300"},
        writes=True,
    ),
    ("api.staffing_forecast", "GET"): page(
        "/api/v1/forecast/staffing?office=K1&channel=besok&date=2026-12-07",
        401, 403, 403, 403, 200, 200,
    ),
}
# fmt: on


# --- The world the requests act on ----------------------------------------------------


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    """SQLite only: access is decided in Python, the same on both databases."""
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    # Six callers post the web form from one address: above its hourly limit.
    app = make_app(
        database_url,
        WEB_FORM_LIMIT_PER_HOUR=1000,
        MAIL_ATTACHMENTS_DIR=str(tmp_path / "bilagor"),  # for {mailed}
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Objects:
    """Fresh objects for one request, made through the API as the people who make them."""

    def __init__(self, app, world):
        self.app = app
        self.tokens = world.tokens
        self.client = app.test_client()
        with app.app_context():  # a colleague of erik's to reassign to
            tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
            petra = User(username="petra", display_name="Petra", role="handlaggare")
            petra.organisation = tek
            petra.set_password(PASSWORD)
            db.session.add(petra)
            db.session.commit()

    def call(self, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        response = self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.get_json()

    def _referred(self, case_type="PARK"):
        body = {**CONTACT, "case_type": case_type, "rosa_level": 6}
        return self.call("POST", "/contacts", "anna", json=body)

    def contact(self):
        return self._referred()["id"]

    def referral(self):
        return self._referred()["referral"]["id"]

    def soc_referral(self):
        return self._referred("EKB")["referral"]["id"]

    def claimed(self):
        referral_id = self.referral()
        self.call("POST", f"/referrals/{referral_id}/claim", "erik")
        return referral_id

    def callback(self):
        referral_id = self.claimed()
        answer = {"answer": "Beviljas.", "callback": True}
        self.call("POST", f"/referrals/{referral_id}/answer", "erik", json=answer)
        return referral_id

    def mail_callback(self):
        """An answer waiting at K1's desk for a citizen who left only an e-mail address."""
        body = {**CONTACT, "rosa_level": 6, "citizen": {"email": "eva@example.se"}}
        referral_id = self.call("POST", "/contacts", "anna", json=body)["referral"]["id"]
        self.call("POST", f"/referrals/{referral_id}/claim", "erik")
        answer = {"answer": "Beviljas.", "callback": True}
        self.call("POST", f"/referrals/{referral_id}/answer", "erik", json=answer)
        return referral_id

    def message(self):
        body = {"channel": "epost", "body": "När töms soporna?", "office": "K1"}
        return self.call("POST", "/inbox", "anna", json=body)["id"]

    def mail(self):
        """An e-mail in K1's inbox with an address to reply to."""
        body = {
            "channel": "epost",
            "body": "När töms soporna?",
            "sender": "Eva <eva@example.se>",
            "office": "K1",
        }
        return self.call("POST", "/inbox", "anna", json=body)["id"]

    def mailed(self):
        """A referral triaged from an e-mail whose attachment was kept (MAIL_ATTACHMENTS_DIR)."""
        root = self.app.config.get("MAIL_ATTACHMENTS_DIR")
        assert root, "{mailed} needs the app's MAIL_ATTACHMENTS_DIR"
        message_id = self.mail()
        with self.app.app_context():
            message = db.session.get(InboxMessage, message_id)
            name = "kvitto.pdf"
            message.attachments = [{"filename": name, "content_type": "application/pdf", "size": 8}]
            folder = Path(root) / message.receipt
            folder.mkdir(parents=True, exist_ok=True)
            (folder / attachment_file_name(0, name)).write_bytes(b"%PDF-1.4")
            db.session.commit()
        triage = {"case_type": "PARK", "rosa_level": 6}
        triaged = self.call("POST", f"/inbox/{message_id}/triage", "anna", json=triage)
        return triaged["referral"]["id"]

    def map_version(self):
        return self.call("PUT", "/process-maps/PARK", "admin", json=MAP_JSON)["version"]

    def mapped(self):
        self.map_version()
        return "PARK"

    def other_level(self, office="K1"):
        mandates = self.call("GET", f"/mandates?office={office}", "admin")["mandates"]
        current = next(m["max_level"] for m in mandates if m["case_type"] == "PARK")
        return current % 8 + 1

    def other_level_k2(self):
        return self.other_level("K2")

    def new_username(self):
        self._users = getattr(self, "_users", 0) + 1
        return f"ny{self._users}"

    def new_user(self):
        """A fresh vägledare at K1 with one API token, made by the admin."""
        username = self.new_username()
        body = {"username": username, "role": "vagledare", "office": "K1"}
        self.call("POST", "/users", "admin", json=body)
        return username

    def new_user_id(self):
        username = self.new_user()
        with self.app.app_context():
            return db.session.scalar(sa.select(User.id).where(User.username == username))

    def inactive_user_id(self):
        user_id = self.new_user_id()
        with self.app.app_context():
            db.session.get(User, user_id).active = False
            db.session.commit()
        return user_id

    def token_of_new_user(self):
        """`{user id}/nycklar/{token id}` of a new user's unrevoked token."""
        user_id = self.new_user_id()
        with self.app.app_context():
            token = ApiToken(user_id=user_id, name="Prov", token_hash=hash_token(f"t{user_id}"))
            db.session.add(token)
            db.session.commit()
            return f"{user_id}/nycklar/{token.id}"

    def proposal(self, office="K1"):
        """K1:PARK:3:4, open: level-4 contacts above the mandate of 3, no decision yet.

        For K2 (`proposal_k2`), K2:PARK:2:4 (K2 has no agreed mandate: 2).
        """
        guide = "anna" if office == "K1" else "johan"
        contact = {**CONTACT, "office": office, "rosa_level": 4}
        self.call("POST", "/contacts", guide, json=contact)
        key = "K1:PARK:3:4" if office == "K1" else "K2:PARK:2:4"
        with self.app.app_context():  # earlier decisions on it forgotten, so it is open again
            decided = sa.select(RecommendationDecision.id).where(
                RecommendationDecision.proposal_key == key
            )
            db.session.execute(
                sa.update(MandateChange)
                .where(MandateChange.recommendation_id.in_(decided))
                .values(recommendation_id=None)
            )
            db.session.execute(
                sa.delete(RecommendationDecision).where(RecommendationDecision.proposal_key == key)
            )
            db.session.commit()
        return key

    def proposal_k2(self):
        return self.proposal("K2")

    def today(self):
        return local_today().isoformat()

    def k1_key(self):
        with self.app.test_request_context():
            return device_key("K1")

    def waiting_ticket(self):
        """A ticket waiting at K1 (nothing in the path: it is there to be called)."""
        self.call("POST", "/queue/tickets", "anna", json={"office": "K1"})
        return ""

    def called_ticket(self):
        self.waiting_ticket()
        return self.call("POST", "/queue/call-next", "anna", json={"office": "K1", "desk": "1"})[
            "id"
        ]

    def parked_ticket(self):
        ticket_id = self.called_ticket()
        with self.app.app_context():
            db.session.execute(
                sa.update(QueueTicket)
                .where(QueueTicket.id == ticket_id)
                .values(status=TicketStatus.PARKERAD.value)
            )
            db.session.commit()
        return ticket_id

    def feedback_token(self):
        created = self._referred()
        return created["feedback_url"].rsplit("/", 1)[1]

    def in_a_week(self):
        return (local_today() + timedelta(days=7)).isoformat()

    def fill(self, template: str):
        """Each {name} in the template made fresh; a template that is only {name} keeps its type."""
        names = [part.split("}", 1)[0] for part in template.split("{")[1:]]
        values = {name: getattr(self, name)() for name in names}
        if len(names) == 1 and template == f"{{{names[0]}}}":
            return values[names[0]]
        return template.format(**values)


REFUSAL = "access.refused"


def snapshot(app) -> list:
    """Every row of every table: a refused request must leave all of it as it was,
    except for the audit event that records the refusal itself."""
    with app.app_context(), db.engine.connect() as connection:
        rows = []
        for table in db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            if table is AuditEvent.__table__:
                query = query.where(table.c.action != REFUSAL)
            rows.append(connection.execute(query).all())
        return rows


def refusals(app) -> list[tuple[int, str]]:
    """The users and paths of the refusals audited so far."""
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == REFUSAL))
        return [(event.user_id, event.data["path"]) for event in events]


def logged_in_clients(app) -> dict:
    clients = {"anonymous": app.test_client()}
    for name in CALLERS[1:]:
        client = app.test_client()
        response = client.post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 302, f"{name} could not log in"
        clients[name] = client
    return clients


def _filled(value, objects):
    if isinstance(value, str):
        return objects.fill(value)
    if isinstance(value, dict):
        return {k: _filled(v, objects) for k, v in value.items()}
    if isinstance(value, tuple):  # a file: (bytes, filename)
        return (io.BytesIO(value[0]), value[1])
    return value


def prepare(caller, row: Row, objects: Objects) -> tuple[str, dict]:
    """The row's path and request arguments, with fresh objects made for this caller."""
    headers = dict(row.headers)
    path = objects.fill(row.path)
    if path.startswith("/api/") and caller != "anonymous":
        headers["Authorization"] = f"Bearer {objects.tokens[caller]}"
    kwargs = {"headers": headers}
    if row.data is not None:
        kwargs["data"] = {
            k: str(v) if isinstance(v, int) else v for k, v in _filled(row.data, objects).items()
        }
    if row.json is not None:
        kwargs["json"] = _filled(row.json, objects)
    if row.body is not None:
        kwargs["data"], kwargs["content_type"] = row.body, row.content_type
    return path, kwargs


def _accepted(expected) -> bool:
    return expected.refused is False if isinstance(expected, Answer) else expected < 400


def check(app, clients, objects, method, row: Row) -> list[str]:
    """Send the row's request as each caller; the ways the answers differ from the table."""
    assert len(row.expect) == len(CALLERS), f"{row.path}: one status per caller"
    failures = []
    for caller, expected in zip(CALLERS, row.expect, strict=True):
        path, kwargs = prepare(caller, row, objects)
        before, refused_before = snapshot(app), len(refusals(app))
        with clients[caller].open(path, method=method, **kwargs) as response:
            status = response.status_code
            location = response.headers.get("HX-Redirect") or response.headers.get("Location", "")
        changed = snapshot(app) != before
        audited = refusals(app)[refused_before:]
        if status == 403 and [p for _, p in audited] != [path.split("?")[0]]:
            failures.append(f"{caller} {method} {row.path}: 403 without its audit event")
        elif status != 403 and audited:
            failures.append(f"{caller} {method} {row.path}: {status} audited as a refusal")
        where = f"{caller} {method} {row.path}: {status} {location}".rstrip()
        if isinstance(expected, Answer):
            wrong = status != expected.status or not location.startswith(expected.location or "")
        else:
            # A plain status never means "log in first".
            wrong = status != expected or location.startswith("/login")
        if wrong:
            failures.append(f"{where}, expected {expected!r}")
        if not _accepted(expected):
            if changed:
                failures.append(f"{where}: refused, but the database changed")
        elif row.writes is not None and changed != row.writes:
            failures.append(
                f"{where}: the database {'did not change' if row.writes else 'changed'}"
            )
    return failures


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda key: f"{key[0]}-{key[1]}")
def test_access(app, world, key):
    endpoint, method = key
    rows = MATRIX[key]
    objects = Objects(app, world)
    clients = logged_in_clients(app)
    failures = []
    for row in rows if isinstance(rows, list) else [rows]:
        failures += check(app, clients, objects, method, row)
    assert not failures, "\n".join(failures)


def _app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & ROUTE_METHODS
    }


def test_every_route_is_in_the_matrix(app):
    routes = _app_routes(app)
    missing = sorted(routes - set(MATRIX))
    gone = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without an entry in MATRIX (add and review them): {missing}"
    assert not gone, f"MATRIX entries for routes the app no longer has: {gone}"


def test_other_methods_are_405_for_everyone(app, world):
    """A method a route does not take is 405 for every caller, before any role is looked at,
    and the answer says which methods it does take (Allow, as RFC 9110 asks)."""
    clients = logged_in_clients(app)
    adapter = app.url_map.bind("localhost")
    before = snapshot(app)
    failures = []
    for rule in app.url_map.iter_rules():
        # Routing refuses the method before any object is looked up: any id will do.
        path = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
        refused = []
        for method in sorted(ROUTE_METHODS - rule.methods):
            try:
                adapter.match(path, method=method)
            except MethodNotAllowed:
                refused.append(method)
        for caller, methods in [
            ("anonymous", refused),
            ("erik", refused[:1]),
            ("admin", refused[:1]),
        ]:
            for method in methods:
                headers = {}
                if path.startswith("/api/") and caller != "anonymous":
                    headers["Authorization"] = f"Bearer {world.tokens[caller]}"
                response = clients[caller].open(path, method=method, headers=headers)
                allowed = set(response.headers.get("Allow", "").replace(" ", "").split(","))
                if response.status_code != 405:
                    failures.append(f"{caller} {method} {path}: {response.status_code}")
                elif not rule.methods - {"HEAD", "OPTIONS"} <= allowed:
                    failures.append(f"{caller} {method} {path}: Allow is {allowed}")
    assert not failures, "\n".join(failures)
    assert snapshot(app) == before


# Page POSTs whose URL or form carries their own key (and no session is borrowed): a
# citizen's feedback link, a kiosk's device key. Without the key they are 404 (MATRIX).
CSRF_EXEMPT = {("feedback.answer", "POST"), ("visitors.kiosk_take", "POST")}


def test_every_page_form_needs_a_csrf_token(database_url, world):
    """With CSRF on (as in production), no page POST of the matrix passes without the token."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    objects = Objects(app, world)
    failures, checked = [], 0
    for (endpoint, method), rows in sorted(MATRIX.items()):
        if method == "GET" or endpoint.startswith("api.") or endpoint == "auth.login":
            continue
        if (endpoint, method) in CSRF_EXEMPT:
            continue
        for row in rows if isinstance(rows, list) else [rows]:
            # The caller the table lets through, logged in with a token-carrying form.
            accepted = [c for c, e in zip(CALLERS, row.expect, strict=True) if _accepted(e)]
            if not accepted:
                continue
            caller = accepted[0]
            client = app.test_client()
            if caller != "anonymous":
                login_page = client.get("/login").text
                token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
                client.post(
                    "/login", data={"username": caller, "password": PASSWORD, "csrf_token": token}
                )
            path, kwargs = prepare(caller, row, objects)
            before = snapshot(app)
            status = client.open(path, method=method, **kwargs).status_code
            if status != 400 or snapshot(app) != before:
                failures.append(f"{caller} {method} {row.path}: {status}")
            checked += 1
    assert checked >= 25, "the page forms of the matrix were not found"
    assert not failures, "\n".join(failures)
