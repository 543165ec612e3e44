"""The waiting room's pages: the kiosk, the screen, the desk's queue panel and the links page.

The kiosk and the screen run on devices nobody logs in to. Their address carries the
office's device key (an HMAC of the office code with SECRET_KEY, shown to staff on
/ko): without it they are 404, so no one outside can print tickets or read the screen.
"""

import hashlib
import hmac

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_htmx import make_response

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices
from frontdesk.counter.views import current_office, desk_context
from frontdesk.extensions import csrf, db, htmx
from frontdesk.models import Office, QueueTicket
from frontdesk.roles import DESK_ROLES, Role
from frontdesk.visitors import operations, queries
from frontdesk.visitors.operations import QueueError

bp = Blueprint("visitors", __name__)
SCREEN_POLL_SECONDS = 3
# The kiosk shows the ticket this long before it is ready for the next visitor.
KIOSK_RESET_SECONDS = 8


def device_key(office_code: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(secret, f"queue-device:{office_code}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _device_office(code: str) -> Office:
    """The office of a kiosk or screen address, if its key is right; 404 otherwise."""
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    key = request.values.get("nyckel", "")
    if office is None or not hmac.compare_digest(key.encode(), device_key(office.code).encode()):
        abort(404)
    return office


# --- Kiosk -------------------------------------------------------------------------


@bp.get("/ko/<code>/kiosk")
def kiosk(code: str):
    """The touch screen where a visitor takes a ticket (no keyboard, no login)."""
    office = _device_office(code)
    return render_template(
        "visitors/kiosk.html",
        office=office,
        key=device_key(office.code),
        categories=operations.categories(),
    )


@bp.post("/ko/<code>/kiosk")
@csrf.exempt  # the device key is the kiosk's credential, and a kiosk stays open for days
def kiosk_take(code: str):
    office = _device_office(code)
    try:
        issued = operations.take_ticket(office, request.form.get("category", ""))
    except QueueError as error:
        return render_template(
            "visitors/kiosk.html",
            office=office,
            key=device_key(office.code),
            categories=operations.categories(),
            error=str(error),
        ), error.status
    return render_template(
        "visitors/kiosk_ticket.html",
        office=office,
        key=device_key(office.code),
        issued=issued,
        reset_seconds=KIOSK_RESET_SECONDS,
    ), 201


# --- The waiting room's screen ---------------------------------------------------------


def _screen_context(office: Office) -> dict:
    calls = queries.screen_calls(office.id)
    return {
        "office": office,
        "key": device_key(office.code),
        "latest": calls[0] if calls else None,
        "earlier": calls[1:],
        "status": queries.status(office.id),
        "poll_seconds": SCREEN_POLL_SECONDS,
    }


@bp.get("/ko/<code>/skarm")
def screen(code: str):
    """The numbers called and to which desk, readable across a room; it polls for news."""
    office = _device_office(code)
    return render_template("visitors/screen.html", **_screen_context(office))


@bp.get("/ko/<code>/skarm/lista")
def screen_calls(code: str):
    office = _device_office(code)
    return render_template("visitors/_screen_calls.html", **_screen_context(office))


# --- Staff: the links, the desk's panel ----------------------------------------------


@bp.get("/ko")
@roles_required(*DESK_ROLES)
def devices():
    """The waiting room of each office the user works for: the queue now and the devices' links."""
    offices = [
        office
        for office in all_offices()
        if g.user.role != Role.VAGLEDARE or office.id == g.user.office_id
    ]
    rows = [(office, queries.status(office.id), device_key(office.code)) for office in offices]
    return render_template("visitors/devices.html", rows=rows)


def _panel(office: Office, message: str | None = None, status: int = 200):
    if not htmx:
        if message:
            flash(message, "error" if status >= 400 else "message")
        return redirect(url_for("counter.index"), 303)
    html = render_template(
        "visitors/_desk_panel.html",
        office=office,
        with_ticket_field=True,
        form=None,
        **desk_context(office),
    )
    trigger = {"counter-message": message} if message and status < 400 else None
    if message and status >= 400:
        trigger = {"counter-error": message}
    return make_response(html, status if status < 400 else 200, trigger=trigger)


@bp.get("/disk/ko")
@roles_required(*DESK_ROLES)
def desk_panel():
    """The counter's queue panel (it polls): how many wait, the visitor called here."""
    office = current_office()
    if not htmx:
        return redirect(url_for("counter.index"))
    return render_template(
        "visitors/_desk_panel.html", office=office, form=None, **desk_context(office)
    )


@bp.post("/disk/ko/nasta")
@roles_required(*DESK_ROLES)
def call_next():
    """*Nästa*: the oldest waiting visitor is called to this desk."""
    office = current_office()
    desk = request.form.get("desk", "")
    try:
        ticket = operations.call_next(office, desk, g.user)
    except QueueError as error:
        db.session.rollback()
        return _panel(office, str(error), error.status)
    session["desk"] = desk.strip()
    if ticket is None:
        return _panel(office, "Ingen väntar just nu.", 409)
    return _panel(office, f"Nummer {ticket.number} är inropat till disk {ticket.desk}.")


def _own_ticket(ticket_id: int, office: Office) -> QueueTicket:
    ticket = db.session.get(QueueTicket, ticket_id)
    if ticket is None or ticket.office_id != office.id:
        abort(404)
    return ticket


_ACTION_MESSAGES = {
    "no_show": "Nummer {number} kom inte: markerat som ej på plats.",
    "park": "Nummer {number} är parkerat; kalla in det igen när besökaren är tillbaka.",
    "recall": "Nummer {number} är inropat igen till disk {desk}.",
}


@bp.post("/disk/ko/<int:ticket_id>/ej-pa-plats", defaults={"action": "no_show"})
@bp.post("/disk/ko/<int:ticket_id>/parkera", defaults={"action": "park"})
@bp.post("/disk/ko/<int:ticket_id>/kalla-igen", defaults={"action": "recall"})
@roles_required(*DESK_ROLES)
def move(ticket_id: int, action: str):
    """*Ej på plats*, *Parkera* or *Kalla in igen* for one ticket of the office."""
    office = current_office()
    ticket = _own_ticket(ticket_id, office)
    try:
        operations.move_ticket(
            ticket, action, g.user, request.form.get("desk") or session.get("desk", "")
        )
    except QueueError as error:
        db.session.rollback()
        return _panel(office, str(error), error.status)
    return _panel(office, _ACTION_MESSAGES[action].format(number=ticket.number, desk=ticket.desk))
