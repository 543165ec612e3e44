"""Benchmark: bulk-load 1,000,000 contacts, then POST /api/v1/contacts from 8 clients.

Not a test: it prints figures to record in bench/README.md. It runs the real
production server (gunicorn, gunicorn.conf.py) on a fresh database, by default a
SQLite file in a temporary folder; pass --database-url for PostgreSQL.

    .venv/bin/python bench/api_latency.py [--contacts 1000000] [--clients 8] [--requests 4000]
"""

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CASE_TYPES = ["PARK", "BYGGLOV", "EKB", "FSKOLA", "AVFALL", "BIBL", "FKBARN", "SKVFOLK", "HEMTJ"]


def flask(env, *args) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "frontdesk", *args],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
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


def client(args) -> list[float]:
    """One client: its own connection per request (gunicorn's sync workers close them)."""
    base, token, count, seed = args
    rng = random.Random(seed)
    latencies = []
    for _ in range(count):
        body = json.dumps({
            "office": "K1",
            "channel": rng.choice(["besok", "telefon", "epost", "chatt"]),
            "case_type": rng.choice(CASE_TYPES),
            "rosa_level": rng.choice([1, 1, 2, 2, 2, 3, 4, 6]),
            "duration_seconds": rng.randint(60, 900),
        }).encode()
        request = urllib.request.Request(
            f"{base}/api/v1/contacts", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            if response.status != 201:
                raise RuntimeError(f"unexpected status {response.status}")
        latencies.append(time.perf_counter() - started)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000, help="measured requests in all")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: its config)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    env = dict(os.environ)
    env["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env.setdefault("SECRET_KEY", "bench-secret")
    env["ACCESS_LOG"] = "/dev/null"
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    backend = env["DATABASE_URL"].split(":", 1)[0]

    flask(env, "db", "upgrade")
    started = time.perf_counter()
    flask(env, "seed-demo", "--contacts", str(args.contacts))
    seed_seconds = time.perf_counter() - started
    token = flask(env, "create-token", "anna").strip()

    port = free_port()
    env["BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "frontdesk:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/v1/offices", token)
        per_client = max(1, args.warmup // args.clients)
        with multiprocessing.Pool(args.clients) as pool:
            pool.map(client, [(base, token, per_client, i) for i in range(args.clients)])
            per_client = args.requests // args.clients
            started = time.perf_counter()
            results = pool.map(client, [(base, token, per_client, 100 + i) for i in range(args.clients)])
            elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    latencies = [value for chunk in results for value in chunk]
    report = {
        "backend": backend,
        "contacts_loaded": args.contacts,
        "seed_seconds": round(seed_seconds, 1),
        "clients": args.clients,
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
