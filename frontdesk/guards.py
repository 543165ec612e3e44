"""Input no field may hold, refused before any view sees it."""

from flask import Flask, Request, abort, current_app, jsonify, request

MAX_ID = 2**63 - 1
# Only these take files (BPMN, event logs), up to MAX_CONTENT_LENGTH. Everything else
# is a form or a JSON object a person or an e-service wrote: the longest text any field
# takes (an inbox message, 100,000 characters) fits in MAX_BODY_LENGTH many times over,
# and a larger body is refused with 413 before a byte of it is read.
UPLOAD_ENDPOINTS = frozenset(
    {"processes.upload_bpmn", "processes.discover_map", "api.put_process_map", "api.discover_map"}
)
MAX_BODY_LENGTH = 2 * 1024 * 1024


class BoundedRequest(Request):
    """A request whose body may be MAX_CONTENT_LENGTH only on upload routes."""

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self._max_content_length is not None or not current_app:
            return limit  # set for this request on purpose, or outside the app
        if self.endpoint in UPLOAD_ENDPOINTS:
            return limit
        body_limit = current_app.config["MAX_BODY_LENGTH"]
        return body_limit if limit is None else min(limit, body_limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def whole_number(text: str | None, low: int, high: int) -> int | None:
    """The number `text` writes in ASCII digits when it lies in low..high, else None.

    Never raises: int() refuses text of more than 4,300 digits with a ValueError,
    so the length is checked before anything is converted.
    """
    if (
        not text
        or not (text.isascii() and text.isdigit())
        or len(text.lstrip("0")) > len(str(high))
    ):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _nul_places() -> list[str]:
    """The parameters, path parts, form fields and uploads whose name or text holds a NUL."""
    pairs = list(request.args.items(multi=True))
    pairs += [(name, v) for name, v in (request.view_args or {}).items() if isinstance(v, str)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += request.form.items(multi=True)
        # An upload's name ends up in notes like any text.
        pairs += [(name, f.filename or "") for name, f in request.files.items(multi=True)]
    # A multipart part may come without a name Werkzeug can read (None).
    pairs = [(name or "", value or "") for name, value in pairs]
    return [name.replace("\x00", "\u2400") for name, value in pairs if "\x00" in name + value]


def init_app(app: Flask) -> None:
    app.config.setdefault("MAX_BODY_LENGTH", MAX_BODY_LENGTH)
    # The limit must hold before anything reads the body (CSRF reads forms first).
    app.request_class = BoundedRequest

    @app.before_request
    def refuse_nul_bytes():
        """A NUL byte is never text a person typed; PostgreSQL cannot even store it."""
        places = _nul_places()
        if not places:
            return None
        if request.path.startswith("/api/"):
            fields = {place: "Får inte innehålla NUL." for place in places}
            return jsonify(error="Ogiltiga tecken i begäran.", fields=fields), 400
        abort(400)

    @app.before_request
    def refuse_ids_beyond_the_database():
        """An id in the URL no table can hold is simply not there (SQLite would overflow)."""
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                abort(404)
