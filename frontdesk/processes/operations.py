"""Storing process maps. A map is never overwritten: each store is a new version."""

from collections.abc import Callable

import networkx as nx
import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.database import insert_unless_taken
from frontdesk.extensions import db
from frontdesk.models import CaseType, ProcessMap, User
from frontdesk.processes.queries import graph_of, latest_map
from frontdesk.timeutil import utcnow
from kanaler import mask_personnummer
from rosa.processmap import ProcessMapError, to_dict


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
    process_map_id = insert_unless_taken(
        ProcessMap.__table__,
        {
            "case_type_id": case_type.id,
            "version": version,
            "graph": to_dict(graph),
            "source": source,
            "note": mask_personnummer(note)[:500],
            "created_at": utcnow(),
            "created_by_id": user.id if user else None,
        },
        ["case_type_id", "version"],
    )
    # Someone stored the same version number first: the unique key decides, we answer 409.
    if process_map_id is None:
        raise MapVersionConflict(case_type.code)
    process_map = db.session.get(ProcessMap, process_map_id)
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


class StaleMap(Exception):
    """The map was changed since the editor's page was loaded; `latest` is today's version."""

    def __init__(self, latest: int):
        super().__init__(f"latest version is {latest}")
        self.latest = latest


def edit_map(
    case_type: CaseType,
    base_version: int,
    edit: Callable[[nx.DiGraph | None], nx.DiGraph],
    user: User,
    note: str,
    *,
    may_create: bool = False,
) -> ProcessMap:
    """Apply one edit to the version the editor saw and store the result as the next version.

    An edit made on an older version than the newest is refused, so two managers
    editing the same map never silently drop each other's changes. Only an edit that
    `may_create` is given None (no map yet); the others need a map to change.
    """
    latest = latest_map(case_type)
    latest_version = latest.version if latest else 0
    if base_version != latest_version:
        raise StaleMap(latest_version)
    if latest is None and not may_create:
        raise ProcessMapError("karta", "ärendetypen har ingen karta ännu")
    graph = edit(graph_of(latest) if latest else None)
    return store_map(case_type, graph, "redigering" if latest else "manuell", user, note)


def new_step_id(graph: nx.DiGraph | None) -> str:
    taken = set(graph) if graph is not None else set()
    number = len(taken) + 1
    while f"steg-{number}" in taken:
        number += 1
    return f"steg-{number}"
