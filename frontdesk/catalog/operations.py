"""Import (upsert by code, all or nothing) and export of the catalogue."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import undefer_group

from frontdesk.audit import record
from frontdesk.catalog.validation import check_catalog, parse_clock
from frontdesk.extensions import db
from frontdesk.mandates.operations import set_mandate
from frontdesk.models import CaseType, Mandate, Office, Organisation, Queue, User

IMPORT_REASON = "Import av katalog"
AUDIT_NAMES_MAX = 20


class CatalogError(Exception):
    """The file has errors; nothing was written. `errors` lists each with its place."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} fel i katalogen")
        self.errors = errors


def _by_code(model) -> dict[str, Any]:
    return {obj.code: obj for obj in db.session.scalars(sa.select(model))}


def _upsert(existing: dict[str, Any], model, code: str, **values) -> tuple[Any, bool]:
    obj = existing.get(code)
    created = obj is None
    if created:
        obj = model(code=code)
        db.session.add(obj)
        existing[code] = obj
    for key, value in values.items():
        setattr(obj, key, value)
    return obj, created


def import_catalog(data: Any, user: User | None = None) -> dict[str, int]:
    """Check the whole document, then create or update everything by code.

    Raises CatalogError (and writes nothing) when any part is wrong. Returns
    counts of created and updated rows per section. The caller commits.
    """
    organisations = _by_code(Organisation)
    queues = _by_code(Queue)
    offices = _by_code(Office)
    case_types = _by_code(CaseType)
    known = {
        "organisations": set(organisations),
        "queues": set(queues),
        "offices": set(offices),
        "case_types": set(case_types),
    }
    errors = check_catalog(
        data,
        known,
        office_hours={code: (o.opens, o.closes) for code, o in offices.items()},
        queue_owners={code: q.organisation.code for code, q in queues.items()},
    )
    if errors:
        raise CatalogError(errors)

    counts = {"created": 0, "updated": 0, "mandates_changed": 0}

    def count(created: bool) -> None:
        counts["created" if created else "updated"] += 1

    for item in data.get("organisations", []):
        organisation, created = _upsert(
            organisations,
            Organisation,
            item["code"],
            name=item["name"],
            kind=item.get("kind", "kommun"),
        )
        count(created)
    for item in data.get("queues", []):
        _, created = _upsert(
            queues,
            Queue,
            item["code"],
            name=item["name"],
            organisation=organisations[item["organisation"]],
        )
        count(created)
    db.session.flush()
    # Every organisation needs somewhere to receive referrals: a queue coded like itself.
    for organisation in organisations.values():
        if organisation.code not in queues and not organisation.queues:
            queues[organisation.code] = Queue(
                code=organisation.code, name=f"{organisation.name}", organisation=organisation
            )
            db.session.add(queues[organisation.code])
    for item in data.get("offices", []):
        hours = {key: parse_clock(item[key]) for key in ("opens", "closes") if key in item}
        _, created = _upsert(offices, Office, item["code"], name=item["name"], **hours)
        count(created)
    for item in data.get("case_types", []):
        values = {
            "name": item["name"],
            "organisation": organisations[item["organisation"]],
            "queue": queues[item["queue"]] if item.get("queue") else None,
            "category": item.get("category") or "",
            "active": item.get("active", True),
        }
        # Fields a file leaves out keep their values on re-import.
        for key in ("guidance", "sla_hours"):
            if item.get(key) is not None:
                values[key] = item[key]
        # Only when the file has them: a database at an older revision has no such columns.
        if item.get("guidance_links") is not None:
            values["guidance_links"] = [
                {"title": link["title"].strip(), "url": link["url"].strip()}
                for link in item["guidance_links"]
            ]
        if item.get("guidance_keywords") is not None:
            values["guidance_keywords"] = [k.strip() for k in item["guidance_keywords"]]
        # Present (a level, or null to clear it) sets it; absent keeps it.
        if "max_delegable_level" in item:
            values["max_delegable_level"] = item["max_delegable_level"]
        _, created = _upsert(case_types, CaseType, item["code"], **values)
        count(created)
    db.session.flush()
    for item in data.get("mandates", []):
        change = set_mandate(
            offices[item["office"]],
            case_types[item["case_type"]],
            item["max_level"],
            item.get("reason") or IMPORT_REASON,
            user,
        )
        counts["mandates_changed"] += change is not None
    # Which items, when they are few (an edit in the admin's catalogue pages is one):
    # the log then says what changed, not only how much.
    named = {
        section: [item["code"] for item in data.get(section, [])]
        for section in ("organisations", "queues", "offices", "case_types")
        if 0 < len(data.get(section, [])) <= AUDIT_NAMES_MAX
    }
    record("catalog.imported", "catalog", None, user, **counts, **named)
    db.session.flush()
    return counts


def export_catalog() -> dict[str, list[dict]]:
    """The catalogue in the import format; importing it again changes nothing."""
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.code)).all()
    queues = db.session.scalars(sa.select(Queue).order_by(Queue.code)).all()
    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    case_types = db.session.scalars(
        sa.select(CaseType)
        .options(undefer_group("guidance"), undefer_group("delegation"))
        .order_by(CaseType.code)
    ).all()
    mandates = db.session.scalars(
        sa.select(Mandate)
        .join(Mandate.office)
        .join(Mandate.case_type)
        .order_by(Office.code, CaseType.code)
    ).all()
    return {
        "organisations": [{"code": o.code, "name": o.name, "kind": o.kind} for o in organisations],
        "queues": [
            {"code": q.code, "name": q.name, "organisation": q.organisation.code} for q in queues
        ],
        "offices": [
            {
                "code": o.code,
                "name": o.name,
                "opens": o.opens.strftime("%H:%M"),
                "closes": o.closes.strftime("%H:%M"),
            }
            for o in offices
        ],
        "case_types": [
            {
                "code": ct.code,
                "name": ct.name,
                "organisation": ct.organisation.code,
                "category": ct.category,
                "sla_hours": ct.sla_hours,
                "guidance": ct.guidance,
                "guidance_links": ct.guidance_links,
                "guidance_keywords": ct.guidance_keywords,
                **({"queue": ct.queue.code} if ct.queue else {}),
                "max_delegable_level": ct.max_delegable_level,
                "active": ct.active,
            }
            for ct in case_types
        ],
        "mandates": [
            {"office": m.office.code, "case_type": m.case_type.code, "max_level": m.max_level}
            for m in mandates
        ],
    }
