"""Benchmark: bulk-load 1,000,000 contacts, then POST /api/v1/contacts from 8 clients.

Not a test: it prints figures to record in bench/README.md. It starts the real
production server (gunicorn with gunicorn.conf.py) on a fresh database, by
default a SQLite file in a temporary folder (--database-url for PostgreSQL),
and drives it with wrk (Debian package `wrk`; bench/post_contact.lua builds
the requests and reports p50/p95/p99). On SQLite it measures both durability
settings, SQLITE_SYNCHRONOUS=FULL (the default) and NORMAL, in the same run.

    .venv/bin/python bench/api_latency.py [--contacts 1000000] [--clients 8] [--seconds 20]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def flask(env, *args) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "frontdesk", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, token: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            urllib.request.urlopen(request, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url}")


def wrk(base: str, token: str, clients: int, seconds: int) -> dict:
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "-s",
            str(ROOT / "bench/post_contact.lua"),
            base,
        ],
        env={**os.environ, "TOKEN": token},
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@contextmanager
def production_server(env: dict, token: str):
    """gunicorn with gunicorn.conf.py on a free loopback port; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "frontdesk:create_app()"],
        env={**env, "BIND": f"127.0.0.1:{port}", "ACCESS_LOG": "/dev/null"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/v1/offices", token)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def measure(env: dict, token: str, clients: int, seconds: int) -> dict:
    with production_server(env, token) as base:
        wrk(base, token, clients, 3)  # warm-up: worker imports, page cache
        return wrk(base, token, clients, seconds)


def bench_environment(database_url: str) -> tuple[Path, dict]:
    """A temporary folder and the environment for a fresh database (SQLite in it by default)."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env.setdefault("SECRET_KEY", "bench-secret")
    flask(env, "db", "upgrade")
    return workdir, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir, env = bench_environment(args.database_url)
    backend = "postgresql" if "postgres" in env["DATABASE_URL"] else "sqlite"
    started = time.perf_counter()
    flask(env, "seed-demo", "--contacts", str(args.contacts))
    seed_seconds = round(time.perf_counter() - started, 1)
    token = flask(env, "create-token", "anna").strip()

    runs = {}
    modes = ["FULL", "NORMAL"] if backend == "sqlite" else [None]
    for mode in modes:
        run_env = dict(env, SQLITE_SYNCHRONOUS=mode) if mode else env
        runs[mode.lower() if mode else backend] = measure(
            run_env, token, args.clients, args.seconds
        )
    print(
        json.dumps(
            {
                "backend": backend,
                "contacts_loaded": args.contacts,
                "seed_seconds": seed_seconds,
                "clients": args.clients,
                "seconds": args.seconds,
                "runs": runs,
            },
            indent=2,
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
