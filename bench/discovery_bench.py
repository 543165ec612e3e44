"""Benchmark: process discovery (rosa.discovery.discover) against PM4Py, side by side.

Not a test: it prints figures to record in bench/README.md. For each size (default
100,000 and 1,000,000 events) it generates a deterministic event log (about 12 events
per case over an 18-activity permit process with branches, loops and resources) into a
temporary folder, written as CSV grouped by case, CSV sorted by time (all cases open at
once), CSV shuffled (out of order) and, at the first size, XES. Each file is read in a
fresh child process: by the app (`discover`), and by PM4Py (`pandas.read_csv` +
`pm4py.format_dataframe` + `pm4py.discover_dfg`; XES with `pm4py.read_xes`) in a virtual
environment of its own, which the bench creates with `pip install pm4py` on first use
(PM4Py is AGPL: never a dependency of the app). Medians of `--runs` timed runs after
imports; memory is the growth of the child's peak resident set (VmHWM, reset after the
imports of pandas and PM4Py, or pyarrow and numpy) over its size then; and whether the
directly-follows counts are the same. Linux only (/proc).

    .venv/bin/python bench/discovery_bench.py [--events 100000 1000000] [--runs 5]
        [--pm4py-venv /tmp/pm4py-venv] [--seed 1]
"""

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

PM4PY = "pm4py==2.7.23.11"
# Run by the PM4Py environment's Python: times, peak RSS and the DFG of one file.
PM4PY_CHILD = """
import contextlib, io, json, resource, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
with contextlib.redirect_stdout(io.StringIO()):
    import pandas as pd
    import pm4py
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak: a forked child starts with its parent's
baseline = hwm()
path, runs = sys.argv[1], int(sys.argv[2])
seconds = []
for _ in range(runs):
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if path.endswith(".xes"):
            frame = pm4py.read_xes(path)
        else:
            frame = pm4py.format_dataframe(
                pd.read_csv(path), case_id="case:concept:name",
                activity_key="concept:name", timestamp_key="time:timestamp")
        dfg, _, _ = pm4py.discover_dfg(frame)
    seconds.append(time.perf_counter() - started)
print(json.dumps({
    "median_s": statistics.median(seconds),
    "growth_mb": hwm() - baseline,
    "dfg": sorted([a, b, n] for (a, b), n in dfg.items()),
}))
"""
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


def peak_mb() -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak() -> None:
    """Start the peak afresh (Linux): a child forked from a big parent starts with its peak
    (ru_maxrss survives the exec), which would hide what the child itself used."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(path: Path, runs: int) -> dict:
    """Run in a child process: the app's times, peak RSS and directly-follows counts."""
    import numpy  # noqa: F401 - imported by discover on first use: not counted as its memory
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401

    from rosa.discovery import END, START, discover

    reset_peak()
    baseline = peak_mb()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        with path.open("rb") as stream:
            result = discover(stream, filename=path.name)
        seconds.append(time.perf_counter() - started)
    dfg = sorted(
        [a, b, attrs["count"]]
        for a, b, attrs in result.graph.edges(data=True)
        if a != START and b != END
    )
    return {
        "median_s": statistics.median(seconds),
        "growth_mb": peak_mb() - baseline,
        "cases": result.cases,
        "events": result.events,
        "sorted": result.external_sort,
        "dfg": dfg,
    }


def pm4py_python(venv: Path) -> Path:
    """The PM4Py environment's Python, created (and PM4Py installed) on first use."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} and installing {PM4PY} (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PM4PY], check=True)
    return python


def child(command: list[str]) -> dict:
    answer = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pm4py-venv", type=Path, default=Path("/tmp/pm4py-venv"))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return
    pm4py = pm4py_python(args.pm4py_venv)
    print(
        "| log | events | size | app, median | PM4Py, median | PM4Py / app "
        "| app memory | PM4Py memory | same DFG |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for size_number, events in enumerate(args.events):
        folder = Path(tempfile.mkdtemp(prefix="discovery-bench-"))
        try:
            paths = write_logs(folder, events, args.seed)
            if size_number:  # XES at the first size only: PM4Py's reader takes minutes
                paths.pop("xes", None)
            for label, path in paths.items():
                app = child(
                    [sys.executable, __file__, "--measure", str(path), "--runs", str(args.runs)]
                )
                other = child([str(pm4py), "-c", PM4PY_CHILD, str(path), str(args.runs)])
                size = path.stat().st_size / 2**20
                print(
                    f"| {label} | {events:,} | {size:.1f} MB | {app['median_s']:.2f} s "
                    f"| {other['median_s']:.2f} s | **{other['median_s'] / app['median_s']:.1f}×** "
                    f"| {app['growth_mb']:.0f} MB | {other['growth_mb']:.0f} MB "
                    f"| {'yes' if app['dfg'] == other['dfg'] else 'NO'} |",
                    flush=True,
                )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
