"""Back-office pages: the queue, one referral with its history, and the actions on it."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk.auth import login_required, roles_required
from frontdesk.backoffice import operations, queries
from frontdesk.backoffice.forms import (
    ActionForm,
    AnswerForm,
    ForwardForm,
    NoteForm,
    ParkForm,
    ReassignForm,
)
from frontdesk.extensions import db, htmx
from frontdesk.inbox.attachments import send_attachment
from frontdesk.mail.outbox import CITIZEN_MAIL, mails_for
from frontdesk.models import CaseType, Office, Queue, Referral, User
from frontdesk.models.referral import ReferralStatus
from frontdesk.roles import HANDLER_ROLES, MANAGER_ROLES, Role
from frontdesk.timeutil import utcnow
from kanaler import CHANNELS

bp = Blueprint("backoffice", __name__, url_prefix="/remisser")


def filters_from(args) -> queries.Filters:
    return queries.Filters(
        queue=args.get("queue", "").strip(),
        status=args.get("status", "").strip(),
        case_type=args.get("case_type", "").strip(),
        office=args.get("office", "").strip(),
        channel=args.get("channel", "").strip(),
        overdue=args.get("overdue") == "1",
        mine=args.get("mine") == "1",
        sort="new" if args.get("sort") == "new" else "due",
    )


MAX_PAGE = 100_000


def page_number(args) -> int:
    """The page asked for, kept within 1..MAX_PAGE; 1 when it is no number."""
    value = args.get("page", "1")
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value.lstrip("0")) > len(str(MAX_PAGE)):  # int() refuses over 4,300 digits
        return MAX_PAGE
    return min(max(1, int(value)), MAX_PAGE)


def _queues_for(user: User) -> list[Queue]:
    query = sa.select(Queue).order_by(Queue.name)
    if user.role == Role.HANDLAGGARE:
        query = query.where(Queue.organisation_id == user.organisation_id)
    return list(db.session.scalars(query))


def _case_types_for(user: User) -> list[CaseType]:
    query = sa.select(CaseType).order_by(CaseType.name)
    if user.role == Role.HANDLAGGARE:
        query = query.where(CaseType.organisation_id == user.organisation_id)
    return list(db.session.scalars(query))


@bp.get("/")
@login_required
def index():
    """The queue: open referrals by due time, filtered, counted and refreshed in place."""
    filters = filters_from(request.args)
    summary = queries.summary(g.user, filters)
    total = queries.open_total(summary, filters)
    page = queries.page_of(g.user, filters, page_number(request.args), total=total)
    context = {
        "page": page,
        "filters": filters,
        "counts": summary.counts,
        "overdue": summary.overdue,
        "now": utcnow(),
    }
    if htmx and htmx.target == "queue-list":
        return render_template("backoffice/_list.html", **context)
    return render_template(
        "backoffice/index.html",
        per_queue=queries.overdue_by_queue(g.user) if g.user.has_role(*MANAGER_ROLES) else [],
        queues=_queues_for(g.user),
        case_types=_case_types_for(g.user),
        offices=db.session.scalars(sa.select(Office).order_by(Office.code)).all(),
        channels=CHANNELS,
        statuses=list(ReferralStatus),
        **context,
    )


def _referral(referral_id: int) -> Referral:
    referral = queries.get_visible(g.user, referral_id)
    if referral is None:
        abort(404)
    return referral


@bp.post("/avisering")
@roles_required(*HANDLER_ROLES)
def notifications():
    """Turn the handler's e-mail about new referrals in their queues on or off."""
    form = ActionForm()
    if not form.validate():
        abort(400)
    wanted = request.form.get("notify") == "1"
    try:
        operations.set_notifications(g.user, wanted)
    except operations.NoUserAddress as error:
        flash(str(error), "error")
        return redirect(url_for("backoffice.index"), 303)
    flash(
        "Du får e-post om nya remisser." if wanted else "Du får inte längre e-post om nya remisser."
    )
    return redirect(url_for("backoffice.index"), 303)


@bp.get("/<int:referral_id>")
@login_required
def show(referral_id: int):
    """One referral: the contact, its state, what can be done with it, and its history."""
    referral = _referral(referral_id)
    return _render_detail(referral)


def _render_detail(referral: Referral, status: int = 200, **forms):
    user = g.user
    address = operations.citizen_address(referral)
    organisation_id = referral.queue.organisation_id
    colleagues = db.session.scalars(
        sa.select(User)
        .where(
            User.role == Role.HANDLAGGARE,
            User.organisation_id == organisation_id,
            User.id != user.id,
            User.active,
        )
        .order_by(User.display_name)
    ).all()
    other_queues = db.session.scalars(sa.select(Queue).order_by(Queue.name)).all()
    return render_template(
        "backoffice/show.html",
        referral=referral,
        message=operations.source_message(referral),
        address=address,
        proposed_delivery=operations.proposed_delivery(referral.contact, address),
        # Whoever may see the matter sees the mail to the citizen: the same answer and
        # address. Staff notifications (their addresses) are not the matter's.
        mails=mails_for(referral_id=referral.id, kinds=CITIZEN_MAIL),
        deliveries=list(operations.AnswerDelivery),
        events=queries.history(referral),
        now=utcnow(),
        colleagues=colleagues,
        own_queues=[q for q in other_queues if q.organisation_id == organisation_id],
        foreign_queues=[q for q in other_queues if q.organisation_id != organisation_id],
        park_form=forms.get("park_form") or ParkForm(formdata=None),
        forward_form=forms.get("forward_form") or ForwardForm(formdata=None),
        reassign_form=forms.get("reassign_form") or ReassignForm(formdata=None),
        answer_form=forms.get("answer_form") or AnswerForm(formdata=None),
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        action_form=ActionForm(formdata=None),
    ), status


def _done(referral: Referral, message: str):
    flash(message)
    if queries.get_visible(g.user, referral.id) is None:  # sent on to another organisation
        return redirect(url_for("backoffice.index"), 303)
    return redirect(url_for("backoffice.show", referral_id=referral.id), 303)


def _refused(referral: Referral, error: operations.ReferralConflict):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(url_for("backoffice.show", referral_id=referral.id), 303)


def _act(referral_id: int, form_class, perform, message: str, form_name: str | None = None):
    """Validate the form, run one operation, and come back to the referral."""
    referral = _referral(referral_id)
    form = form_class()
    if not form.validate():
        if form_name is None:
            abort(400)
        return _render_detail(referral, 422, **{form_name: form})
    try:
        perform(referral, form)
    except operations.ReferralConflict as error:
        return _refused(referral, error)
    return _done(referral, message)


@bp.post("/<int:referral_id>/ta")
@roles_required(*HANDLER_ROLES)
def claim(referral_id: int):
    """Claim the referral (or resume one's own parked one)."""
    return _act(
        referral_id, ActionForm, lambda r, f: operations.claim(r, g.user), "Remissen är din."
    )


@bp.post("/<int:referral_id>/slapp")
@roles_required(*HANDLER_ROLES)
def release(referral_id: int):
    """Put the referral back in the queue."""
    return _act(
        referral_id,
        ActionForm,
        lambda r, f: operations.release(r, g.user),
        "Remissen är tillbaka i kön.",
    )


@bp.post("/<int:referral_id>/parkera")
@roles_required(*HANDLER_ROLES)
def park(referral_id: int):
    """Park the referral until a date, with a reason."""
    return _act(
        referral_id,
        ParkForm,
        lambda r, f: operations.park(r, g.user, f.until.data, f.reason.data.strip()),
        "Remissen är parkerad.",
        "park_form",
    )


@bp.post("/<int:referral_id>/skicka")
@roles_required(*HANDLER_ROLES)
def forward(referral_id: int):
    """Send a misrouted referral to another organisation's queue."""
    return _act(
        referral_id,
        ForwardForm,
        lambda r, f: operations.forward(r, g.user, f.queue.data, f.reason.data.strip()),
        "Remissen är skickad vidare.",
        "forward_form",
    )


@bp.post("/<int:referral_id>/omfordela")
@roles_required(*HANDLER_ROLES)
def reassign(referral_id: int):
    """Hand the referral to a colleague or another queue of the organisation."""
    return _act(
        referral_id,
        ReassignForm,
        lambda r, f: operations.reassign(r, g.user, colleague=f.colleague.data, queue=f.queue.data),
        "Remissen är omfördelad.",
        "reassign_form",
    )


ANSWERED = {
    operations.AnswerDelivery.CALLBACK: "Svaret är skickat till disken, som ringer upp.",
    operations.AnswerDelivery.EMAIL: "Svaret ligger i utkorgen och skickas med e-post.",
    operations.AnswerDelivery.CLOSE: "Remissen är avslutad.",
}


@bp.post("/<int:referral_id>/svara")
@roles_required(*HANDLER_ROLES)
def answer(referral_id: int):
    """Answer the referral: to the desk for a call-back, to the citizen by e-mail, or closed."""
    referral = _referral(referral_id)
    form = AnswerForm()
    if not form.validate():
        return _render_detail(referral, 422, answer_form=form)
    delivery = operations.AnswerDelivery(form.delivery.data)
    try:
        operations.answer(referral, g.user, form.answer.data.strip(), delivery)
    except operations.ReferralConflict as error:
        return _refused(referral, error)
    except operations.NoAddress as error:
        form.delivery.errors.append(str(error))
        return _render_detail(referral, 422, answer_form=form)
    return _done(referral, ANSWERED[delivery])


@bp.post("/<int:referral_id>/anteckning")
@roles_required(*HANDLER_ROLES)
def note(referral_id: int):
    """Add a note to the citizen's matter; the state does not change."""
    return _act(
        referral_id,
        NoteForm,
        lambda r, f: operations.add_note(r, g.user, f.note.data),
        "Anteckningen är sparad.",
        "note_form",
    )


@bp.get("/<int:referral_id>/bilagor/<int:index>")
@login_required
def attachment(referral_id: int, index: int):
    """An attachment of the e-mail the referral came from (404 to anyone who may not see it)."""
    referral = _referral(referral_id)
    response = send_attachment(operations.source_message(referral), index)
    if response is None:
        abort(404)
    return response
