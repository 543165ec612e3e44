"""CPU per logged-in browser request: GET /disk/katalog answered 304 (the counter's poll,
about the cheapest page a logged-in person asks for), so what the login check costs shows.

Run it on two checkouts, alternately, to compare (e.g. before and after server-side
sessions), each on a copy of the same seeded SQLite file:

    git worktree add /tmp/before 886cce2
    .venv/bin/python bench/session_cost.py /tmp/before /tmp/frontdesk-load-bench/sqlite-1000000.sqlite3
    .venv/bin/python bench/session_cost.py . /tmp/frontdesk-load-bench/sqlite-1000000.sqlite3
"""

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "bench-lösen-123456"


def main() -> None:
    checkout, seeded = Path(sys.argv[1]).resolve(), sys.argv[2]
    sys.path.insert(0, str(checkout))
    work = Path(tempfile.mkdtemp(prefix="frontdesk-session-cost-"))
    shutil.copy(seeded, work / "db.sqlite3")
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["SECRET_KEY"] = "bench"
    logging.disable(logging.CRITICAL)  # no request log lines in the timing

    import sqlalchemy as sa

    from frontdesk import create_app
    from frontdesk.extensions import db
    from frontdesk.models import User

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        app.test_cli_runner().invoke(args=["db", "upgrade"])
        anna = db.session.scalar(sa.select(User).where(User.username == "anna"))
        anna.set_password(PASSWORD)
        db.session.commit()
    client = app.test_client()
    login = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert login.status_code == 302
    unchanged = {"If-None-Match": client.get("/disk/katalog").headers["ETag"]}
    for _ in range(300):  # warm-up
        client.get("/disk/katalog", headers=unchanged)
    runs = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(1000):
            assert client.get("/disk/katalog", headers=unchanged).status_code == 304
        runs.append(time.process_time() - started)  # seconds per 1000 = ms per request
    print(f"{checkout}: CPU per request, median of 5 x 1000: {statistics.median(runs):.3f} ms")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
