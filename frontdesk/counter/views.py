"""Counter pages. Each view parses a form, calls one operation and renders a template."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_htmx import make_response

from frontdesk.auth import roles_required
from frontdesk.backoffice import operations as backoffice_operations
from frontdesk.backoffice import queries as backoffice_queries
from frontdesk.counter import queries
from frontdesk.counter.forms import ContactForm, PreviewForm, find_case_type
from frontdesk.counter.guidance_search import QUERY_MAX, SearchError, search_guidance
from frontdesk.counter.operations import (
    ContactError,
    ContactInput,
    correct_contact,
    delete_contact,
    log_contact,
    set_repeat,
)
from frontdesk.extensions import db, htmx
from frontdesk.mandates.operations import mandate_level
from frontdesk.models import CaseType, Contact, Office
from frontdesk.roles import DESK_ROLES, Role
from frontdesk.templating import render_partial
from frontdesk.visitors import queries as visitor_queries
from rosa import LEVELS
from rosa.levels import MAX_LEVEL, MIN_LEVEL

# Longer than any "CODE – name" the type-ahead writes: not worth a query.

bp = Blueprint("counter", __name__)


CONTACT_LOGGED = "contact-logged"


def current_office() -> Office:
    """The guide's own office; managers and admins pick one (remembered in the session)."""
    if g.user.office is not None:
        return g.user.office
    code = request.args.get("office") or session.get("office_code")
    office = None
    if code:
        office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        office = db.session.scalar(sa.select(Office).order_by(Office.code))
    if office is None:
        abort(404)
    session["office_code"] = office.code
    return office


def get_own_contact(contact_id: int) -> Contact:
    """A contact of the user's office, or 404: other offices' contacts are not revealed."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.office_id != current_office().id:
        abort(404)
    return contact


def _input_from(form: ContactForm, office: Office) -> ContactInput:
    return ContactInput(
        office=office,
        channel=form.channel.data,
        case_type=form.case_type.data,
        rosa_level=form.rosa_level.data,
        note=form.note.data or "",
        duration_seconds=form.duration_seconds,
        put_through=form.put_through,
        is_repeat=form.repeat.data,
        question_required_if_referred=True,
        submission_key=form.submission_key,
        ticket_id=form.ticket.data,
        **form.citizen_input(),
    )


def _callbacks_context(office: Office) -> dict:
    """The answers waiting at the desk, and where each could be e-mailed instead."""
    callbacks = backoffice_queries.callbacks(office)
    return {"callbacks": callbacks, "addresses": backoffice_queries.reply_addresses(callbacks)}


def desk_context(office: Office) -> dict:
    """The queue panel's figures: the waiting room, the visitor called to this desk."""
    desk_queue = visitor_queries.desk_queue(office.id, g.user)
    return {
        "queue": desk_queue,
        "called_ticket": desk_queue.called,
        "desk": session.get("desk", ""),
    }


def _form_preview(form: ContactForm, office: Office) -> queries.RoutePreview | None:
    """The routing preview for a form the server shows again (an error, a correction).

    Rendered into the page, so it is there without JavaScript and without a first request.
    """
    level, case_type = form.rosa_level.data, form.case_type.data
    if not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL or case_type is None:
        return None
    return queries.route_preview(office, case_type, level, form.put_through)


def _form_partial(form: ContactForm, office: Office) -> str:
    """The contact form alone (an htmx answer), with its routing preview."""
    return render_partial(
        "counter/_form.html", form=form, levels=LEVELS, preview=_form_preview(form, office)
    )


def _page_context(office: Office, form: ContactForm, decision: Contact | None = None) -> dict:
    return {
        "office": office,
        "offices": db.session.scalars(sa.select(Office).order_by(Office.code)).all(),
        "form": form,
        "preview": _form_preview(form, office),
        "levels": LEVELS,
        "catalogue": queries.catalogue_for(office),
        "catalogue_version": queries.catalogue_version(office),
        **queries.today(office),
        **_callbacks_context(office),
        **desk_context(office),
        "decision": decision,
    }


@bp.route("/disk")
@roles_required(*DESK_ROLES)
def index():
    """The counter page: the contact form, the guidance panel and today's contacts."""
    office = current_office()
    form = ContactForm(formdata=None, data={"channel": request.args.get("kanal", "besok")})
    decision = None
    last_id = session.pop("last_contact_id", None)
    previewed = session.pop("last_contact_previewed", None)
    if last_id is not None:
        decision = db.session.get(Contact, last_id)
    return render_template(
        "counter/index.html", previewed=previewed, **_page_context(office, form, decision)
    )


@bp.post("/disk/kontakter")
@roles_required(*DESK_ROLES)
def create_contact():
    """Log a contact and show the routing decision; the form comes back ready for the next one."""
    office = current_office()
    form = ContactForm()
    if not form.validate():
        if htmx:
            return _form_partial(form, office), 422
        return render_template("counter/index.html", **_page_context(office, form)), 422
    try:
        logged = log_contact(_input_from(form, office), g.user)
    except ContactError as error:
        message = str(error)
        if error.field == "question" and form.previewed not in (None, "eskalerat"):
            # The page said the desk may answer: say why it is a referral after all.
            message = (
                f"Mandatet har ändrats sedan sidan laddades: kontakten blir en remiss. {error}"
            )
        form[error.field].errors.append(message)
        if htmx:
            return _form_partial(form, office), 422
        return render_template("counter/index.html", **_page_context(office, form)), 422
    if not htmx:
        # Post/redirect/get: the page shows the decision once after the redirect.
        session["last_contact_id"] = logged.id
        session["last_contact_previewed"] = form.previewed
        return redirect(url_for("counter.index", kanal=form.channel.data), 303)
    fresh = ContactForm(formdata=None, data={"channel": form.channel.data})
    html = render_partial(
        "counter/_form.html",
        form=fresh,
        levels=LEVELS,
        decision=db.session.get(Contact, logged.id),
        previewed=form.previewed,
        oob_decision=True,
    )
    return make_response(html, trigger={CONTACT_LOGGED: logged.id})


@bp.get("/disk/kontakter/idag")
@roles_required(*DESK_ROLES)
def todays_contacts():
    """Today's contacts of the office: the fragment the page polls."""
    office = current_office()
    if not htmx:
        return redirect(url_for("counter.index"))
    return render_partial("counter/_today.html", **queries.today(office))


@bp.get("/disk/katalog")
@roles_required(*DESK_ROLES)
def catalogue():
    """The office's case types for the type-ahead (with the mandate it shows); 304 while unchanged.

    The page polls it, so a mandate changed anywhere reaches an open counter within a
    poll: the page then asks for its preview and guidance again. The version is a hash
    of what routing reads, cheap to compute every time.
    """
    office = current_office()
    version = queries.catalogue_version(office)
    if request.if_none_match.contains(version):
        response = make_response("", 304)
    else:
        response = jsonify(version=version, case_types=queries.catalogue_for(office))
    response.set_etag(version)
    return response


class PreviewRefused(Exception):
    """A preview request the server cannot answer: the message says why, in Swedish."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def _preview_office(office: Office | None) -> Office:
    """The counter page's office, or the office a form names (the inbox's triage form).

    A guide previews for the own office only, as a guide logs (and triages) only there;
    naming an office does not change the office a manager's counter page remembers.
    """
    if office is None:
        return current_office()
    if g.user.role == Role.VAGLEDARE and office.id != g.user.office_id:
        raise PreviewRefused("Du registrerar bara kontakter för ditt eget kontor.", 403)
    return office


def _preview_input() -> tuple[Office, CaseType, int | None, bool]:
    """The office, case type, level (None: not chosen yet) and put-through of a preview,
    read with the contact form's own fields and messages."""
    form = PreviewForm(request.args)
    if not form.validate():
        missing = not form.case_type.raw_data or not form.case_type.raw_data[0].strip()
        message = next(iter(form.errors.values()))[0]
        raise PreviewRefused(message, 400 if missing else 422)
    office = _preview_office(form.office.data)
    return office, form.case_type.data, form.rosa_level.data, form.put_through


@bp.get("/disk/forhandsvisning")
@roles_required(*DESK_ROLES)
def preview():
    """What logging the contact would do now, from rosa.route: the form's preview line.

    The page asks whenever case type, level or "kopplat" change; the rule stays here.
    """
    try:
        office, case_type, level, put_through = _preview_input()
    except PreviewRefused as refused:
        return render_partial("counter/_preview.html", error=str(refused)), refused.status
    return render_partial(
        "counter/_preview.html",
        preview=queries.route_preview(office, case_type, level, put_through),
    )


@bp.get("/disk/arendetyper/<code>")
@roles_required(*DESK_ROLES)
def guidance(code: str):
    """The guidance panel for a case type: what the desk may answer, owner, queue, mandate."""
    case_type = find_case_type(code)
    if case_type is None:
        abort(404)
    office = current_office()
    context = {
        "case_type": case_type,
        "mandate": mandate_level(office, case_type),
        "levels": LEVELS,
    }
    if htmx:
        return render_partial("counter/_guidance.html", **context)
    # A search hit followed without JavaScript: the card on a page of its own.
    return render_template("counter/guidance.html", **context)


@bp.get("/disk/vagledning")
@roles_required(*DESK_ROLES)
def guidance_search():
    """*Sök i vägledningen*: case types by code, name, category, keywords and guidance text."""
    query = request.args.get("q", "")
    try:
        hits, message = search_guidance(query), None
    except SearchError as error:
        hits, message = [], str(error)
    context = {"query": query[: QUERY_MAX * 2], "hits": hits, "message": message}
    if htmx:
        return render_partial("counter/_guidance_results.html", **context)
    return render_template("counter/guidance_search.html", query_max=QUERY_MAX, **context)


@bp.route("/disk/kontakter/<int:contact_id>/andra", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def edit_contact(contact_id: int):
    """Correct one's own contact of today; it is routed again."""
    contact = get_own_contact(contact_id)
    office = current_office()
    error = None
    if request.method == "POST":
        form = ContactForm()
        if form.validate():
            try:
                correct_contact(contact, _input_from(form, office), g.user)
            except ContactError as exc:
                error = str(exc)
            else:
                flash("Kontakten är ändrad.")
                return redirect(url_for("counter.index"))
    else:
        form = ContactForm(
            formdata=None,
            data={
                "channel": contact.channel,
                "case_type": contact.case_type,
                "rosa_level": contact.rosa_level,
                "note": contact.note,
                "duration_minutes": (
                    None if contact.duration_seconds is None else contact.duration_seconds // 60
                ),
                "outcome": "kopplat" if contact.outcome == "kopplat" else "",
                "repeat": contact.is_repeat,
                # The citizen's details and question stay unless the guide changes them.
                "citizen_name": contact.citizen_name,
                "citizen_phone": contact.citizen_phone,
                "citizen_email": contact.citizen_email,
                "reach_by": contact.reach_by,
                "question": contact.question,
            },
        )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "counter/edit.html",
        contact=contact,
        form=form,
        levels=LEVELS,
        error=error,
        preview=_form_preview(form, office),
        catalogue=queries.catalogue_for(office),
    ), status


def _after_list_change(message: str):
    if htmx:
        office = current_office()
        return make_response(
            render_partial("counter/_today.html", **queries.today(office)),
            trigger={"counter-message": message},
        )
    flash(message)
    return redirect(url_for("counter.index"))


@bp.post("/disk/kontakter/<int:contact_id>/ta-bort")
@roles_required(*DESK_ROLES)
def remove_contact(contact_id: int):
    """Delete one's own contact of today (logged by mistake)."""
    contact = get_own_contact(contact_id)
    try:
        delete_contact(contact, g.user)
    except ContactError as exc:
        return _refused(str(exc))
    return _after_list_change("Kontakten är borttagen.")


@bp.post("/disk/kontakter/<int:contact_id>/upprepad")
@roles_required(*DESK_ROLES)
def toggle_repeat(contact_id: int):
    """Flag or unflag a contact as a repeat about the same matter."""
    contact = get_own_contact(contact_id)
    try:
        set_repeat(contact, not contact.is_repeat, g.user)
    except ContactError as exc:
        return _refused(str(exc))
    label = "markerad som upprepad" if contact.is_repeat else "inte längre markerad som upprepad"
    return _after_list_change(f"Kontakten är {label}.")


def _refused(message: str):
    db.session.rollback()  # a refused operation may have touched the session before it refused
    if htmx:
        return make_response(message, 409, trigger={"counter-error": message})
    flash(message, "error")
    return redirect(url_for("counter.index"), 303)


@bp.get("/disk/aterkopplingar")
@roles_required(*DESK_ROLES)
def callbacks():
    """Answers from the back office waiting for a call to the citizen: the polled fragment."""
    office = current_office()
    if not htmx:
        return redirect(url_for("counter.index"))
    return render_partial("counter/_callbacks.html", **_callbacks_context(office))


def _close_callback(referral_id: int, perform, message: str):
    """Close one of the office's call-backs with `perform`; the list comes back without it."""
    office = current_office()
    referral = backoffice_queries.get_visible(g.user, referral_id)
    if referral is None or referral.contact.office_id != office.id:
        abort(404)
    try:
        perform(referral, g.user)
    except backoffice_operations.ReferralConflict as error:
        return _refused(error.message)
    except backoffice_operations.NoAddress as error:
        return _refused(str(error))
    if not htmx:
        flash(message)
        return redirect(url_for("counter.index"), 303)
    return make_response(
        render_partial("counter/_callbacks.html", **_callbacks_context(office)),
        trigger={"counter-message": message},
    )


@bp.post("/disk/aterkopplingar/<int:referral_id>/klar")
@roles_required(*DESK_ROLES)
def callback_done(referral_id: int):
    """The citizen has been called back: the referral is closed."""
    return _close_callback(
        referral_id,
        backoffice_operations.callback_done,
        "Återkopplingen är klar och remissen avslutad.",
    )


@bp.post("/disk/aterkopplingar/<int:referral_id>/epost")
@roles_required(*DESK_ROLES)
def callback_by_email(referral_id: int):
    """The citizen left only an e-mail address: the answer goes there, the referral closes."""
    return _close_callback(
        referral_id,
        backoffice_operations.callback_by_email,
        "Svaret ligger i utkorgen och skickas med e-post; remissen är avslutad.",
    )
