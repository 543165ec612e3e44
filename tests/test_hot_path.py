"""The counter's hot path, POST /api/v1/contacts: what it asks the database, and when.

Decision 7 of issue 14: nothing after the commit reloads what the request already
has. Decision 5: the token, the user and the mandate come from the per-process cache
once it is warm, not from a query per request.
"""

import sqlalchemy as sa

from frontdesk.extensions import db

CONTACT = {"office": "K1", "channel": "telefon", "case_type": "EKB", "rosa_level": 5}


def _statements_of(app, call) -> list[str]:
    """The SQL SQLAlchemy sends during `call()`, with "COMMIT" where the transaction ends."""
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args):
        seen.append(" ".join(sql.split()))

    def commit(_conn):
        seen.append("COMMIT")

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "commit", commit)
    return seen


def test_logging_a_contact_reads_nothing_after_the_commit(app, api):
    api.post("/contacts", json=CONTACT)  # warm the caches
    seen = _statements_of(app, lambda: api.post("/contacts", json=CONTACT))
    assert seen.count("COMMIT") == 1
    assert seen[-1] == "COMMIT", seen[seen.index("COMMIT") :]


def test_a_warm_request_reads_no_token_user_or_mandate(app, api):
    api.post("/contacts", json=CONTACT)
    seen = _statements_of(app, lambda: api.post("/contacts", json=CONTACT))
    reads = [s for s in seen if s.startswith("SELECT")]
    for table in ("api_tokens", "mandates"):
        assert not [s for s in reads if f"FROM {table}" in s or f"JOIN {table}" in s], reads
    assert not [s for s in reads if s.startswith("SELECT users.id, users.username")], reads
    assert any(s.startswith("INSERT INTO contacts") for s in seen)
