"""Benchmark: the queue page and GET /api/v1/referrals with 50,000 open referrals.

Not a test: it prints figures to record in bench/README.md. A fresh database
(SQLite by default, --database-url for PostgreSQL) gets the demo catalogue and
users, then 50,000 escalated contacts whose referrals are open (new, claimed,
parked) in Tekniska förvaltningen's queues, the handler peter's organisation.
gunicorn serves it; wrk asks for the first page of the queue as peter (the
web page, logged in) and through the API (peter and admin), sorted by due time.

    .venv/bin/python bench/referrals_latency.py [--referrals 50000] [--clients 1 8] [--seconds 15]
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_latency import BIN, ROOT, bench_environment, flask, production_server  # noqa: E402

LUA = """
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %d, "non_2xx": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "requests_per_second": %.1f}\\n',
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
"""


def load_open_referrals(env: dict, count: int) -> None:
    """Bulk-load `count` escalated contacts with open referrals, in the app's own transaction."""
    script = f"""
import random
from datetime import UTC, datetime, timedelta
import sqlalchemy as sa
from frontdesk import create_app
from frontdesk.demo.seed import bulk_insert, CONTACT_COLUMNS, REFERRAL_COLUMNS
from frontdesk.extensions import db
from frontdesk.models import CaseType, Contact, Office, Organisation, Queue, User

app = create_app()
with app.app_context():
    rng = random.Random(7)
    tek = db.session.scalar(sa.select(Organisation).where(Organisation.code == "TEK"))
    case_types = [ct for ct in db.session.scalars(sa.select(CaseType)) if ct.organisation_id == tek.id]
    offices = list(db.session.scalars(sa.select(Office)))
    handlers = list(db.session.scalars(sa.select(User.id).where(User.organisation_id == tek.id)))
    first = (db.session.scalar(sa.select(sa.func.max(Contact.id))) or 0) + 1
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = lambda m: m.strftime("%Y-%m-%d %H:%M:%S.000000")
    contacts, referrals = [], []
    for i in range({count}):
        ct = rng.choice(case_types)
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        status = rng.choice(("ny", "ny", "ny", "pagar", "vantar"))
        handler = rng.choice(handlers) if status != "ny" else None
        contacts.append((first + i, stamp(created), rng.choice(offices).id, "telefon", ct.id, 6,
                         "eskalerat", 300, None, "", False, stamp(created)))
        referrals.append((first + i, ct.referral_queue().id, status, stamp(created),
                          stamp(created + timedelta(hours=ct.sla_hours * 3.7)), None, 1,
                          handler, stamp(created) if handler else None,
                          (created + timedelta(days=20)).date().isoformat() if status == "vantar" else None,
                          stamp(created) if status == "vantar" else None, "", "", None, None, False))
    bulk_insert("contacts", CONTACT_COLUMNS, contacts)
    bulk_insert("referrals", REFERRAL_COLUMNS, referrals)
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT MAX(id) FROM contacts))"))
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
"""
    subprocess.run([str(BIN / "python"), "-c", script], env=env, cwd=ROOT, check=True)


def session_cookie(base: str, username: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
    opener.open(f"{base}/login", data=data.encode()).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, header: str, clients: int, seconds: int, script: Path) -> dict:
    result = subprocess.run(
        [
            "wrk",
            f"-t{min(clients, 2)}",
            f"-c{clients}",
            f"-d{seconds}s",
            "-H",
            header,
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=50_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir, env = bench_environment(args.database_url)
    flask(env, "seed-demo", "--contacts", "0")
    load_open_referrals(env, args.referrals)
    peter_token = flask(env, "create-token", "peter").strip()
    admin_token = flask(env, "create-token", "admin").strip()
    script = workdir / "report.lua"
    script.write_text(LUA)

    results = {}
    with production_server(env, peter_token) as base:
        cookie = session_cookie(base, "peter", "peter123")
        targets = {
            "queue page (peter)": (f"{base}/remisser/", f"Cookie: {cookie}"),
            "API sort=due (peter)": (
                f"{base}/api/v1/referrals?sort=due",
                f"Authorization: Bearer {peter_token}",
            ),
            "API newest (admin)": (
                f"{base}/api/v1/referrals",
                f"Authorization: Bearer {admin_token}",
            ),
        }
        for name, (url, header) in targets.items():
            wrk(url, header, 2, 3, script)  # warm-up
            for clients in args.clients:
                results[f"{name}, {clients} client(s)"] = wrk(
                    url, header, clients, args.seconds, script
                )
    backend = "postgresql" if "postgres" in env["DATABASE_URL"] else "sqlite"
    print(
        json.dumps(
            {"backend": backend, "open_referrals": args.referrals, "results": results}, indent=2
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
