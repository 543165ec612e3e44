"""Where a logged contact's time goes: POST /api/v1/contacts in-process, under cProfile.

A companion to bench/load_bench.py: one process, no HTTP server and no
concurrency, so the figures are CPU per request and hardly move with the noise
of a shared machine. It posts the bodies bench/post_contact.lua sends through
Flask's test client, to the app and to the floor (bench/floor_app.py), on a copy
of a database (a SQLite file, e.g. the seeded one load_bench.py caches) or on a
scratch PostgreSQL database (e.g. the NAME_load copy load_bench.py leaves), and
prints the time per request and the share of the app's phases.

    .venv/bin/python bench/contact_profile.py /tmp/frontdesk-load-bench/sqlite-1000000.sqlite3
    .venv/bin/python bench/contact_profile.py postgresql+psycopg://…/NAME_load
"""

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASE_TYPES = ["PARK", "BYGGLOV", "EKB", "FSKOLA", "AVFALL", "BIBL", "FKBARN", "SKVFOLK", "HEMTJ"]
CHANNELS = ["besok", "telefon", "epost", "chatt"]
LEVELS = [1, 1, 2, 2, 2, 3, 4, 6]
# The same 64 bodies as bench/post_contact.lua (Lua counts from 1, hence i + 1).
BODIES = [
    {
        "office": "K1",
        "channel": CHANNELS[(i + 1) % 4],
        "case_type": CASE_TYPES[(i + 1) % 9],
        "rosa_level": LEVELS[(i + 1) % 8],
        "duration_seconds": 60 + (i + 1) * 7,
    }
    for i in range(64)
]

# (phase, function name as cProfile names it, file ending): cumulative time of each.
# A phase that a version of the app does not have shows 0 %.
PHASES = [
    ("token check (before_request)", "authenticate", "api/auth.py"),
    ("  the cached token's user (cache.api_user)", "api_user", "frontdesk/cache.py"),
    ("  the cache versions' read (once per transaction)", "_versions", "frontdesk/cache.py"),
    ("JSON body read and validated (pydantic)", "_validated", "api/spec.py"),
    ("the view (counter/api.py create_contact)", "create_contact", "counter/api.py"),
    ("  office lookup (catalogue cache)", "office_by_code", "frontdesk/cache.py"),
    ("  case type lookup (catalogue cache)", "case_type_by_code", "frontdesk/cache.py"),
    ("  log_contact", "log_contact", "counter/operations.py"),
    ("    catalogue (cache)", "catalogue", "frontdesk/cache.py"),
    ("    the tallies (tallies.contact_changed)", "contact_changed", "frontdesk/tallies.py"),
    ("    referral (a third of the bodies)", "_insert_referral", "counter/operations.py"),
    ("    audit event", "record", "frontdesk/audit.py"),
    ("201 response (serialised)", "_serialised", "api/spec.py"),
    ("commit (after_request)", "commit_or_roll_back", "frontdesk/database.py"),
    ("request log line", "_log_request", "frontdesk/web.py"),
    ("security headers", "_set_security_headers", "frontdesk/web.py"),
]


def post_all(client, headers: dict, count: int, keyed: bool = False) -> list[float]:
    """POST count contacts; with keyed, each with an Idempotency-Key of its own."""
    timings = []
    for n in range(count):
        if keyed:
            headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        started = time.perf_counter()
        response = client.post("/api/v1/contacts", json=BODIES[n % 64], headers=headers)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 201, response.get_data(as_text=True)
    return timings


def cumulative(stats: pstats.Stats, name: str, file_end: str) -> float:
    """The function's cumulative time; of several of that name (Form.validate calling
    BaseForm.validate), the outermost, which holds the others."""
    return max(
        (
            row[3]
            for (file, _, function), row in stats.stats.items()
            if function == name and file.endswith(file_end)
        ),
        default=0.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database",
        help="a seeded SQLite file (a copy is used) or a database URL (written to as it is)",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--keyed",
        action="store_true",
        help="also time the app with an Idempotency-Key on every request (a retrying client)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-profile-"))
    if "://" in args.database:  # a server database, used as it is: pass a scratch copy
        os.environ["DATABASE_URL"] = args.database
    else:
        copy = workdir / "bench.sqlite3"
        shutil.copyfile(args.database, copy)
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("SECRET_KEY", "bench-secret")

    from bench.floor_app import create_app as create_floor
    from frontdesk import create_app

    app = create_app()
    with app.app_context():
        runner = app.test_cli_runner()
        runner.invoke(args=["db", "upgrade"])  # the seeded copy may predate a migration
        # The token is the first line; its expiry follows (standard error, mixed in here).
        token = runner.invoke(args=["create-token", "anna"]).output.strip().splitlines()[0]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    floor = create_floor().test_client()

    post_all(client, headers, 200)  # warm-up: statement caches, page cache
    post_all(floor, headers, 200)
    app_cpu = time.process_time()
    app_wall = post_all(client, headers, args.requests)
    app_cpu = (time.process_time() - app_cpu) / args.requests
    floor_cpu = time.process_time()
    floor_wall = post_all(floor, headers, args.requests)
    floor_cpu = (time.process_time() - floor_cpu) / args.requests
    if args.keyed:
        keyed_cpu = time.process_time()
        keyed_wall = post_all(client, headers, args.requests, keyed=True)
        keyed_cpu = (time.process_time() - keyed_cpu) / args.requests

    # CPU time, not wall time: the server is CPU-bound under load, and waiting for the
    # fsync at commit would otherwise dominate the shares.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    post_all(client, headers, args.requests)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt

    print(f"{args.requests} requests each, in-process (test client), on {args.database}")
    print("| | wall per request (median) | CPU per request |")
    print("|---|---:|---:|")
    print(f"| app | {statistics.median(app_wall) * 1000:.2f} ms | {app_cpu * 1000:.2f} ms |")
    print(f"| floor | {statistics.median(floor_wall) * 1000:.2f} ms | {floor_cpu * 1000:.2f} ms |")
    if args.keyed:
        wall = statistics.median(keyed_wall) * 1000
        print(f"| app, Idempotency-Key on each | {wall:.2f} ms | {keyed_cpu * 1000:.2f} ms |")
    print()
    print("| phase of the app's request (cProfile, CPU time, cumulative) | share |")
    print("|---|---:|")
    for label, name, file_end in PHASES:
        print(f"| {label} | {cumulative(stats, name, file_end) / total:.0%} |")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
