"""ROSA read paths over a large history: staircase and recommendations.

Builds a fresh database with one office and 200 case types, bulk-loads contacts
(1,000,000 by default, spread over the last 12 months with the study's level mix),
then times, inside the app as a request would run them (median of 7):

- the staircase for all offices, for the office, and for one case type, over a year;
- the office's ranked recommendations (200 case types, some with process maps);
- the what-if over all case types.

Targets (issue 4): recommendations < 1 s, staircase < 200 ms.
Run: .venv/bin/python bench/rosa_bench.py [--contacts N] [--database-url URL]
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASE_TYPES = 200


def catalogue(case_types: int) -> dict:
    return {
        "organisations": [{"code": "FORV", "name": "Förvaltningen", "kind": "kommun"}],
        "queues": [{"code": "FORV", "name": "Förvaltningens kö", "organisation": "FORV"}],
        "offices": [{"code": "K1", "name": "Medborgarkontoret"}],
        "case_types": [
            {"code": f"CT{i:03d}", "name": f"Ärendetyp {i}", "organisation": "FORV"}
            for i in range(case_types)
        ],
        "mandates": [
            {"office": "K1", "case_type": f"CT{i:03d}", "max_level": 2 + i % 2}
            for i in range(case_types)
        ],
    }


def median_ms(action, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-rosa-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-secret")

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from frontdesk import create_app
    from frontdesk.catalog import import_catalog
    from frontdesk.demo.generate import CaseTypeInfo, OfficeInfo, generate_contacts
    from frontdesk.demo.seed import CONTACT_COLUMNS, bulk_insert
    from frontdesk.extensions import db
    from frontdesk.models import CaseType, Contact, Office
    from frontdesk.periods import months_back
    from frontdesk.processes.operations import store_map
    from frontdesk.recommendations.queries import (
        pair_histories,
        proposals_for,
        staircase_for,
    )
    from frontdesk.tallies import rebuild
    from rosa.processmap import from_dict
    from rosa.recommend import what_if

    app = create_app()
    try:
        with app.app_context():
            upgrade()
            import_catalog(catalogue(CASE_TYPES))
            office = db.session.scalar(sa.select(Office))
            case_types = db.session.scalars(sa.select(CaseType).order_by(CaseType.code)).all()
            infos = [CaseTypeInfo(ct.id, ct.code, 72, ct.referral_queue().id) for ct in case_types]
            started = time.perf_counter()
            rows = (
                row
                for row, _ in generate_contacts(
                    args.contacts,
                    [OfficeInfo(office.id, (), {})],
                    infos,
                    first_id=1,
                    now=datetime.now(UTC),
                )
            )
            connection = db.session.connection()
            indexes = list(Contact.__table__.indexes)
            for index in indexes:
                index.drop(connection)
            bulk_insert("contacts", CONTACT_COLUMNS, rows)
            for index in indexes:
                index.create(connection)
            load_seconds = time.perf_counter() - started
            started = time.perf_counter()
            tally_rows = rebuild()
            day_rows = tally_rows["contact_day_tallies"]
            month_rows = tally_rows["contact_month_tallies"]
            rebuild_seconds = time.perf_counter() - started
            # A process map on every tenth case type, so proposals also analyse maps.
            rng = random.Random(4)
            for case_type in case_types[::10]:
                steps = [
                    {
                        "id": f"s{i}",
                        "name": f"Steg {i}",
                        "level": rng.randint(1, 6),
                        "actor": "front" if i == 0 else "back",
                        "minutes": rng.randint(2, 30),
                    }
                    for i in range(8)
                ]
                flows = [{"from": f"s{i}", "to": f"s{i + 1}"} for i in range(7)]
                store_map(case_type, from_dict({"steps": steps, "flows": flows}), "json", None)
            db.session.commit()
            connection = db.session.connection()
            connection.exec_driver_sql("ANALYZE")
            db.session.commit()

            period = months_back(12)
            one_type = case_types[0]
            figures = {
                "staircase, all offices, 12 months": median_ms(lambda: staircase_for(period)),
                "staircase, one office": median_ms(lambda: staircase_for(period, office)),
                "staircase, one case type": median_ms(
                    lambda: staircase_for(period, None, one_type)
                ),
                "recommendations, 200 case types": median_ms(
                    lambda: proposals_for(office, period, 4)
                ),
                "what-if, all case types": median_ms(
                    lambda: what_if(
                        pair_histories(office, period),
                        {ct.code: 4 for ct in case_types[:50]},
                    )
                ),
            }
            proposals, _ = proposals_for(office, period, 4)
            total = staircase_for(period).total
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"backend: {backend}, contacts: {args.contacts} (in the year's staircase: {total})")
    print(f"bulk load {load_seconds:.1f} s, tallies rebuilt in {rebuild_seconds:.1f} s")
    print(f"tally rows: {day_rows} daily, {month_rows} monthly; proposals: {len(proposals)}")
    print(f"{'read path':40} {'median ms':>10}")
    for name, value in figures.items():
        print(f"{name:40} {value:>10}")


if __name__ == "__main__":
    main()
