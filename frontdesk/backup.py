"""Online backups of the database while the app keeps serving.

SQLite: the SQLite backup API copies the whole file in one step inside one read
transaction, so the copy is the database as of one commit however many workers
write meanwhile (WAL lets them); `PRAGMA integrity_check` then reads the copy.
PostgreSQL: `pg_dump --format=custom` (one snapshot of the database), with a
pg_dump at least as new as the server, and `pg_restore --list` reads it back.

The backup is written under a temporary name beside DEST and renamed to DEST
only when it is complete and checked, so a failed or interrupted backup never
leaves a partial file where a good one is expected. DEST is not overwritten
unless asked (`force`).
"""

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.extensions import db


class BackupError(Exception):
    """The backup could not be made; the message (Swedish) says why. DEST is untouched."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    method: str  # "sqlite" or "pg_dump"


def create_backup(dest: Path, force: bool = False, pg_dump: str | None = None) -> Backup:
    """Back up the app's database to `dest` and audit it (`backup.created`); the caller commits.

    `pg_dump` names the program to use on PostgreSQL; by default one matching the
    server's major version is looked for.
    """
    dest = Path(dest).absolute()
    if dest.is_dir():
        raise BackupError(f"{dest} är en mapp; ange ett filnamn.")
    if dest.exists() and not force:
        raise BackupError(f"{dest} finns redan. Välj ett annat namn eller använd --force.")
    if not dest.parent.is_dir():
        raise BackupError(f"Mappen {dest.parent} finns inte.")
    engine = db.engine
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise BackupError(f"Säkerhetskopiering stöds inte för {dialect}.")
    # Checked before anything is written: a missing pg_dump is a message, not a stray file.
    program = pg_dump
    if dialect == "postgresql" and not program:
        program = find_pg_program("pg_dump", server_major())

    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    except OSError as error:
        raise BackupError(f"Kan inte skriva i {dest.parent}: {error.strerror}.") from error
    os.close(fd)
    partial = Path(name)
    try:
        if dialect == "sqlite":
            _copy_sqlite(Path(engine.url.database), partial)
        else:
            _dump_postgresql(engine.url, program, partial)
        _fsync(partial)
        _move_into_place(partial, dest, force)
    except OSError as error:
        raise BackupError(f"Säkerhetskopian kunde inte skrivas: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
        for leftover in (
            Path(f"{partial}-journal"),
            Path(f"{partial}-wal"),
            Path(f"{partial}-shm"),
        ):
            leftover.unlink(missing_ok=True)
    _fsync_directory(dest.parent)
    method = "sqlite" if dialect == "sqlite" else "pg_dump"
    backup = Backup(dest, dest.stat().st_size, method)
    record(
        "backup.created", "database", None, None, path=str(dest), bytes=backup.size, method=method
    )
    return backup


def _copy_sqlite(source_path: Path, target_path: Path) -> None:
    # mode=rw: never create an empty database where the app's should be.
    source = sqlite3.connect(source_path.absolute().as_uri() + "?mode=rw", uri=True, timeout=30)
    target = sqlite3.connect(target_path)
    try:
        # pages=-1: everything in one step, one read transaction, one consistent snapshot.
        # (In smaller steps a write between them would restart the copy, forever under load.)
        source.backup(target, pages=-1)
        problems = [row[0] for row in target.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("Kopian klarade inte integritetskontrollen: " + "; ".join(problems))
        # A standalone file: no -wal beside it to forget when it is copied away.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite-kopieringen misslyckades: {error}") from error
    finally:
        target.close()
        source.close()


def server_major() -> int:
    """The PostgreSQL server's major version (15 for 15.4)."""
    return int(db.session.scalar(sa.text("SHOW server_version_num"))) // 10000


def _client_major(program: str) -> int | None:
    try:
        result = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    return int(found.group(1)) if found else None


def find_pg_program(name: str, major: int) -> str:
    """pg_dump or pg_restore for a server of this major version: the same version first,
    else the oldest newer one (pg_dump refuses to dump a server newer than itself).

    Debian and Ubuntu install each version under /usr/lib/postgresql/N/bin, Red Hat
    under /usr/pgsql-N/bin; the one on PATH is the last resort.
    """
    installed = glob.glob(f"/usr/lib/postgresql/*/bin/{name}") + glob.glob(
        f"/usr/pgsql-*/bin/{name}"
    )
    on_path = shutil.which(name)
    versions = [(_client_major(path), path) for path in installed + ([on_path] if on_path else [])]
    usable = sorted((v, path) for v, path in versions if v is not None and v >= major)
    if usable:
        return usable[0][1]
    hint = " eller ange programmet med --pg-dump" if name == "pg_dump" else ""
    raise BackupError(
        f"Hittar inget {name} för PostgreSQL {major} eller senare. "
        f"Installera postgresql-client-{major}{hint}."
    )


def _dump_postgresql(url: sa.URL, program: str, target_path: Path) -> None:
    # The password goes in the environment, not on the command line that `ps` shows.
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [program, "--format=custom", "--no-password", f"--file={target_path}", conninfo]
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
    except OSError as error:
        raise BackupError(f"pg_dump kunde inte startas ({program}): {error}") from error
    if result.returncode != 0:
        raise BackupError(f"pg_dump misslyckades: {result.stderr.strip()[-1000:]}")
    # Read the archive back: its table of contents is at the start, its data after.
    pg_restore = Path(program).with_name("pg_restore")
    if pg_restore.exists():
        listing = subprocess.run(
            [str(pg_restore), "--list", str(target_path)], capture_output=True, text=True
        )
        if listing.returncode != 0:
            raise BackupError(f"Kopian kunde inte läsas: {listing.stderr.strip()[-1000:]}")


def _move_into_place(partial: Path, dest: Path, force: bool) -> None:
    if force:
        os.replace(partial, dest)
        return
    exists = f"{dest} finns redan. Välj ett annat namn eller använd --force."
    try:
        # A hard link fails if DEST appeared meanwhile (another backup): never overwrite it.
        os.link(partial, dest)
    except FileExistsError as error:
        raise BackupError(exists) from error
    except OSError:
        # No hard links on this file system (some network shares): check, then rename.
        if dest.exists():
            raise BackupError(exists) from None
        os.replace(partial, dest)


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_directory(path: Path) -> None:
    """Make the new name itself durable, not only the file's contents."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
