"""The manager's overview over a large history: every page, the summary API, the exports.

Builds a fresh SQLite database with the demo municipality and 1,000,000 contacts over
the last year (`seed-demo`'s generator, referrals included), then, as a logged-in
manager through the app (median of 7 after a warm-up):

- every overview page with the default filters (the last three months), over twelve
  months, and with an organisation, a case type and a channel chosen;
- GET /api/v1/stats/summary;

and in a fresh child process per export (so its peak RSS is the export's own): the
contacts of the last thirteen months (all of them) as CSV and as Excel, their
referrals as CSV and the event log as XES, every chunk the view would send, with the
time taken and the peak resident memory.

Targets (issue 6): every page < 300 ms; exports of 1,000,000 rows < 200 MB.
Run: .venv/bin/python bench/overview_bench.py [--contacts N] [--database PATH]
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = (
    "/oversikt/",
    "/oversikt/timmar",
    "/oversikt/forsta-kontakten",
    "/oversikt/remisser",
    "/oversikt/uppdrag",
    "/oversikt/kontakter",
    "/oversikt/remisser/lista",
)
EXPORTS = {
    "contacts.csv": "contacts_csv",
    "contacts.xlsx": "contacts_xlsx",
    "referrals.csv": "referrals_csv",
    "eventlog.xes": "eventlog_xes",
}


def _app(database: Path):
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from frontdesk import create_app

    return create_app()


def _seed(database: Path, contacts: int) -> None:
    from flask_migrate import upgrade

    from frontdesk.demo.seed import seed_demo
    from frontdesk.extensions import db

    app = _app(database)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seed_demo(contacts)
        db.session.commit()
        db.session.connection().exec_driver_sql("ANALYZE")
        db.session.commit()
        print(f"seeded {contacts:,} contacts in {time.perf_counter() - started:.1f} s")


def _manager_client(app):
    import sqlalchemy as sa

    from frontdesk.demo.seed import demo_password
    from frontdesk.extensions import db
    from frontdesk.models import User

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        chef = db.session.scalar(sa.select(User).where(User.role == "chef"))
        username = chef.username
    client = app.test_client()
    client.post("/login", data={"username": username, "password": demo_password(username)})
    return client


def median_ms(client, url: str, runs: int = 7) -> float:
    client.get(url)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(times), 1)


def _pages(database: Path) -> None:
    import sqlalchemy as sa

    from frontdesk.extensions import db
    from frontdesk.models import CaseType, Contact, Organisation
    from frontdesk.periods import months_back

    app = _app(database)
    client = _manager_client(app)
    with app.app_context():
        # The busiest owner and case type: the slowest filters the tallies have to serve.
        case_type, organisation = db.session.execute(
            sa.select(CaseType.code, Organisation.code)
            .join(Organisation, Organisation.id == CaseType.organisation_id)
            .join(Contact, Contact.case_type_id == CaseType.id)
            .group_by(CaseType.code, Organisation.code)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        year = months_back(12)
    variants = {
        "3 months (default)": "",
        "12 months": f"from={year.first}&to={year.last}",
        f"12 months, organisation {organisation}": (
            f"from={year.first}&to={year.last}&organisation={organisation}"
        ),
        f"12 months, case type {case_type}": (
            f"from={year.first}&to={year.last}&case_type={case_type}"
        ),
        "12 months, channel telefon, by day": (
            f"from={year.first}&to={year.last}&channel=telefon&bucket=dag"
        ),
    }
    print("| page | " + " | ".join(variants) + " |")
    print("|---|" + "---:|" * len(variants))
    for page in PAGES:
        figures = [median_ms(client, f"{page}?{query}") for query in variants.values()]
        print(f"| `{page}` | " + " | ".join(f"{f} ms" for f in figures) + " |")
    with app.app_context():
        from frontdesk.models import ApiToken, User
        from frontdesk.models.user import hash_token

        chef = db.session.scalar(sa.select(User).where(User.role == "chef"))
        if not db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hash_token("bench-token"))
        ):
            db.session.add(ApiToken(user=chef, token_hash=hash_token("bench-token")))
            db.session.commit()
    api = app.test_client()
    headers = {"Authorization": "Bearer bench-token"}
    times = []
    for query in ("", f"from={year.first}&to={year.last}"):
        api.get(f"/api/v1/stats/summary?{query}", headers=headers)
        runs = []
        for _ in range(7):
            started = time.perf_counter()
            assert api.get(f"/api/v1/stats/summary?{query}", headers=headers).status_code == 200
            runs.append((time.perf_counter() - started) * 1000)
        times.append(round(statistics.median(runs), 1))
    print(f"| `GET /api/v1/stats/summary` | {times[0]} ms | {times[1]} ms | | | |")
    # A cell of the busy-hours map: Mondays at 10, the busiest hour.
    cell = [
        median_ms(client, f"/oversikt/kontakter?{query}&weekday=0&hour=10")
        for query in variants.values()
    ]
    print("| `/oversikt/kontakter`, Mondays 10-11 | " + " | ".join(f"{f} ms" for f in cell) + " |")


def _peak_mb() -> float:
    """The process's peak resident set (VmHWM, Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(database: Path, name: str) -> None:
    """Child process: one export of the last year, read to the end as the server sends it."""
    # A child forked from a big parent (one that just seeded a million contacts) starts
    # with the parent's peak (ru_maxrss survives the exec): start the peak afresh.
    Path("/proc/self/clear_refs").write_text("5")
    from frontdesk.overview.filters import read_overview_filters
    from frontdesk.overview.views import download_body
    from frontdesk.periods import months_back

    app = _app(database)
    year = months_back(13)
    with app.test_request_context():
        filters = read_overview_filters({"from": str(year.first), "to": str(year.last)})
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in download_body(EXPORTS[name], filters))
        seconds = time.perf_counter() - started
    peak = _peak_mb()
    print(f"| {name} | {size / 1e6:.0f} MB | {seconds:.1f} s | {peak:.0f} MB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--database", help="seed this file if it does not exist, and keep it (to rerun quickly)"
    )
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--pages-only", action="store_true", help="skip the exports")
    args = parser.parse_args()
    if args.export:
        _export(Path(args.database), args.export)
        return
    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-overview-bench-"))
    database = Path(args.database) if args.database else workdir / "bench.sqlite3"
    try:
        if not database.exists():
            _seed(database, args.contacts)
        _pages(database)
        if args.pages_only:
            return
        print("\n| export | size | time | peak RSS |\n|---|---:|---:|---:|")
        for name in EXPORTS:
            subprocess.run(
                [sys.executable, __file__, "--database", str(database), "--export", name],
                check=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
