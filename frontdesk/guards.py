"""Input no field may hold, refused before any view sees it."""

from flask import Flask, abort, request

MAX_ID = 2**63 - 1


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        """A NUL byte is never text a person typed; PostgreSQL cannot even store it."""
        if _has_nul(request.args.values()) or (
            request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _has_nul(request.form.values())
        ):
            abort(400)

    @app.before_request
    def refuse_ids_beyond_the_database():
        """An id in the URL no table can hold is simply not there (SQLite would overflow)."""
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                abort(404)
