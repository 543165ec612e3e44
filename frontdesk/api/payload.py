"""Reading JSON bodies strictly: malformed JSON and text no database can store are refused."""

import re

from flask import request

from frontdesk.api.errors import ApiError

# A lone UTF-16 surrogate is valid in JSON ("\ud800") but is no character: no database
# can store it and no page or file can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    """Why a string cannot be kept as text, or None when it can."""
    if "\x00" in text:
        return "Får inte innehålla NUL."  # PostgreSQL cannot store it in text either
    if _SURROGATE.search(text):
        return "Innehåller ogiltiga tecken (ensamma surrogattecken)."
    return None


def _unstorable_places(value, place: str = "") -> dict[str, str]:
    """Each place in a JSON value ("note", "steps[0].name") whose text cannot be stored."""
    found = {}
    if isinstance(value, str):
        why = _unstorable(value)
        if why:
            found[place or "body"] = why
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{place}.{key}" if place else str(key)
            if _unstorable(str(key)):
                found[place or "body"] = "Ett fältnamn innehåller ogiltiga tecken."
            else:
                found.update(_unstorable_places(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_unstorable_places(item, f"{place}[{index}]"))
    return found


def parse_json():
    """The request body as JSON, or None when it is not JSON (or nested beyond reason).

    Text no database can store (a NUL byte, a lone surrogate) is refused with 422,
    naming where it was.
    """
    try:
        payload = request.get_json(silent=True, force=True)
    except RecursionError:
        return None
    try:
        bad = _unstorable_places(payload)
    except RecursionError:  # parsed, but too deep to walk: no body of ours nests like that
        return None
    if bad:
        raise ApiError(422, "Ogiltiga tecken.", bad)
    return payload


def json_object() -> dict:
    """The request's JSON object; 400 for anything else (the body's model names the fields)."""
    payload = parse_json()
    if payload is None:
        raise ApiError(400, "Ogiltig JSON i begäran.")
    if not isinstance(payload, dict):
        raise ApiError(400, "Begäran ska vara ett JSON-objekt.")
    return payload
