"""Storing process maps. A map is never overwritten: each store is a new version."""

import networkx as nx
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from frontdesk.audit import record
from frontdesk.extensions import db
from frontdesk.models import CaseType, ProcessMap, User
from rosa.processmap import to_dict


class MapVersionConflict(Exception):
    """Someone stored a version of the same map at the same moment."""


def store_map(
    case_type: CaseType, graph: nx.DiGraph, source: str, user: User | None, note: str = ""
) -> ProcessMap:
    """Store the graph as the case type's next version, with its audit event."""
    version = (
        db.session.scalar(
            sa.select(sa.func.max(ProcessMap.version)).where(
                ProcessMap.case_type_id == case_type.id
            )
        )
        or 0
    ) + 1
    process_map = ProcessMap(
        case_type_id=case_type.id,
        version=version,
        graph=to_dict(graph),
        source=source,
        note=note[:500],
        created_by=user,
    )
    # The unique (case type, version) decides between two simultaneous stores; the
    # savepoint keeps the rest of the request's transaction usable for the 409.
    try:
        with db.session.begin_nested():
            db.session.add(process_map)
    except IntegrityError as error:
        raise MapVersionConflict(case_type.code) from error
    record(
        "process_map.stored",
        "process_map",
        process_map.id,
        user,
        case_type=case_type.code,
        version=version,
        source=source,
        steps=graph.number_of_nodes(),
        flows=graph.number_of_edges(),
    )
    return process_map
