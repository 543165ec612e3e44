"""Importing contact history: `flask --app frontdesk import-contacts FILE.csv` at volume.

Builds a fresh database with three offices and 40 case types (mandates with a change
history, so rows without an outcome are routed by the mandate in force at their time),
writes a CSV of N contacts (1,000,000 by default) spread over the last 12 months, about
half without an outcome, half of the times with a UTC offset as the app's export writes
them and half as local time, then times the import command (parse, route, insert, tallies,
commit) and checks that the contacts and tallies add up.

Target: 1,000,000 rows in under 2 minutes on SQLite.
Run: .venv/bin/python bench/import_bench.py [--rows N] [--database-url URL]
(The import runs as `python -m flask --app frontdesk import-contacts` in a child process.)
"""

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OFFICES = ("K1", "K2", "K3")
CASE_TYPES = 40


def catalogue() -> dict:
    organisations = ("TEK", "SOC", "FK", "SKV")
    return {
        "organisations": [{"code": code, "name": code, "kind": "kommun"} for code in organisations],
        "queues": [
            {"code": code, "name": f"Kö {code}", "organisation": code} for code in organisations
        ],
        "offices": [{"code": code, "name": f"Kontor {code}"} for code in OFFICES],
        "case_types": [
            {"code": f"CT{i:02d}", "name": f"Ärendetyp {i}", "organisation": organisations[i % 4]}
            for i in range(CASE_TYPES)
        ],
        "mandates": [
            {"office": office, "case_type": f"CT{i:02d}", "max_level": 2 + i % 3}
            for office in OFFICES
            for i in range(0, CASE_TYPES, 2)
        ],
    }


def write_csv(path: Path, rows: int, now: datetime) -> None:
    """The export's columns plus ones the import ignores, with the demo's mix of contacts.

    The demo generator draws the contacts (working days of the last year, opening hours,
    the study's level mix, Zipf-like popularity of case types per office); about half lose
    their outcome, and half of the times are written with a UTC offset, half as local time.
    """
    import sqlalchemy as sa

    from frontdesk.demo.generate import CaseTypeInfo, OfficeInfo, generate_contacts
    from frontdesk.extensions import db
    from frontdesk.mandates.operations import mandate_levels
    from frontdesk.models import CaseType, Office
    from frontdesk.timeutil import to_local

    offices = db.session.scalars(sa.select(Office).order_by(Office.code)).all()
    case_types = db.session.scalars(sa.select(CaseType).order_by(CaseType.code)).all()
    office_codes = {office.id: office.code for office in offices}
    case_type_codes = {ct.id: ct.code for ct in case_types}
    organisations = {ct.id: ct.organisation.code for ct in case_types}
    generated = generate_contacts(
        rows,
        [OfficeInfo(office.id, (), mandate_levels(office)) for office in offices],
        [CaseTypeInfo(ct.id, ct.code, 72, 0) for ct in case_types],
        first_id=1,
        now=now,
    )
    local_hours: dict[str, datetime] = {}
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            (
                "id",
                "occurred_at",
                "office",
                "organisation",
                "channel",
                "case_type",
                "rosa_level",
                "outcome",
                "duration_seconds",
                "repeat",
                "referral_status",
            )
        )
        for index, (row, referral) in enumerate(generated):
            contact_id, stamp, office_id, channel, case_type_id, level, outcome = row[:7]
            duration, is_repeat = row[7], row[10]
            hour = local_hours.get(stamp[:13])
            if hour is None:
                utc_hour = datetime.fromisoformat(stamp[:13] + ":00").replace(tzinfo=UTC)
                hour = local_hours[stamp[:13]] = to_local(utc_hour)
            local = hour.replace(minute=int(stamp[14:16]), second=int(stamp[17:19]))
            writer.writerow(
                (
                    contact_id,
                    local.isoformat() if index % 2 else local.strftime("%Y-%m-%d %H:%M:%S"),
                    office_codes[office_id],
                    organisations[case_type_id],
                    channel,
                    case_type_codes[case_type_id],
                    level,
                    "" if index % 4 < 2 else outcome,
                    duration,
                    "true" if is_repeat else "false",
                    "" if referral is None else "avslutad",
                )
            )


def add_mandate_history(now: datetime) -> None:
    """Half a year ago the odd case types moved to the offices: mandate 2 became 4."""
    import sqlalchemy as sa

    from frontdesk.extensions import db
    from frontdesk.models import CaseType, Mandate, MandateChange, Office

    moved = now - timedelta(days=180)
    for office in db.session.scalars(sa.select(Office)):
        for case_type in db.session.scalars(sa.select(CaseType)):
            if int(case_type.code[2:]) % 2:
                db.session.add(
                    Mandate(office=office, case_type=case_type, max_level=4, updated_at=moved)
                )
                db.session.add(
                    MandateChange(
                        office_id=office.id,
                        case_type_id=case_type.id,
                        old_level=None,
                        new_level=4,
                        reason="Flyttad till kontoret",
                        changed_at=moved,
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-import-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-secret")

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from frontdesk import create_app
    from frontdesk.catalog import import_catalog
    from frontdesk.extensions import db
    from frontdesk.models import Contact, ContactDayTally, OfficeHourStat

    app = create_app()
    now = datetime.now(UTC)
    csv_path = workdir / "contacts.csv"
    try:
        with app.app_context():
            upgrade()
            import_catalog(catalogue())
            add_mandate_history(now)
            db.session.commit()
            started = time.perf_counter()
            write_csv(csv_path, args.rows, now)
            write_seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()  # the child process has the database to itself
        size_mb = csv_path.stat().st_size / 1e6
        # The command as an operator runs it, in a process of its own: its time from start
        # to exit, and its peak memory (RUSAGE_CHILDREN: this script starts no other child).
        command = [sys.executable, "-m", "flask", "--app", "frontdesk", "import-contacts"]
        started = time.perf_counter()
        result = subprocess.run(
            [*command, str(csv_path)], capture_output=True, text=True, cwd=ROOT, check=False
        )
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = usage.ru_utime + usage.ru_stime
        peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
        load = os.getloadavg()[0]
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            raise SystemExit(f"import failed with exit code {result.returncode}")

        with app.app_context():
            contacts = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
            day_tally = db.session.scalar(sa.select(sa.func.sum(ContactDayTally.contacts)))
            hour_stats = db.session.scalar(sa.select(sa.func.sum(OfficeHourStat.contacts)))
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(
        f"backend: {backend}, rows: {args.rows} "
        f"(CSV of {size_mb:.0f} MB written in {write_seconds:.1f} s)"
    )
    print(result.stdout.strip())
    print(f"import: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, peak RSS {peak_mb:.0f} MB")
    # Other work on the machine stretches the wall time; the CPU time shows how much.
    print(f"CPU time {cpu_seconds:.1f} s (user + system), load average {load:.2f} at the end")
    print(f"contacts: {contacts}, in the day tally: {day_tally}, in the hour stats: {hour_stats}")
    assert contacts == day_tally == hour_stats == args.rows, "contacts and tallies differ"


if __name__ == "__main__":
    main()
