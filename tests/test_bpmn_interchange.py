"""Every BPMN file bpmn.io reads imports: the OMG interchange suite against bpmn-moddle.

bpmn-moddle (bpmn.io's parser, run by Node.js from tests/bpmn/, installed by scripts/test)
reads each of the suite's files; each file it reads must import into the app (possibly
with warnings), and each warning names an element or the file. Files: the suite packed in
tests/data/bpmn-miwg-suite.tar.xz and the samples in ../shared/data/bpmn-miwg/.
"""

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from rosa.bpmn import import_bpmn, write_bpmn

HERE = Path(__file__).resolve().parent
SUITE = HERE / "data" / "bpmn-miwg-suite.tar.xz"
SHARED = HERE.parents[1] / "shared" / "data" / "bpmn-miwg"
MODDLE = HERE / "bpmn"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("miwg")
    with tarfile.open(SUITE) as archive:
        archive.extractall(folder, filter="data")
    found = sorted(folder.rglob("*.bpmn")) + sorted(SHARED.rglob("*.bpmn"))
    assert len(found) >= 800  # the whole suite, not a handful
    return found


@pytest.fixture(scope="module")
def moddle_reads(files) -> dict[Path, dict]:
    """What bpmn-moddle makes of each file: {"read": bool, "warnings": n}."""
    node = shutil.which("node")
    if node is None or not (MODDLE / "node_modules" / "bpmn-moddle").is_dir():
        pytest.fail("bpmn-moddle is not installed: run scripts/test (npm ci in tests/bpmn)")
    return _moddle(files)


def test_every_file_bpmn_moddle_reads_imports(files, moddle_reads):
    read = [path for path in files if moddle_reads[path]["read"]]
    assert len(read) >= 800
    refused, warned = [], 0
    for path in read:
        try:
            result = import_bpmn(path.read_bytes())
        except Exception as error:  # noqa: BLE001 - every failure is listed below
            refused.append(f"{path.name}: {error}")
            continue
        warned += bool(result.warnings)
        for warning in result.warnings:
            # Each names the element (<tag id="...">) or speaks of the file or process.
            assert warning.startswith(("<", "filen", "processen", "och ")), warning
    assert refused == [], "\n".join(refused[:20])
    assert warned < len(read) / 4  # warnings are for what is odd, not for everything


def _moddle(paths: list[Path]) -> dict[Path, dict]:
    answer = subprocess.run(
        [shutil.which("node") or "node", str(MODDLE / "read.mjs")],
        input="\n".join(str(path) for path in paths),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return {Path(row["path"]): row for row in map(json.loads, answer.stdout.splitlines())}


def test_the_apps_exports_open_in_bpmn_io_without_a_warning(files, moddle_reads, tmp_path):
    exported = []
    for index, path in enumerate(files):
        graph = import_bpmn(path.read_bytes()).graph
        if not graph.number_of_nodes():
            continue
        target = tmp_path / f"{index}.bpmn"
        target.write_bytes(write_bpmn(graph))
        exported.append(target)
    assert len(exported) >= 800
    opened = _moddle(exported)
    trouble = [p.name for p in exported if not opened[p]["read"] or opened[p]["warnings"]]
    assert trouble == []
    # And they read back into the app as they were, without a warning.
    for target in exported[::25]:
        assert import_bpmn(target.read_bytes()).warnings == []
