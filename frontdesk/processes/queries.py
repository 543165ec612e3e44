"""Reading stored process maps."""

import networkx as nx
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import CaseType, ProcessMap
from rosa.processmap import from_dict


def graph_of(process_map: ProcessMap) -> nx.DiGraph:
    """The stored JSON form back as a graph (it was validated when stored)."""
    return from_dict(process_map.graph, allow_empty=True)


def latest_map(case_type: CaseType) -> ProcessMap | None:
    return db.session.scalar(
        sa.select(ProcessMap)
        .where(ProcessMap.case_type_id == case_type.id)
        .order_by(ProcessMap.version.desc())
        .limit(1)
    )


def map_version(case_type: CaseType, version: int) -> ProcessMap | None:
    return db.session.scalar(
        sa.select(ProcessMap).where(
            ProcessMap.case_type_id == case_type.id, ProcessMap.version == version
        )
    )


def versions(case_type: CaseType) -> list[ProcessMap]:
    return db.session.scalars(
        sa.select(ProcessMap)
        .where(ProcessMap.case_type_id == case_type.id)
        .order_by(ProcessMap.version.desc())
    ).all()


def latest_graphs(codes: list[str]) -> dict[str, tuple[ProcessMap, nx.DiGraph]]:
    """The newest map of each case type (by code) that has one."""
    if not codes:
        return {}
    newest = (
        sa.select(ProcessMap.case_type_id, sa.func.max(ProcessMap.version).label("version"))
        .group_by(ProcessMap.case_type_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(CaseType.code, ProcessMap)
        .join(newest, newest.c.case_type_id == ProcessMap.case_type_id)
        .join(CaseType, CaseType.id == ProcessMap.case_type_id)
        .where(ProcessMap.version == newest.c.version, CaseType.code.in_(codes))
    ).all()
    return {code: (pm, graph_of(pm)) for code, pm in rows}


def newest_versions() -> dict[int, int]:
    """Case-type id to the newest version number of its map, for case types that have one."""
    return dict(
        db.session.execute(
            sa.select(ProcessMap.case_type_id, sa.func.max(ProcessMap.version)).group_by(
                ProcessMap.case_type_id
            )
        ).all()
    )
