"""flask import-contacts: contact history from a previous system, all or nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    ContactDayTally,
    Mandate,
    MandateChange,
    Office,
    Referral,
    User,
)
from frontdesk.tallies import TALLIES, rebuild
from frontdesk.timeutil import utcnow
from tests.helpers import count, one

HEADER = "occurred_at,office,channel,case_type,rosa_level,outcome,duration_seconds,repeat"


def write(tmp_path, lines, name="historik.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(runner, path, *options):
    return runner.invoke(args=["import-contacts", str(path), *options])


def contacts(app) -> list[Contact]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
        db.session.expunge_all()
        return rows


def ids(app, model, *codes) -> list[int]:
    with app.app_context():
        return [db.session.scalar(sa.select(model.id).where(model.code == c)) for c in codes]


def imported_events(app) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "contacts.imported")
        ).all()
        db.session.expunge_all()
        return events


def tally_rows() -> dict[str, list[tuple]]:
    """Every tally's rows with counts, leaving out rows counted down to nothing."""
    return {
        each.table.name: sorted(
            tuple(row)
            for row in db.session.execute(sa.select(*each.table.c)).all()
            if any(row._mapping[name] for name in each.counts)
        )
        for each in TALLIES
    }


GOOD = [
    HEADER,
    "2025-01-15T09:15:00+01:00,K1,besok,PARK,1,informerat,300,nej",
    "2025-07-01T10:00:00Z,K2,telefon,EKB,6,eskalerat,,ja",
    "2025-07-01 10:00:00,K1,epost,FKBARN,2,kopplat,0,TRUE",
    "2025-01-15 10:00,K2,chatt,PARK,1,,45,",
]


def test_a_good_file_is_imported_in_utc_without_referrals(app, world, runner, tmp_path):
    result = run(runner, write(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert "Lästa rader: 4" in result.output and "Importerade: 4" in result.output
    assert "Per utfall: informerat 2, kopplat 1, eskalerat 1" in result.output
    k1, k2 = ids(app, Office, "K1", "K2")
    park, ekb, fkbarn = ids(app, CaseType, "PARK", "EKB", "FKBARN")
    rows = [
        (
            c.occurred_at,
            c.office_id,
            c.channel,
            c.case_type_id,
            c.rosa_level,
            c.outcome,
            c.duration_seconds,
            c.is_repeat,
        )
        for c in contacts(app)
    ]
    assert rows == [
        (datetime(2025, 1, 15, 8, 15, tzinfo=UTC), k1, "besok", park, 1, "informerat", 300, False),
        (datetime(2025, 7, 1, 10, tzinfo=UTC), k2, "telefon", ekb, 6, "eskalerat", None, True),
        # Without an offset: Stockholm time, summer (+2) and winter (+1).
        (datetime(2025, 7, 1, 8, tzinfo=UTC), k1, "epost", fkbarn, 2, "kopplat", 0, True),
        (datetime(2025, 1, 15, 9, tzinfo=UTC), k2, "chatt", park, 1, "informerat", 45, False),
    ]
    for contact in contacts(app):
        assert contact.staff_id is None and contact.note == ""
        assert abs(contact.created_at - utcnow()) < timedelta(minutes=1)
    # An escalated contact of closed history is statistics, not a matter for a queue.
    assert count(app, Referral) == 0


def add_mandate_history(app) -> None:
    """K2's mandate for EKB: none until 2024, 3 from 2024, 5 from 2025 (UTC midnights),
    each set by a manager in the app.

    K2 also has mandate 4 for FKBARN, agreed without any change recorded.
    """
    (k2,) = ids(app, Office, "K2")
    with app.app_context():
        chef = db.session.scalar(sa.select(User.id).where(User.username == "karin"))
    ekb, fkbarn = ids(app, CaseType, "EKB", "FKBARN")
    with app.app_context():
        for at, old, new in ((datetime(2024, 1, 1), None, 3), (datetime(2025, 1, 1), 3, 5)):
            db.session.add(
                MandateChange(
                    office_id=k2,
                    case_type_id=ekb,
                    old_level=old,
                    new_level=new,
                    changed_at=at.replace(tzinfo=UTC),
                    changed_by_id=chef,
                )
            )
        db.session.add(Mandate(office_id=k2, case_type_id=ekb, max_level=5))
        db.session.add(Mandate(office_id=k2, case_type_id=fkbarn, max_level=4))
        db.session.commit()


def test_rows_without_outcome_follow_the_mandate_in_force_then(app, world, runner, tmp_path):
    add_mandate_history(app)
    lines = [
        "occurred_at,office,channel,case_type,rosa_level",
        "2023-06-01T10:00:00Z,K2,besok,EKB,3",  # before the first change: no mandate, 2
        "2024-06-01T10:00:00Z,K2,besok,EKB,3",  # mandate 3
        "2024-06-01T10:00:00Z,K2,besok,EKB,5",
        "2024-12-31T23:59:59Z,K2,besok,EKB,5",  # a second before the change to 5
        "2025-01-01T00:00:00Z,K2,besok,EKB,5",  # the change's own moment: 5 applies
        "2025-06-01T10:00:00Z,K2,besok,FKBARN,4",  # no history: today's mandate, 4
        "2025-06-01T10:00:00Z,K2,besok,FKBARN,5",
        "2025-06-01T10:00:00Z,K1,besok,FKBARN,2",  # no mandate at all: 2
        "2025-06-01T10:00:00Z,K1,besok,FKBARN,3",
        # K1's mandate 3 for PARK came with the catalogue (today): the catalogue states
        # the mandates the office already had, so it applies to last year too.
        "2025-06-01T10:00:00Z,K1,besok,PARK,3",
    ]
    result = run(runner, write(tmp_path, lines))
    assert result.exit_code == 0, result.output
    assert [c.outcome for c in contacts(app)] == [
        "eskalerat",
        "informerat",
        "eskalerat",
        "eskalerat",
        "informerat",
        "informerat",
        "eskalerat",
        "informerat",
        "eskalerat",
        "informerat",
    ]
    assert count(app, Referral) == 0


def test_tallies_match_the_contacts_after_an_import(app, world, runner, api, tmp_path):
    # A contact logged today first, so the import adds to tally rows that exist.
    assert (
        api.post(
            "/contacts",
            json={"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 1},
        ).status_code
        == 201
    )
    earlier = (utcnow() - timedelta(minutes=5)).isoformat()
    lines = [
        HEADER,
        f"{earlier},K1,besok,PARK,1,,60,nej",
        f"{earlier},K1,besok,PARK,1,informerat,,ja",
        "2025-03-30 01:30:00,K2,telefon,EKB,6,,120,nej",  # the night summer time begins
        "2025-10-26 02:30:00,K2,telefon,EKB,6,,120,nej",  # the hour that comes twice
        "2024-12-31 23:59:59,K1,webb,FKBARN,2,kopplat,30,ja",
        *GOOD[1:],
    ]
    result = run(runner, write(tmp_path, lines))
    assert result.exit_code == 0, result.output
    with app.app_context():
        counted = tally_rows()
        rebuild()
        db.session.commit()
        assert tally_rows() == counted
        assert sum(row[-1] for row in counted["contact_day_tallies"]) == 1 + len(lines) - 1


BAD = [
    HEADER,
    "2025-01-15T09:15:00+01:00,K1,besok,PARK,1,informerat,300,nej",
    "2025-01-15T09:20:00+01:00,K9,besok,PARK,1,informerat,300,nej",
    "",
    "2025-01-15T09:25:00+01:00,K2,webb,EKB,2,,,",
]


def test_one_bad_row_and_nothing_is_imported(app, world, runner, tmp_path):
    result = run(runner, write(tmp_path, BAD))
    assert result.exit_code == 1
    assert "rad 3, office: okänt kontor ”K9”" in result.output
    assert "Inget importerades" in result.output
    assert count(app, Contact) == 0 and count(app, ContactDayTally) == 0
    assert imported_events(app) == []


def test_skip_bad_imports_the_good_rows(app, world, runner, tmp_path):
    path = write(tmp_path, BAD)
    result = run(runner, path, "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "rad 3, office: okänt kontor ”K9”" in result.output
    assert "Lästa rader: 3" in result.output  # the blank line is no row
    assert "Importerade: 2" in result.output and "Överhoppade: 1" in result.output
    assert count(app, Contact) == 2
    with app.app_context():
        assert sum(db.session.scalars(sa.select(ContactDayTally.contacts))) == 2
    (event,) = imported_events(app)
    assert (event.entity, event.entity_id, event.user_id) == ("contact", None, None)
    assert event.data == {"file": str(path), "rows": 3, "imported": 2, "skipped": 1}


def test_one_audit_event_for_the_whole_file(app, world, runner, tmp_path):
    path = write(tmp_path, GOOD)
    assert run(runner, path).exit_code == 0
    (event,) = imported_events(app)
    assert event.data == {"file": str(path), "rows": 4, "imported": 4, "skipped": 0}
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity == "contact")
            )
            == 1
        )


def test_dry_run_checks_and_routes_but_writes_nothing(app, world, runner, tmp_path):
    result = run(runner, write(tmp_path, GOOD), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Skulle importeras: 4" in result.output
    assert "Per utfall: informerat 2, kopplat 1, eskalerat 1" in result.output
    assert "inget sparades" in result.output
    assert count(app, Contact) == 0 and count(app, ContactDayTally) == 0
    assert imported_events(app) == []
    refused = run(runner, write(tmp_path, BAD), "--dry-run")
    assert refused.exit_code == 1 and "rad 3, office" in refused.output


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "occurred_at,office,channel,outcome",
            "rad 1: rubrikraden saknar kolumnerna case_type och rosa_level; "
            "hittade: occurred_at, office, channel, outcome",
        ),
        ("tid,kontor,kanal", "rubrikraden saknar kolumnerna occurred_at, office, channel,"),
        (
            "occurred_at;office;channel;case_type;rosa_level",
            "(kolumnerna ska skiljas med komma, inte semikolon)",
        ),
        (HEADER + ",office", "rad 1: kolumnen office finns två gånger i rubrikraden"),
    ],
)
def test_a_bad_header_is_one_clear_error(app, world, runner, tmp_path, header, message):
    result = run(runner, write(tmp_path, [header, GOOD[1]]), "--skip-bad")
    assert result.exit_code == 1
    assert message in result.output
    assert "Filen kunde inte läsas. Inget importerades." in result.output
    assert count(app, Contact) == 0


def test_an_empty_file_is_refused(app, world, runner, tmp_path):
    path = tmp_path / "tom.csv"
    path.write_bytes(b"")
    result = run(runner, path)
    assert result.exit_code == 1 and "rad 1: filen är tom" in result.output


def test_bytes_that_are_not_utf8_are_refused_even_with_skip_bad(app, world, runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "\n".join([HEADER + ",kommentar", GOOD[1] + ",", GOOD[2] + ",Söder", ""]).encode("latin-1")
    )
    result = run(runner, path, "--skip-bad")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "rad 3: filen är inte UTF-8-kodad text" in result.output
    assert count(app, Contact) == 0


def test_a_file_that_is_not_csv_gives_a_message_not_a_traceback(app, world, runner, tmp_path):
    path = tmp_path / "bild.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    result = run(runner, path)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "rad 1: filen är inte UTF-8-kodad text" in result.output
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(HEADER + "\n", encoding="utf-16")
    assert "kodad som UTF-16" in run(runner, utf16).output


def test_times_in_the_future_or_before_2000_are_refused(app, world, runner, tmp_path):
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    lines = [
        HEADER,
        f"{tomorrow},K1,besok,PARK,1,,,",
        "1999-12-31T23:59:59+01:00,K1,besok,PARK,1,,,",
        "9999-12-31T23:59:59-05:00,K1,besok,PARK,1,,,",
        "0001-01-01T00:00:00+05:00,K1,besok,PARK,1,,,",
        "igår,K1,besok,PARK,1,,,",
        ",K1,besok,PARK,1,,,",
        "2000-01-01T00:00:00,K1,besok,PARK,1,,,",  # Stockholm's first moment of 2000 is fine
    ]
    result = run(runner, write(tmp_path, lines), "--skip-bad")
    assert result.exit_code == 0, result.output
    for line, message in (
        (2, "tidpunkten ligger i framtiden"),
        (3, "tidpunkten ligger före 2000"),
        (4, "tidpunkten ligger i framtiden"),
        (5, "tidpunkten ligger före 2000"),
        (6, "ogiltig tidpunkt ”igår”"),
        (7, "tidpunkt saknas"),
    ):
        assert f"rad {line}, occurred_at: {message}" in result.output
    (contact,) = contacts(app)
    assert contact.occurred_at == datetime(1999, 12, 31, 23, tzinfo=UTC)


def test_every_bad_cell_of_a_row_is_named(app, world, runner, tmp_path):
    lines = [HEADER, "2025-01-15T09:15:00+01:00,K9,fax,NOPE,9,klart,-5,kanske"]
    result = run(runner, write(tmp_path, lines))
    assert result.exit_code == 1
    for column, message in (
        ("office", "okänt kontor ”K9”"),
        ("channel", "okänd kanal ”fax”"),
        ("case_type", "okänd ärendetyp ”NOPE”"),
        ("rosa_level", "ogiltig ROSA-nivå ”9” (ange 1–8)"),
        ("outcome", "okänt utfall ”klart”"),
        ("duration_seconds", "ogiltig tid ”-5”"),
        ("repeat", "ogiltigt värde ”kanske”"),
    ):
        assert f"rad 2, {column}: {message}" in result.output
    short = run(runner, write(tmp_path, [HEADER, "2025-01-15T09:15:00+01:00,K1,besok"]))
    assert "rad 2: raden har 3 kolumner, rubrikraden 8" in short.output
    assert count(app, Contact) == 0


def test_an_export_with_more_columns_in_another_order_imports_unchanged(
    app, world, runner, tmp_path
):
    lines = [
        "\ufeffid,organisation,case_type,occurred_at,rosa_level,channel,office,outcome,"
        "repeat,duration_seconds,referral_status,note",
        '17,TEK,PARK,2025-02-03T10:00:00+01:00,4,besok,K1,eskalerat,false,600,avslutad,"Hej, igen"',
        "18,SOC, EKB ,2025-02-03T11:00:00+01:00, 2 ,Besök,K2,,true,,,",
    ]
    result = run(runner, write(tmp_path, lines))
    assert result.exit_code == 0, result.output
    first, second = contacts(app)
    assert (first.rosa_level, first.outcome, first.duration_seconds, first.is_repeat) == (
        4,
        "eskalerat",
        600,
        False,
    )
    assert first.note == ""  # the export's note column is not read
    assert (second.channel, second.rosa_level, second.outcome, second.is_repeat) == (
        "besok",
        2,
        "informerat",
        True,
    )
    assert one(app, CaseType, CaseType.id == second.case_type_id).code == "EKB"
    assert count(app, Referral) == 0


def test_the_apps_own_export_imports_unchanged(app, world, runner, api, tmp_path):
    for case_type, level in (("PARK", 1), ("PARK", 5), ("EKB", 2)):
        body = {"office": "K1", "channel": "telefon", "case_type": case_type, "rosa_level": level}
        assert api.post("/contacts", json=body).status_code == 201
    exported = api.get("/export/contacts.csv", as_user="karin")
    assert exported.status_code == 200
    path = tmp_path / "export.csv"
    path.write_bytes(exported.data)
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "Importerade: 3" in result.output
    logged, imported = contacts(app)[:3], contacts(app)[3:]

    def fields(contact):
        return (
            contact.occurred_at.replace(microsecond=0),  # the export writes whole seconds
            contact.office_id,
            contact.channel,
            contact.case_type_id,
            contact.rosa_level,
            contact.outcome,
            contact.duration_seconds,
            contact.is_repeat,
        )

    assert sorted(map(fields, imported)) == sorted(map(fields, logged))
    assert count(app, Referral) == 1  # the logged escalation's; the import adds none


def test_batches_written_before_a_bad_row_are_rolled_back(
    app, world, runner, tmp_path, monkeypatch
):
    from frontdesk.history import importer

    # Tiny batches and tally flushes, so rows and tallies are written before the error.
    monkeypatch.setattr(importer, "BATCH", 2)
    monkeypatch.setattr(importer, "TALLY_ROWS_IN_MEMORY", 1)
    good = [
        f"2025-01-{day:02d}T09:00:00+01:00,K1,besok,PARK,{day % 8 + 1},,," for day in range(1, 29)
    ]
    refused = run(runner, write(tmp_path, [HEADER, *good, BAD[2], *good]))
    assert refused.exit_code == 1 and "rad 30, office" in refused.output
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("\n".join([HEADER, *good, "2025-01-01,Söder"]).encode("latin-1"))
    unreadable = run(runner, latin1, "--skip-bad")
    assert unreadable.exit_code == 1 and "rad 30: filen är inte UTF-8" in unreadable.output
    assert count(app, Contact) == 0 and count(app, ContactDayTally) == 0
    assert imported_events(app) == []
    # The same rows, flushed in the same small pieces, add up.
    result = run(runner, write(tmp_path, [HEADER, *good, *good]))
    assert result.exit_code == 0 and "Importerade: 56" in result.output
    with app.app_context():
        counted = tally_rows()
        rebuild()
        assert tally_rows() == counted
        db.session.rollback()
