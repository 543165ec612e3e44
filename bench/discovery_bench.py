"""Benchmark: process discovery (rosa.discovery.discover) on a synthetic 100,000-event log.

Not a test: it prints figures to record in bench/README.md. It generates a
deterministic event log (about 12 events per case, 8,558 cases for 100,000
events, over an 18-activity permit process with branches, loops and
resources) into a temporary folder, written four ways: CSV grouped by case,
CSV sorted by time (all cases open at once), CSV shuffled (out of order: the
external sort through SQLite) and XES (3 attributes per event). Each file is
measured in a fresh child process: the median of 5 timed runs, then one run
under tracemalloc for the traced peak, and the growth of the process's peak
RSS (ru_maxrss) over the baseline after imports. Targets: under 3 s and under
50 MB traced peak per file.

    .venv/bin/python bench/discovery_bench.py [--events 100000] [--runs 5] [--seed 1]
"""

import argparse
import csv
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

TARGET_SECONDS = 3.0
TARGET_PEAK_MB = 50.0
RESOURCES = {
    "Ta emot ansökan": ["Anna", "Bo", "Cecilia"],
    "Registrera": ["Anna", "Bo", "Cecilia", "David"],
    "Kontrollera komplett": ["Erik", "Fatima"],
    "Begär komplettering": ["Erik", "Fatima"],
    "Komplettering inkommen": ["Anna", "Bo"],
    "Utreda": ["Gustav", "Hanna", "Ivar", "Jasmin"],
    "Enkel bedömning": ["Gustav", "Hanna"],
    "Fördjupad utredning": ["Ivar", "Jasmin", "Karl"],
    "Skicka remiss": ["Ivar", "Karl"],
    "Remissvar inkommen": ["Anna", "Bo"],
    "Kommunicera förslag": ["Hanna", "Jasmin"],
    "Besluta": ["Lena", "Mikael"],
    "Återremittera": ["Lena"],
    "Bevilja": ["Lena", "Mikael"],
    "Avslå": ["Lena", "Mikael"],
    "Expediera beslut": ["Anna", "Cecilia", "David"],
    "Fakturera": ["Nora"],
    "Arkivera": ["David", "Nora"],
}


def trace(rng: random.Random) -> list[str]:
    """The activities of one case: branches, a completion loop and a send-back loop."""
    steps = ["Ta emot ansökan", "Registrera", "Kontrollera komplett"]
    while rng.random() < 0.3:
        steps += ["Begär komplettering", "Komplettering inkommen", "Kontrollera komplett"]
    while True:
        steps.append("Utreda")
        branch = rng.random()
        if branch < 0.5:
            steps.append("Enkel bedömning")
        else:
            if branch > 0.85:
                steps += ["Skicka remiss", "Remissvar inkommen"]
            steps.append("Fördjupad utredning")
        if rng.random() < 0.3:
            steps.append("Kommunicera förslag")
        steps.append("Besluta")
        if rng.random() < 0.1:
            steps.append("Återremittera")
            continue
        break
    if rng.random() < 0.65:
        steps += ["Bevilja", "Expediera beslut"]
        if rng.random() < 0.5:
            steps.append("Fakturera")
    else:
        steps += ["Avslå", "Expediera beslut"]
    steps.append("Arkivera")
    return steps


def generate(events: int, seed: int) -> list[tuple[str, datetime, str, str]]:
    """(case, time, activity, resource) rows, grouped by case and in time order."""
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    rows: list[tuple[str, datetime, str, str]] = []
    number = 0
    while len(rows) < events:
        number += 1
        case = f"BN-{number:06d}"
        moment = first + timedelta(minutes=rng.randrange(365 * 24 * 60))
        for activity in trace(rng)[: events - len(rows)]:
            moment += timedelta(minutes=round(rng.expovariate(1 / 600)) + 1)
            rows.append((case, moment, activity, rng.choice(RESOURCES[activity])))
    return rows


def write_csv(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["case:concept:name", "concept:name", "time:timestamp", "org:resource"])
        for case, moment, activity, who in rows:
            writer.writerow([case, activity, moment.isoformat(sep=" "), who])


def write_xes(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        file.write('<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n')
        current = None
        for case, moment, activity, who in rows:
            if case != current:
                if current is not None:
                    file.write("  </trace>\n")
                file.write(f'  <trace>\n    <string key="concept:name" value="{case}"/>\n')
                current = case
            file.write(
                "    <event>\n"
                f'      <string key="concept:name" value={quoteattr(activity)}/>\n'
                f'      <string key="org:resource" value={quoteattr(who)}/>\n'
                f'      <date key="time:timestamp" value="{moment.isoformat(timespec="milliseconds")}"/>\n'
                "    </event>\n"
            )
        file.write("  </trace>\n</log>\n")


def write_logs(folder: Path, events: int, seed: int) -> dict[str, Path]:
    rows = generate(events, seed)
    paths = {
        "csv, grouped by case": folder / "grouped.csv",
        "csv, sorted by time": folder / "by-time.csv",
        "csv, shuffled": folder / "shuffled.csv",
        "xes": folder / "log.xes",
    }
    write_csv(paths["csv, grouped by case"], rows)
    write_xes(paths["xes"], rows)
    # Stable sort: a case's events keep their order when two share a minute.
    write_csv(paths["csv, sorted by time"], sorted(rows, key=lambda row: row[1]))
    random.Random(seed).shuffle(rows)
    write_csv(paths["csv, shuffled"], rows)
    return paths


def measure(path: Path, runs: int) -> dict:
    """Run in a child process: times, traced peak and RSS growth for one file."""
    from rosa.discovery import discover

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        with path.open("rb") as stream:
            result = discover(stream, filename=path.name)
        seconds.append(time.perf_counter() - started)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kb
    tracemalloc.start()
    with path.open("rb") as stream:
        discover(stream, filename=path.name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    flows = sorted((a, b, attrs["count"]) for a, b, attrs in result.graph.edges(data=True))
    return {
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "traced_peak_mb": peak / 2**20,
        "rss_growth_mb": rss_kb / 1024,
        "cases": result.cases,
        "events": result.events,
        "activities": result.activities,
        "external_sort": result.external_sort,
        "flows": flows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return

    folder = Path(tempfile.mkdtemp(prefix="discovery-bench-"))
    try:
        started = time.perf_counter()
        paths = write_logs(folder, args.events, args.seed)
        print(f"generated {args.events:,} events in {time.perf_counter() - started:.1f} s\n")
        results = {}
        for label, path in paths.items():
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[label] = json.loads(child.stdout)
        print(
            f"| log | size | median of {args.runs} | fastest | traced peak "
            "| RSS growth | cases | events | external sort |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for label, r in results.items():
            size = paths[label].stat().st_size / 2**20
            print(
                f"| {label} | {size:.1f} MB | {r['median_s']:.2f} s | {r['min_s']:.2f} s "
                f"| {r['traced_peak_mb']:.1f} MB | {r['rss_growth_mb']:.1f} MB "
                f"| {r['cases']:,} | {r['events']:,} | {'yes' if r['external_sort'] else 'no'} |"
            )
        maps = {json.dumps(r["flows"]) for r in results.values()}
        print(f"\nsame map from every file: {'yes' if len(maps) == 1 else 'NO'}")
        missed = [
            label
            for label, r in results.items()
            if r["median_s"] >= TARGET_SECONDS or r["traced_peak_mb"] >= TARGET_PEAK_MB
        ]
        print(
            f"targets (< {TARGET_SECONDS:g} s, < {TARGET_PEAK_MB:g} MB traced): "
            + ("met" if not missed else "MISSED by " + ", ".join(missed))
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
