"""Inbox pages for guides, and the public web form where citizens ask a question."""

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
from sqlalchemy.orm import joinedload

from frontdesk.auth import roles_required
from frontdesk.catalog.queries import all_offices
from frontdesk.counter.operations import ContactError, ContactInput
from frontdesk.counter.queries import catalogue_for
from frontdesk.extensions import db
from frontdesk.inbox.forms import LetterForm, ReplyForm, TriageForm, WebForm
from frontdesk.inbox.operations import (
    InboxConflict,
    InboxRefused,
    OtherOffice,
    TooManyQuestions,
    ask_question,
    mark_spam,
    register_letter,
    reply,
    reply_address,
    triage,
    visible_messages,
)
from frontdesk.mail.outbox import mails_for
from frontdesk.models import CaseType, Contact, InboxMessage, Office, Referral
from frontdesk.models.inbox import INBOX_STATUSES
from frontdesk.roles import DESK_ROLES
from frontdesk.templating import OUTCOME_LABELS
from frontdesk.timeutil import local_today
from frontdesk.web import client_address_hash
from kanaler import channel_label
from rosa import LEVELS

bp = Blueprint("inbox", __name__, url_prefix="/inkorg")
public_bp = Blueprint("public", __name__)
TOO_MANY = "Du har skickat många frågor på kort tid. Vänta en stund och försök igen."
STATUS_LABELS = {
    "new": "Ny",
    "triaged": "Triagerad",
    "answered": "Besvarad direkt",
    "spam": "Skräp",
}
REPLY_NOT_SENT = (
    "Du har skrivit ett svar: klicka Svara för att skicka det, eller töm rutan för att triagera."
)


@bp.errorhandler(InboxConflict)
def handled_by_someone_else(conflict: InboxConflict):
    """Someone was first: say who, and show the message as it is now (nothing was written)."""
    flash(str(conflict), "error")
    return redirect(url_for("inbox.show", message_id=conflict.message.id), 303)


def _message(message_id: int) -> InboxMessage:
    message = db.session.scalar(visible_messages(g.user).where(InboxMessage.id == message_id))
    if message is None:
        abort(404)
    return message


@bp.get("/")
@roles_required(*DESK_ROLES)
def index():
    """Messages waiting for triage (or, filtered, the handled ones), oldest first."""
    status = request.args.get("status", "new")
    if status not in INBOX_STATUSES:
        status = "new"
    query = (
        visible_messages(g.user)
        .where(InboxMessage.status == status)
        .options(
            joinedload(InboxMessage.office),
            # What each handled message became, for the list's Utfall: no query per row.
            joinedload(InboxMessage.contact)
            .joinedload(Contact.referral)
            .joinedload(Referral.queue),
        )
        .order_by(
            InboxMessage.received_at.asc() if status == "new" else InboxMessage.received_at.desc()
        )
        .limit(200)
    )
    counts = dict(
        db.session.execute(
            visible_messages(g.user)
            .with_only_columns(InboxMessage.status, sa.func.count())
            .group_by(InboxMessage.status)
        ).all()
    )
    return render_template(
        "inbox/index.html",
        messages=db.session.scalars(query).all(),
        status=status,
        counts=counts,
        status_labels=STATUS_LABELS,
        handled_label=_handled_label,
        channel_label=channel_label,
    )


def _handled_label(message: InboxMessage) -> str:
    """What became of the message, in plain Swedish."""
    if message.status == "triaged" and message.contact is not None:
        contact = message.contact
        if contact.referral is not None:
            return f"Remitterat till {contact.referral.queue.name}"
        return OUTCOME_LABELS.get(contact.outcome, STATUS_LABELS["triaged"])
    return STATUS_LABELS[message.status]


def _page(message: InboxMessage, form=None, status=200):
    """The message and, while it is new, one form to triage or answer it (the counter's controls)."""
    office = message.office
    contact = message.contact
    return (
        render_template(
            "inbox/show.html",
            message=message,
            office=office,
            form=form or ReplyForm(formdata=None, office=office),
            address=reply_address(message),
            mails=mails_for(inbox_message_id=message.id),
            handled_label=_handled_label(message),
            contact_referral=contact.referral.id if contact and contact.referral else None,
            catalogue=catalogue_for(office),
            offices=all_offices(),
            levels=LEVELS,
            channel_label=channel_label,
        ),
        status,
    )


@bp.get("/<int:message_id>")
@roles_required(*DESK_ROLES)
def show(message_id: int):
    """One message, shown as plain text, with triage, reply and spam."""
    return _page(_message(message_id))


def _input(form: TriageForm, message: InboxMessage) -> ContactInput:
    office = form.office.data or message.office
    return ContactInput(
        office=office,
        channel=message.channel,
        case_type=form.case_type.data,
        rosa_level=form.rosa_level.data,
        put_through=form.put_through.data,
    )


@bp.post("/<int:message_id>/triage")
@roles_required(*DESK_ROLES)
def triage_message(message_id: int):
    """Triage: the message becomes a contact, referred where the mandate says so."""
    message = _message(message_id)
    form = TriageForm()
    typed_reply = request.form.get("reply", "").strip()
    if not form.validate() or typed_reply:
        # One form for both, shown again with what was typed. A reply typed and then
        # Triagera (or Enter) would be lost: refused and said on the reply. Without one,
        # the reply field is not required for a triage, so it shows no error.
        page_form = ReplyForm()
        page_form.validate()
        page_form.reply.errors = [REPLY_NOT_SENT] if typed_reply else []
        return _page(message, page_form, status=422)
    try:
        logged = triage(message, _input(form, message), g.user)
    except OtherOffice:
        abort(403)
    except ContactError as error:
        db.session.rollback()  # the message stays new; nothing of the attempt is kept
        form.case_type.errors = [str(error)]
        return _page(_message(message_id), form, status=409)
    if logged.referral_id:
        flash(f"{message.receipt} är remitterat till {logged.queue.name}.")
    else:
        # What the triage decided, as the guide says it (not "triagerat (informerat)").
        flash(f"{message.receipt} är {OUTCOME_LABELS[logged.outcome.value].lower()}.")
    return redirect(url_for("inbox.index"), 303)


@bp.post("/<int:message_id>/svar")
@roles_required(*DESK_ROLES)
def reply_message(message_id: int):
    """Answer directly: a contact answered at first contact, with the reply kept."""
    message = _message(message_id)
    form = ReplyForm()
    if not form.validate():
        return _page(message, form, status=422)
    try:
        reply(message, _input(form, message), form.reply.data, g.user)
    except OtherOffice:
        abort(403)
    except InboxRefused as refused:
        form[refused.field].errors = [str(refused)]
        return _page(message, form, status=422)
    flash(f"{message.receipt} är besvarat; svaret skickas med e-post till avsändaren.")
    return redirect(url_for("inbox.index"), 303)


@bp.post("/<int:message_id>/skrap")
@roles_required(*DESK_ROLES)
def spam(message_id: int):
    """Set a message aside as spam."""
    message = _message(message_id)
    mark_spam(message, g.user)
    flash(f"{message.receipt} är markerat som skräp.")
    return redirect(url_for("inbox.index"), 303)


@bp.route("/brev", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def letter():
    """Register a paper letter as an inbox message with channel brev."""
    form = LetterForm(received_on=local_today())
    office = g.user.office or db.session.scalar(sa.select(Office).order_by(Office.code))
    if request.method == "POST":
        if form.validate():
            try:
                message = register_letter(
                    office,
                    form.sender.data,
                    form.subject.data,
                    form.body.data,
                    form.received_on.data,
                    g.user,
                )
            except InboxRefused as refused:
                form.received_on.errors.append(str(refused))
            else:
                flash(f"Brevet är registrerat som {message.receipt}.")
                return redirect(url_for("inbox.show", message_id=message.id), 303)
        return render_template("inbox/letter.html", form=form, office=office), 422
    return render_template("inbox/letter.html", form=form, office=office)


# --- The public web form ------------------------------------------------------------


def _topics() -> list[str]:
    rows = db.session.scalars(
        sa.select(CaseType.category).where(CaseType.active).distinct().order_by(CaseType.category)
    )
    return [c for c in rows if c] + ["Annat"]


def _public_office() -> Office | None:
    code = current_app.config.get("PUBLIC_FORM_OFFICE")
    query = sa.select(Office).order_by(Office.code)
    if code:
        query = query.where(Office.code == code)
    return db.session.scalar(query)


@public_bp.route("/kontakta-oss", methods=["GET", "POST"])
def contact_form():
    """A citizen asks a question; it lands in the office's inbox as a web message."""
    form = WebForm()
    topics = _topics()
    if request.method == "GET":
        return render_template("public/contact.html", form=form, topics=topics)
    if not form.validate():
        return render_template("public/contact.html", form=form, topics=topics), 422
    if form.website.data:
        # A bot filled the hidden field: answer as if all went well and store nothing.
        session["receipt"] = "W-" + "0" * 8
        return redirect(url_for("public.receipt"), 303)
    office = _public_office()
    if office is None:
        abort(503)
    try:
        message = ask_question(
            office,
            form.question.data,
            form.email.data or "",
            form.topic.data if form.topic.data in topics else "",
            client_address_hash("web-form"),
            current_app.config.get("WEB_FORM_LIMIT_PER_HOUR", 5),
        )
    except TooManyQuestions:
        return render_template(
            "public/contact.html", form=form, topics=topics, limited=TOO_MANY
        ), 429
    session["receipt"] = message.receipt
    return redirect(url_for("public.receipt"), 303)


@public_bp.get("/kontakta-oss/tack")
def receipt():
    """The receipt number of the question just sent."""
    number = session.pop("receipt", None)
    if number is None:
        return redirect(url_for("public.contact_form"))
    return render_template("public/receipt.html", receipt=number)
