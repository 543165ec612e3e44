"""Loading the demo municipality: catalogue and users by upsert, contacts in bulk."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import islice

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.catalog import import_catalog
from frontdesk.demo.catalog import CATALOG, USERS
from frontdesk.demo.generate import CaseTypeInfo, OfficeInfo, generate_contacts
from frontdesk.demo.inbox import seed_inbox
from frontdesk.demo.maps import MAPS
from frontdesk.demo.waiting_room import seed_waiting_room
from frontdesk.extensions import db
from frontdesk.mandates.operations import mandate_levels
from frontdesk.models import CaseType, Contact, Office, Organisation, Referral, User
from frontdesk.processes.operations import store_map
from frontdesk.processes.queries import latest_map
from frontdesk.roles import Role
from frontdesk.tallies import rebuild as rebuild_tallies
from frontdesk.timeutil import utcnow
from rosa.processmap import from_dict

CONTACT_COLUMNS = (
    "id",
    "occurred_at",
    "office_id",
    "channel",
    "case_type_id",
    "rosa_level",
    "outcome",
    "duration_seconds",
    "staff_id",
    "note",
    "is_repeat",
    "created_at",
)
REFERRAL_COLUMNS = (
    "contact_id",
    "queue_id",
    "status",
    "created_at",
    "due_at",
    "closed_at",
    "version",
    "claimed_by_id",
    "claimed_at",
    "parked_until",
    "parked_at",
    "park_reason",
    "answer",
    "answered_at",
    "answered_by_id",
    "callback",
)
BATCH = 50_000


def demo_password(username: str) -> str:
    return f"{username}123"


def ensure_users() -> int:
    """Create the demo users that are missing; existing ones are left as they are."""
    existing = set(db.session.scalars(sa.select(User.username)))
    offices = {o.code: o for o in db.session.scalars(sa.select(Office))}
    organisations = {o.code: o for o in db.session.scalars(sa.select(Organisation))}
    created = 0
    for username, name, role, office, organisation in USERS:
        if username in existing:
            continue
        user = User(
            username=username,
            display_name=name,
            # For notifications; nothing is sent unless SMTP_URL points at a server.
            email=f"{username}@kommun.example.se",
            role=role,
            office=offices.get(office) if office else None,
            organisation=organisations.get(organisation) if organisation else None,
        )
        user.set_password(demo_password(username))
        db.session.add(user)
        created += 1
    db.session.flush()
    return created


def bulk_insert(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert rows on the session's connection: COPY on PostgreSQL, executemany on SQLite."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    column_list = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", batch)
    cursor.close()


def _fix_sequences() -> None:
    """After inserting explicit contact ids, move PostgreSQL's sequence past them."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('contacts', 'id'), "
            "COALESCE((SELECT MAX(id) FROM contacts), 0) + 1, false)"
        )


def load_contacts(count: int, now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Generate and bulk-load `count` contacts over the last 12 months, with their referrals."""
    db.session.flush()
    offices = []
    for office in db.session.scalars(sa.select(Office).order_by(Office.code)):
        staff = tuple(
            db.session.scalars(
                sa.select(User.id).where(User.office_id == office.id, User.role == Role.VAGLEDARE)
            )
        )
        offices.append(OfficeInfo(office.id, staff, mandate_levels(office)))
    handlers: dict[int, tuple[int, ...]] = {}
    for user_id, organisation_id in db.session.execute(
        sa.select(User.id, User.organisation_id).where(User.role == Role.HANDLAGGARE)
    ):
        handlers[organisation_id] = (*handlers.get(organisation_id, ()), user_id)
    case_types = [
        CaseTypeInfo(
            ct.id,
            ct.code,
            ct.sla_hours,
            ct.referral_queue().id,
            handlers.get(ct.organisation_id, ()),
        )
        for ct in db.session.scalars(
            sa.select(CaseType).where(CaseType.active).order_by(CaseType.code)
        )
    ]
    first_id = (db.session.scalar(sa.select(sa.func.max(Contact.id))) or 0) + 1
    referrals: list[tuple] = []

    def contacts():
        for contact, referral in generate_contacts(
            count, offices, case_types, first_id=first_id, now=now or utcnow(), seed=seed
        ):
            if referral is not None:
                referrals.append(referral)
            yield contact

    # Building an index once over sorted data beats updating it a million times.
    connection = db.session.connection()
    indexes = [*Contact.__table__.indexes, *Referral.__table__.indexes]
    for index in indexes:
        index.drop(connection)
    bulk_insert("contacts", CONTACT_COLUMNS, contacts())
    bulk_insert("referrals", REFERRAL_COLUMNS, referrals)
    for index in indexes:
        index.create(connection)
    _fix_sequences()
    rebuild_tallies()
    # Fresh statistics, so the planner picks the queue's open-referrals index.
    connection.exec_driver_sql("ANALYZE")
    return {"contacts": count, "referrals": len(referrals)}


# Referrals of this morning with who to reach and what they asked: what a handler opens.
OPEN_MATTERS = (
    (
        "BYGGLOV",
        5,
        "telefon",
        "Ahmed Yusuf",
        "070-311 22 45",
        "",
        "Får jag bygga ett plank "
        "på 1,8 meter mot gatan? Grannen har redan ett och undrar om vi kan dela kostnaden.",
    ),
    (
        "EKB",
        6,
        "epost",
        "Gunnel Ek",
        "",
        "gunnel.ek@example.se",
        "Kan jag få hjälp med en "
        "elräkning på 4 200 kr som förföll i förra veckan? Jag har ansökt om bistånd tidigare.",
    ),
    (
        "BYGGLOV",
        5,
        "telefon",
        "Maja Holm",
        "08-123 456 78",
        "maja.holm@example.se",
        "Behövs bygglov för att glasa in en befintlig balkong i ett flerbostadshus?",
    ),
)


def _seed_open_matters(now: datetime) -> int:
    """A few referrals logged at K1 this morning, with citizens and their questions."""
    from frontdesk.counter.operations import ContactInput, log_contact
    from kanaler.citizen import normalise_phone

    office = db.session.scalar(sa.select(Office).where(Office.code == "K1"))
    guide = db.session.scalar(sa.select(User).where(User.username == "anna"))
    created = 0
    for index, (code, level, reach_by, name, phone, email, question) in enumerate(OPEN_MATTERS):
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
        if office is None or guide is None or case_type is None:
            continue
        log_contact(
            ContactInput(
                office=office,
                channel="besok" if index % 2 == 0 else "telefon",
                case_type=case_type,
                rosa_level=level,
                occurred_at=now - timedelta(minutes=30 * (index + 1)),
                citizen_name=name,
                citizen_phone=normalise_phone(phone),
                citizen_email=email,
                reach_by=reach_by,
                question=question,
            ),
            guide,
        )
        created += 1
    return created


def _seed_maps() -> int:
    """Version 1 of each demo map, for case types that have no map yet."""
    created = 0
    for code, data in MAPS.items():
        case_type = db.session.scalar(sa.select(CaseType).where(CaseType.code == code))
        if case_type is not None and latest_map(case_type) is None:
            store_map(case_type, from_dict(data), "json", None, "Demokarta")
            created += 1
    return created


def seed_demo(contacts: int) -> dict[str, int | str]:
    """Load the demo municipality; running it again adds nothing that is already there."""
    counts = import_catalog(CATALOG)
    result: dict[str, int | str] = {
        "catalog_created": counts["created"],
        "users_created": ensure_users(),
    }
    result["maps_created"] = _seed_maps()
    result.update(seed_inbox())
    already = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
    if already:
        result["contacts"] = 0
        result["note"] = f"{already} kontakter finns redan; inga nya skapades."
    else:
        result.update(load_contacts(contacts))
        result["open_matters"] = _seed_open_matters(utcnow())
        result.update(seed_waiting_room(utcnow()))
    record("demo.seeded", "demo", None, None, **{k: v for k, v in result.items() if k != "note"})
    db.session.flush()
    return result
