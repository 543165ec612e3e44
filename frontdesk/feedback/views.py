"""The citizen's three questions (no login), the desk's tablet, and the managers' NKI page."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, render_template, request, session
from pydantic import ValidationError

from frontdesk.api.payload import parse_json
from frontdesk.api.spec import field_errors
from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices
from frontdesk.extensions import csrf, db, htmx
from frontdesk.feedback import operations, queries
from frontdesk.feedback.forms import FeedbackForm
from frontdesk.feedback.links import feedback_token
from frontdesk.feedback.operations import FeedbackRefused
from frontdesk.feedback.schemas import FeedbackBody
from frontdesk.models import CaseType, Contact
from frontdesk.overview.filters import (
    FilterError,
    bucket_labels,
    bucket_start,
    bucket_starts,
    read_overview_filters,
)
from frontdesk.overview.views import filter_choices
from frontdesk.roles import DESK_ROLES, MANAGER_ROLES
from frontdesk.timeutil import local_today, utcnow
from kanaler import channel_label

bp = Blueprint("feedback", __name__)
# The tablet offers the questions for the guide's latest visit for this long.
TABLET_WINDOW = timedelta(minutes=15)
TABLET_POLL_SECONDS = 3


def _wants_json() -> bool:
    return request.mimetype == "application/json"


def _refused(refused: FeedbackRefused):
    if _wants_json():
        return jsonify(error=str(refused), fields={}), refused.status
    return render_template("feedback/done.html", message=str(refused), refused=True), refused.status


@bp.route("/tyck-till/<token>", methods=["GET", "POST"])
@csrf.exempt  # the link is the key, and a citizen has no session a forgery could borrow
def answer(token: str):
    """The three NKI questions about one contact: JSON or a form, answered once."""
    try:
        operations.contact_for(token)
    except FeedbackRefused as refused:
        return _refused(refused)
    if request.method == "GET":
        return render_template(
            "feedback/answer.html", form=FeedbackForm(formdata=None), token=token
        )
    if _wants_json():
        payload = parse_json()
        if not isinstance(payload, dict):
            return jsonify(error="Begäran ska vara ett JSON-objekt.", fields={}), 400
        try:
            body = FeedbackBody.model_validate(payload)
        except ValidationError as error:
            return jsonify(error="Svaret kunde inte tas emot.", fields=field_errors(error)), 422
        scores, comment = (body.q1, body.q2, body.q3), body.comment or ""
    else:
        form = FeedbackForm()
        if not form.validate():
            template = "feedback/_questions.html" if htmx else "feedback/answer.html"
            return render_template(template, form=form, token=token), 422
        scores, comment = form.answers(), form.comment.data or ""
    try:
        operations.answer(token, *scores, comment)
    except FeedbackRefused as refused:
        return _refused(refused)
    if _wants_json():
        return jsonify(stored=True), 201
    if htmx:  # the desk's tablet: the thanks replace the whole screen
        html = render_template("feedback/_done.html", message="Tack för ditt svar!")
        return html, 201, {"HX-Retarget": "#tablet-screen", "HX-Reswap": "outerHTML"}
    return render_template("feedback/done.html", message="Tack för ditt svar!"), 201


# --- The tablet at the desk ----------------------------------------------------


def _tablet_contact() -> Contact | None:
    """The guide's latest visit of the last minutes, if its questions are still open."""
    contact = db.session.scalar(
        sa.select(Contact)
        .where(
            Contact.staff_id == g.user.id,
            Contact.channel == "besok",
            Contact.created_at >= utcnow() - TABLET_WINDOW,
        )
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(1)
    )
    if contact is None or contact.id == session.get("tablet_skipped"):
        return None
    return None if operations.answered(contact.id) else contact


@bp.get("/disk/surfplatta")
@roles_required(*DESK_ROLES)
def tablet():
    """A tablet facing the visitor: the three questions right after the guide logs the visit."""
    return render_template(
        "feedback/tablet.html", poll_seconds=TABLET_POLL_SECONDS, **_tablet_context()
    )


def _tablet_context() -> dict:
    contact = _tablet_contact()
    return {
        "contact": contact,
        "token": feedback_token(contact.id) if contact else None,
        "form": FeedbackForm(formdata=None),
    }


@bp.get("/disk/surfplatta/fragor")
@roles_required(*DESK_ROLES)
def tablet_questions():
    """What the tablet shows now (it polls): the questions, or a calm waiting screen."""
    context = _tablet_context()
    shown = request.args.get("visar", "")
    if context["contact"] is not None and shown == str(context["contact"].id):
        return "", 204  # the questions on screen are the right ones: leave them alone
    if context["contact"] is None and shown == "":
        return "", 204
    return render_template("feedback/_tablet_screen.html", **context)


@bp.post("/disk/surfplatta/hoppa-over/<int:contact_id>")
@roles_required(*DESK_ROLES)
def tablet_skip(contact_id: int):
    """The visitor did not want to answer: wait for the next visit."""
    session["tablet_skipped"] = contact_id
    return render_template("feedback/_tablet_screen.html", contact=None, token=None, form=None)


# --- NKI for managers ---------------------------------------------------------------


@bp.get("/oversikt/nki")
@roles_required(*MANAGER_ROLES)
def nki():
    """NKI per office, channel, case type and level, the response rate, and the comments."""
    try:
        filters = read_overview_filters(request.args)
    except FilterError as error:
        return render_template(
            "feedback/nki.html",
            filters=None,
            errors=error.fields,
            args=request.args,
            **filter_choices(),
        ), 422
    scope = queries.Scope(
        filters.period.first,
        filters.period.last,
        filters.office.id if filters.office else None,
        filters.channel,
        filters.case_type_ids(),
    )
    case_types = {c.id: c for c in db.session.scalars(sa.select(CaseType))}
    starts = bucket_starts(filters.period, filters.bucket)
    labels = dict(
        zip(
            starts,
            bucket_labels(filters.period, filters.bucket, starts, local_today()),
            strict=True,
        )
    )
    by_period = queries.combined(
        queries.nki_rows(scope, "day"), lambda day: bucket_start(day, filters.bucket)
    )
    offices = {o.id: o for o in all_offices()}
    return render_template(
        "feedback/nki.html",
        filters=filters,
        errors={},
        args=request.args,
        total=queries.overall(scope),
        tables=[
            (
                "Per kontor",
                "Kontor",
                queries.nki_rows(scope, "office"),
                lambda key: offices[key].name if key in offices else str(key),
            ),
            ("Per kanal", "Kanal", queries.nki_rows(scope, "channel"), channel_label),
            ("Per ROSA-nivå", "Nivå", queries.nki_rows(scope, "level"), lambda key: f"Nivå {key}"),
            ("Per period", "Period", by_period, lambda start: labels.get(start, str(start))),
            (
                "Per ärendetyp",
                "Ärendetyp",
                queries.nki_rows(scope, "case_type"),
                lambda key: case_types[key].name if key in case_types else str(key),
            ),
        ],
        comments=queries.comments(scope),
        few=queries.FEW_RESPONDENTS,
        **filter_choices(),
    )
