"""ROSA over the API: the staircase, the recommendations and the decisions on them."""

import sqlalchemy as sa
from flask import current_app, g, jsonify, request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import operation
from frontdesk.extensions import db
from frontdesk.models import Office
from frontdesk.periods import FilterError, months_back, read_filters
from frontdesk.recommendations.followup import follow_up
from frontdesk.recommendations.operations import (
    ProposalDecided,
    ProposalNotFound,
    ProposalStale,
    decide,
)
from frontdesk.recommendations.queries import proposals_for, staircase_for
from frontdesk.recommendations.schemas import (
    DecisionInput,
    DecisionOut,
    FollowUpList,
    FollowUpQuery,
    MoveOut,
    ProposalConflict,
    ProposalList,
    ProposalOut,
    RecommendationsQuery,
    StaircaseOut,
    StaircaseQuery,
)
from frontdesk.roles import MANAGER_ROLES
from frontdesk.timeutil import utcnow


@bp.get("/rosa/staircase")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    query=StaircaseQuery,
    out=StaircaseOut,
    ok_description="Levels 1–8.",
    errors=(403, 422),
    refused="Ogiltigt filter.",
)
def staircase():
    """Count, share and cumulative share per ROSA level"""
    try:
        filters = read_filters(request.args, current_app.config["ROSA_PERIOD_MONTHS"])
    except FilterError as error:
        raise ApiError(422, "Ogiltigt filter.", error.fields) from error
    stairs = staircase_for(filters.period, filters.office, filters.case_type)
    return StaircaseOut.model_validate(stairs.as_dict())


@bp.get("/rosa/recommendations")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    query=RecommendationsQuery,
    out=ProposalList,
    ok_description="Best first; decided ones carry their status.",
    errors=(403, 422),
    refused="Ogiltigt filter.",
)
def recommendations():
    """The office's ranked mandate proposals

    422 without a known office.
    """
    code = request.context.query.office
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        raise ApiError(422, "Ogiltigt filter.", {"office": "Välj ett känt kontor."})
    # Proposals always read the configured period (ROSA_PERIOD_MONTHS), the same one a
    # decision is checked against, so an id from this list can be decided.
    views = proposals_for(
        office,
        months_back(current_app.config["ROSA_PERIOD_MONTHS"]),
        current_app.config["ROSA_CEILING"],
    ).views
    return ProposalList([ProposalOut.of(v) for v in views])


@bp.get("/rosa/follow-up")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    query=FollowUpQuery,
    out=FollowUpList,
    ok_description="Newest first.",
    errors=(403, 422),
    refused="Ogiltigt filter.",
)
def follow_up_moves():
    """What each mandate move of an office did

    Every change of a mandate made in the app (approved recommendations and changes by
    hand), with the contacts of equal windows before and after it and a plain verdict
    against what the recommendation estimated. 422 without a known office.
    """
    query = request.context.query
    office = db.session.scalar(sa.select(Office).where(Office.code == query.office))
    if office is None:
        raise ApiError(422, "Ogiltigt filter.", {"office": "Välj ett känt kontor."})
    return FollowUpList([MoveOut.of(m) for m in follow_up(office, utcnow(), query.days)])


@bp.post("/rosa/recommendations/<path:proposal_id>/decision")
@operation(
    tag="rosa",
    roles=MANAGER_ROLES,
    body=DecisionInput,
    out=DecisionOut,
    ok=201,
    ok_description="The decision.",
    errors=(403, 404, 422),
    refused="Beslutet kunde inte tas emot.",
    conflict=ProposalConflict,
    conflict_description="Already decided, or stale.",
    example={"decision": "reject", "note": "Inte nu."},
    path={
        "proposal_id": {
            "description": "A proposal's id from the list: `OFFICE:CASE_TYPE:CURRENT:TARGET`.",
            "schema": {"type": "string", "minLength": 1},
            "example": "K1:PARK:3:4",
        }
    },
)
def recommendation_decision(proposal_id: str):
    """Approve (the mandate changes at once) or reject a proposal"""
    user = g.user
    body: DecisionInput = request.context.json
    try:
        row = decide(
            proposal_id,
            body.decision,
            body.note,
            user,
            months_back(current_app.config["ROSA_PERIOD_MONTHS"]),
            current_app.config["ROSA_CEILING"],
        )
    except ProposalNotFound as error:
        raise ApiError(404, "Förslaget finns inte.") from error
    except ProposalStale as error:
        conflict = ProposalConflict(
            error="Förslaget gäller inte längre (mandatet eller underlaget har ändrats).",
            fields={},
            current_id=error.current.key if error.current else None,
        )
        return jsonify(conflict.model_dump(exclude={"decision"})), 409
    except ProposalDecided as error:
        conflict = ProposalConflict(
            error="Förslaget är redan beslutat.",
            fields={},
            decision=DecisionOut.of(error.decision),
        )
        return jsonify(conflict.model_dump(exclude={"current_id"})), 409
    return DecisionOut.of(row), 201
