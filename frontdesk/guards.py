"""Input no field may hold, refused before any view sees it."""

from flask import Flask, abort, request


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
