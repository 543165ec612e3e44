"""Referrals over the API: list, read, history, and the back-office actions.

Every referral carries its version as the ETag; a change may send If-Match and gets
412 when someone changed the referral since. A refused transition is 409 with the
referral's current status (and its ETag).
"""

from flask import g, request, url_for

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import ETAG, MAX_ID, Id, operation
from frontdesk.backoffice import operations, queries
from frontdesk.backoffice.schemas import (
    AnswerInput,
    ForwardInput,
    ParkInput,
    ReferralConflict,
    ReferralEvent,
    ReferralHistory,
    ReferralOut,
    ReferralPage,
    ReferralQuery,
)
from frontdesk.inbox.attachments import send_attachment
from frontdesk.models import Referral
from frontdesk.roles import DESK_ROLES, HANDLER_ROLES

HANDLERS = "of the referral's organisation"
AS_FOR_THE_LIST = "as for the list"
REFERRAL_ID = {
    "description": "The referral's id.",
    "example": 1,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        'The ETag read before (`"3"`, `W/"3"` or `*`); 412 when the referral changed since.'
    ),
    "schema": {"type": "string"},
    "example": '"1"',
}


def _etag(referral: Referral) -> dict:
    return {"ETag": f'"{referral.version}"'}


def _referral(referral_id: int) -> Referral:
    referral = queries.get_visible(g.user, referral_id)
    if referral is None:
        raise ApiError(404, "Remissen finns inte.")
    return referral


def _seen_version() -> int | None:
    """The version in If-Match, if the client sent one (`*`: any)."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ApiError(400, "If-Match ska vara en version från ETag.", {"If-Match": "Ogiltig."})
    return int(value)


@bp.get("/referrals")
@operation(
    tag="referrals",
    who="everyone (a handläggare sees their organisation's, a vägledare their office's)",
    query=ReferralQuery,
    invalid_query=400,
    refused="Ogiltig parameter.",
    out=ReferralPage,
    ok_description="One page.",
)
def list_referrals():
    """The referrals the caller may see, filtered and paged"""
    args: ReferralQuery = request.context.query
    filters = queries.Filters(queue=args.queue, status=args.status, sort=args.sort)
    page = queries.page_of(g.user, filters, args.page, args.per_page)
    # The source messages of the whole page in one query, not one per referral.
    messages = operations.source_messages([r.contact_id for r in page.rows])
    next_url = None
    if page.page < page.pages:
        next_url = url_for(
            "api.list_referrals", **{**request.args.to_dict(), "page": page.page + 1}
        )
    return ReferralPage(
        referrals=[ReferralOut.of(r, messages.get(r.contact_id)) for r in page.rows],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        next=next_url,
    )


@bp.get("/referrals/<int:referral_id>")
@operation(
    tag="referrals",
    who=AS_FOR_THE_LIST,
    out=ReferralOut,
    ok_description="The referral.",
    errors=(404,),
    headers=ETAG,
    path={"referral_id": REFERRAL_ID},
)
def get_referral(referral_id: Id):
    """One referral, with its version as the ETag"""
    referral = _referral(referral_id)
    return ReferralOut.of(referral), 200, _etag(referral)


@bp.get("/referrals/<int:referral_id>/attachments/<int:index>")
@operation(
    tag="referrals",
    who=AS_FOR_THE_LIST,
    ok_description="The file as it came with the e-mail.",
    errors=(404,),
    headers={
        "Content-Disposition": {
            "description": "`attachment` with the file's name.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    out_content={
        "application/octet-stream": {
            "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
        }
    },
    path={
        "referral_id": REFERRAL_ID,
        "index": {
            "description": "The attachment's place in `message.attachments`, from 0.",
            "example": 0,
            "schema": {"type": "integer", "minimum": 0},
        },
    },
)
def referral_attachment(referral_id: Id, index: int):
    """An attachment of the e-mail the referral came from, as a download

    404 when the caller may not see the referral, it came from no e-mail, or the file
    was not kept.
    """
    referral = _referral(referral_id)
    response = send_attachment(operations.source_message(referral), index)
    if response is None:
        raise ApiError(404, "Bilagan finns inte.")
    return response  # streamed from the file as it was kept


@bp.get("/referrals/<int:referral_id>/events")
@operation(
    tag="referrals",
    who=AS_FOR_THE_LIST,
    out=ReferralHistory,
    ok_description="Who did what, when, from which status to which.",
    errors=(404,),
    path={"referral_id": REFERRAL_ID},
)
def referral_events(referral_id: Id):
    """The referral's history"""
    referral = _referral(referral_id)
    return ReferralHistory(events=[ReferralEvent.of(e) for e in queries.history(referral)])


def _action(body: type | None = None, *, roles=HANDLER_ROLES, who: str = HANDLERS, example=None):
    """A back-office action: the referral after the change with its ETag, or 409/412."""
    return operation(
        tag="referrals",
        roles=roles,
        who=who,
        body=body,
        out=ReferralOut,
        ok_description="The referral after the change.",
        errors=(400, 403, 404, 412) + ((422,) if body is not None else ()),
        headers=ETAG,
        example=example,
        conflict=ReferralConflict,
        conflict_description="The change does not fit the referral's state.",
        conflict_headers=ETAG,
        path={"referral_id": REFERRAL_ID},
        parameters=[IF_MATCH],
    )


def _act(referral_id: int, perform):
    """Do the change on the version the client saw; answer the referral as it is after."""
    referral = _referral(referral_id)
    seen = _seen_version()
    try:
        perform(referral, seen)
    except operations.StaleVersion as error:
        raise ApiError(
            412,
            "Remissen har ändrats sedan du läste den.",
            {"version": str(error.referral.version)},
        ) from error
    except operations.ReferralConflict as error:
        return ReferralConflict.of(error), 409, _etag(error.referral)
    return ReferralOut.of(referral), 200, _etag(referral)


@bp.post("/referrals/<int:referral_id>/claim")
@_action()
def claim_referral(referral_id: Id):
    """Claim a new referral"""
    return _act(referral_id, lambda r, v: operations.claim(r, g.user, v))


@bp.post("/referrals/<int:referral_id>/release")
@_action()
def release_referral(referral_id: Id):
    """Put a claimed referral back in the queue"""
    return _act(referral_id, lambda r, v: operations.release(r, g.user, v))


@bp.post("/referrals/<int:referral_id>/park")
@_action(ParkInput, example={"until": "2099-01-01", "reason": "Väntar på intyg."})
def park_referral(referral_id: Id):
    """Park a referral until a date"""
    body: ParkInput = request.context.json
    return _act(referral_id, lambda r, v: operations.park(r, g.user, body.until, body.reason, v))


@bp.post("/referrals/<int:referral_id>/forward")
@_action(ForwardInput, example={"queue": "TEK-GATA", "reason": "Fel förvaltning."})
def forward_referral(referral_id: Id):
    """Forward a referral to another organisation's queue"""
    body: ForwardInput = request.context.json
    queue = queries.queue_by_code(body.queue)
    if queue is None:
        raise ApiError(422, "Uppgifterna kunde inte tas emot.", {"queue": "Okänd kö."})
    return _act(referral_id, lambda r, v: operations.forward(r, g.user, queue, body.reason, v))


@bp.post("/referrals/<int:referral_id>/answer")
@_action(AnswerInput, example={"answer": "Beviljas.", "callback": True})
def answer_referral(referral_id: Id):
    """Answer a referral you hold

    `callback: true` sends the answer to the front desk, which calls the citizen back
    (status aterford); `callback: false` closes the referral; `send_email: true` (with
    `callback` left out or false) queues the answer by e-mail to the contact's citizen
    address, or the source message's sender, and closes the referral. 422 `send_email`
    when the matter has no address, or when both are true; 422 `callback` when neither
    is given.
    """
    body: AnswerInput = request.context.json
    try:
        return _act(
            referral_id,
            lambda r, v: operations.answer(r, g.user, body.answer, body.delivery, v),
        )
    except operations.NoAddress as error:
        raise ApiError(422, str(error), {"send_email": str(error)}) from error


@bp.post("/referrals/<int:referral_id>/callback-done")
@_action(roles=DESK_ROLES, who="a vägledare of the referral's office")
def callback_done_referral(referral_id: Id):
    """Close a referral the front desk has called back on (status aterford)"""
    return _act(referral_id, lambda r, v: operations.callback_done(r, g.user, v))
