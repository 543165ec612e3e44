"""Benchmark: contact logging under load against a one-INSERT floor, and worker memory.

Not a test: it prints figures to record in bench/README.md (issue 7). On one
database with 1,000,000 seeded contacts it starts two production servers
(gunicorn with gunicorn.conf.py): the app, and the floor (bench/floor_app.py:
one Flask endpoint that takes the same JSON body and does one INSERT into the
same contacts table with the same engine settings). wrk with
bench/post_contact.lua drives each with every number of clients, interleaved
(app, floor, floor, app, ... so that drift on a shared machine hits both
alike) for several rounds. It reports the medians of requests/s and of wrk's
p50/p95/p99 over the rounds, and the median of the per-round ratios app/floor.
After the load it reads the resident memory (VmRSS) of every gunicorn worker.

The seeded database is kept between runs: a SQLite file in --cache-dir, or on
PostgreSQL a template database NAME_seed_N beside the --database-url's NAME;
each run works on a copy (NAME_load), so rows logged by a run do not pile up.

    .venv/bin/python bench/load_bench.py                          # SQLite, synchronous=FULL
    .venv/bin/python bench/load_bench.py --database-url postgresql+psycopg://…/NAME
    options: --contacts 1000000 --clients 8 32 --rounds 5 --seconds 15
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from api_latency import BIN, ROOT, flask, free_port, wait_for

APP = "frontdesk:create_app()"
FLOOR = "bench.floor_app:create_app()"


def wrk(base: str, token: str, clients: int, seconds: int) -> dict:
    """wrk with bench/post_contact.lua; a 10 s time-out, so that slow answers at 32
    clients on a loaded machine count in the percentiles instead of as socket errors."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s"]
        + ["-s", str(ROOT / "bench/post_contact.lua"), base],
        env={**os.environ, "TOKEN": token},
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@dataclass
class Server:
    name: str
    base: str
    pid: int


@contextmanager
def gunicorn(name: str, target: str, env: dict, token: str, ready_path: str):
    """A production server for `target` (gunicorn.conf.py) on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", target],
        env={**env, "BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "/dev/null"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + ready_path, token, seconds=60)
        yield Server(name, base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def workers(master_pid: int) -> list[str]:
    return Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()


def cpu_seconds(master_pid: int) -> float:
    """User and system CPU time of the master and its workers so far."""
    ticks = 0
    for pid in [str(master_pid), *workers(master_pid)]:
        # Fields after the command name's closing parenthesis; utime and stime are 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def worker_rss_mb(master_pid: int) -> list[float]:
    """VmRSS of each worker (the master's children), in MB."""
    sizes = []
    for pid in workers(master_pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


# --- the seeded database, cached ---------------------------------------------------------


def seed(env: dict, contacts: int) -> float:
    flask(env, "db", "upgrade")
    started = time.perf_counter()
    flask(env, "seed-demo", "--contacts", str(contacts))
    return round(time.perf_counter() - started, 1)


def sqlite_copy(cache_dir: Path, contacts: int, workdir: Path, env: dict) -> str:
    """A copy of the cached seeded SQLite file (seeded first if missing); its URL."""
    cached = cache_dir / f"sqlite-{contacts}.sqlite3"
    if not cached.exists():
        seeding = cache_dir / f"seeding-{contacts}.sqlite3"
        for stale in cache_dir.glob(f"{seeding.name}*"):
            stale.unlink()
        seconds = seed({**env, "DATABASE_URL": f"sqlite:///{seeding}"}, contacts)
        print(f"seeded {contacts} contacts on SQLite in {seconds} s", file=sys.stderr)
        engine = sa.create_engine(f"sqlite:///{seeding}")
        with engine.connect() as connection:  # everything into the main file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        seeding.rename(cached)
    copy = workdir / "bench.sqlite3"
    shutil.copyfile(cached, copy)
    return f"sqlite:///{copy}"


def postgres_copy(url: str, contacts: int, env: dict) -> str:
    """A fresh copy of the seeded template database NAME_seed_N (seeded first if missing)."""
    base = sa.make_url(url)
    template = f"{base.database}_seed_{contacts}"
    seeding = f"{base.database}_seeding_{contacts}"
    load = f"{base.database}_load"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": template}
        )
        if not exists:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{seeding}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{seeding}"')
            seeding_url = base.set(database=seeding).render_as_string(hide_password=False)
            seconds = seed({**env, "DATABASE_URL": seeding_url}, contacts)
            print(f"seeded {contacts} contacts on PostgreSQL in {seconds} s", file=sys.stderr)
            connection.exec_driver_sql(f'ALTER DATABASE "{seeding}" RENAME TO "{template}"')
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{load}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{load}" TEMPLATE "{template}"')
    admin.dispose()
    return base.set(database=load).render_as_string(hide_password=False)


# --- the load --------------------------------------------------------------------------


def run_rounds(servers: dict, token: str, clients: list[int], rounds: int, seconds: int) -> list:
    """Every round, every number of clients: app and floor back to back, the order alternating."""
    runs = []
    for round_number in range(rounds):
        for count in clients:
            order = ["app", "floor"] if round_number % 2 == 0 else ["floor", "app"]
            for name in order:
                load = os.getloadavg()[0]
                cpu_before = cpu_seconds(servers[name].pid)
                result = wrk(servers[name].base, token, count, seconds)
                # The server's own CPU per request: what a shared machine's noise moves least.
                cpu_ms = (cpu_seconds(servers[name].pid) - cpu_before) * 1000
                result["cpu_ms_per_request"] = round(cpu_ms / max(result["requests"], 1), 2)
                runs.append(
                    {"round": round_number, "clients": count, "server": name, "load1": load}
                    | result
                )
                print(
                    f"round {round_number} c{count} {name}: "
                    f"{result['requests_per_second']:.1f}/s p95 {result['p95_ms']:.1f} ms "
                    f"cpu {result['cpu_ms_per_request']} ms/request load {load:.1f}",
                    file=sys.stderr,
                )
    return runs


def summarise(runs: list, clients: list[int]) -> list[dict]:
    rows = []
    for count in clients:
        row = {"clients": count}
        for name in ("app", "floor"):
            mine = [r for r in runs if r["clients"] == count and r["server"] == name]
            for key in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms", "cpu_ms_per_request"):
                row[f"{name}_{key}"] = round(statistics.median(r[key] for r in mine), 1)
            row[f"{name}_errors"] = sum(r["non_2xx"] + r["socket_errors"] for r in mine)
        pairs = {}
        for run in runs:
            if run["clients"] == count:
                pairs.setdefault(run["round"], {})[run["server"]] = run["requests_per_second"]
        ratios = [p["app"] / p["floor"] for p in pairs.values()]
        row["ratio"] = round(statistics.median(ratios), 3)
        row["ratio_min"] = round(min(ratios), 3)
        row["ratio_max"] = round(max(ratios), 3)
        rows.append(row)
    return rows


def markdown(backend: str, rows: list[dict], rss: dict) -> str:
    lines = [
        "| database | clients | app req/s | floor req/s | app / floor (range) "
        "| app p50 / p95 / p99 | floor p50 / p95 / p99 | server CPU per request app / floor "
        "| non-2xx + socket errors |",
        "|---|---:|---:|---:|---:|---|---|---|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {backend} | {row['clients']} | {row['app_requests_per_second']:.1f} "
            f"| {row['floor_requests_per_second']:.1f} "
            f"| **{row['ratio']:.0%}** ({row['ratio_min']:.0%}–{row['ratio_max']:.0%}) "
            f"| {row['app_p50_ms']} / **{row['app_p95_ms']}** / {row['app_p99_ms']} ms "
            f"| {row['floor_p50_ms']} / {row['floor_p95_ms']} / {row['floor_p99_ms']} ms "
            f"| {row['app_cpu_ms_per_request']} / {row['floor_cpu_ms_per_request']} ms "
            f"| {row['app_errors'] + row['floor_errors']} |"
        )
    lines.append("")
    lines.append(
        f"Worker RSS after the load ({backend}): app max **{max(rss['app']):.1f} MB** "
        f"(workers {', '.join(f'{x:.1f}' for x in rss['app'])}); "
        f"floor max {max(rss['floor']):.1f} MB."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL; default a SQLite file")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--cache-dir", default="/tmp/frontdesk-load-bench")
    parser.add_argument("--json", help="also write every run and the summary to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-load-"))
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret")}
    if args.database_url:
        backend = "PostgreSQL"
        env["DATABASE_URL"] = postgres_copy(args.database_url, args.contacts, env)
    else:
        backend = f"SQLite ({env.get('SQLITE_SYNCHRONOUS', 'FULL')})"
        cache_dir = Path(args.cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = sqlite_copy(cache_dir, args.contacts, workdir, env)
    flask(env, "db", "upgrade")  # the cached seed may predate a migration
    token = flask(env, "create-token", "anna").strip()

    try:
        with (
            gunicorn("app", APP, env, token, "/api/v1/offices") as app,
            gunicorn("floor", FLOOR, env, token, "/") as floor,
        ):
            servers = {"app": app, "floor": floor}
            for server in servers.values():  # warm-up: imports, first connections, page cache
                wrk(server.base, token, max(args.clients), 3)
            runs = run_rounds(servers, token, args.clients, args.rounds, args.seconds)
            rss = {name: worker_rss_mb(server.pid) for name, server in servers.items()}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    rows = summarise(runs, args.clients)
    result = {
        "date": date.today().isoformat(),
        "backend": backend,
        "contacts_seeded": args.contacts,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "workers": len(rss["app"]),
        "summary": rows,
        "rss_mb": rss,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result | {"runs": runs}, indent=2))
    print(json.dumps(result, indent=2))
    print()
    print(markdown(backend, rows, rss))


if __name__ == "__main__":
    main()
