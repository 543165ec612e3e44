"""Checking a catalogue file before anything is written: every error, with its place in the file."""

import re
from datetime import time
from typing import Any
from urllib.parse import urlsplit

from frontdesk.models.catalog import ORGANISATION_KINDS, REASON_MAX

SECTIONS = ("organisations", "queues", "offices", "case_types", "mandates")
CODE_MAX = {"organisations": 20, "queues": 20, "offices": 20, "case_types": 30}
# Codes name things in URLs, file names (Content-Disposition) and CSV columns: capital
# A-Z, digits, "_" and "-" only. Capitals only, because codes are matched in any case
# where people type them (the counter's type-ahead, the API) and must not collide.
CODE_PATTERN = re.compile(r"[A-Z0-9_-]+")
CODE_RULE = "får bara innehålla A–Z (versaler), 0–9, _ och -"
# A case type's guidance links and search keywords (models.CaseType).
LINKS_MAX, LINK_TITLE_MAX, LINK_URL_MAX = 10, 200, 500
KEYWORDS_MAX, KEYWORD_MAX = 30, 50


class Checker:
    """Collects errors as "place: message" lines while walking the file."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, place: str, message: str) -> None:
        self.errors.append(f"{place}: {message}")

    def string(self, item: dict, key: str, place: str, *, required=True, max_length=200) -> None:
        value = item.get(key)
        if value is None:
            if required:
                self.error(f"{place}.{key}", "saknas")
            return
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(f"{place}.{key}", "ska vara en icke-tom sträng")
        elif len(value) > max_length:
            self.error(f"{place}.{key}", f"högst {max_length} tecken")

    def integer(
        self, item: dict, key: str, place: str, low: int, high: int, required: bool
    ) -> None:
        value = item.get(key)
        if value is None:
            if required:
                self.error(f"{place}.{key}", "saknas")
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(f"{place}.{key}", f"ska vara ett heltal {low}–{high}")


def _web_address(url: str) -> bool:
    """An absolute http(s) address with a host and nothing a browser would read otherwise."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def check_guidance_links(check: Checker, item: dict, place: str) -> None:
    """At most LINKS_MAX links, each {"title", "url"} with an http(s) address."""
    links = item.get("guidance_links")
    if links is None:
        return
    place = f"{place}.guidance_links"
    if not isinstance(links, list):
        check.error(place, 'ska vara en lista av {"title": ..., "url": ...}')
        return
    if len(links) > LINKS_MAX:
        check.error(place, f"högst {LINKS_MAX} länkar")
    for index, link in enumerate(links):
        here = f"{place}[{index}]"
        if not isinstance(link, dict):
            check.error(here, 'ska vara ett objekt {"title": ..., "url": ...}')
            continue
        for key in link:
            if key not in ("title", "url"):
                check.error(f"{here}.{key}", "okänt fält (tillåtna: title, url)")
        check.string(link, "title", here, max_length=LINK_TITLE_MAX)
        check.string(link, "url", here, max_length=LINK_URL_MAX)
        url = link.get("url")
        if (
            isinstance(url, str)
            and url.strip()
            and len(url) <= LINK_URL_MAX
            and not _web_address(url.strip())
        ):
            check.error(f"{here}.url", "ska vara en fullständig webbadress som börjar med https://")


def check_guidance_keywords(check: Checker, item: dict, place: str) -> None:
    """At most KEYWORDS_MAX distinct non-empty words or phrases of at most KEYWORD_MAX."""
    keywords = item.get("guidance_keywords")
    if keywords is None:
        return
    place = f"{place}.guidance_keywords"
    if not isinstance(keywords, list):
        check.error(place, "ska vara en lista av sökord")
        return
    if len(keywords) > KEYWORDS_MAX:
        check.error(place, f"högst {KEYWORDS_MAX} sökord")
    seen: set[str] = set()
    for index, keyword in enumerate(keywords):
        here = f"{place}[{index}]"
        if not isinstance(keyword, str) or not keyword.strip():
            check.error(here, "ska vara en icke-tom sträng")
        elif len(keyword) > KEYWORD_MAX:
            check.error(here, f"högst {KEYWORD_MAX} tecken")
        elif keyword.strip().casefold() in seen:
            check.error(here, f"sökordet {keyword.strip()!r} förekommer flera gånger")
        else:
            seen.add(keyword.strip().casefold())


def parse_clock(value: Any) -> time | None:
    """ "08:30" as a time of day; None for anything else."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def _check_opening_hours(
    check: Checker, item: dict, place: str, current: tuple[time, time]
) -> None:
    """Times must parse, and the office must close after it opens, with what the file leaves out."""
    hours = dict(zip(("opens", "closes"), current, strict=True))
    for key in ("opens", "closes"):
        if key in item:
            parsed = parse_clock(item[key])
            if parsed is None:
                check.error(f"{place}.{key}", 'ska vara en tid som "08:00"')
                return
            hours[key] = parsed
    if hours["opens"] >= hours["closes"]:
        check.error(
            f"{place}.closes",
            f"kontoret måste stänga efter att det öppnar "
            f"({hours['opens']:%H:%M}–{hours['closes']:%H:%M})",
        )


def _known(value: Any, codes: set[str]) -> bool:
    return isinstance(value, str) and value in codes


DEFAULT_HOURS = (time(8, 0), time(17, 0))


def check_catalog(
    data: Any,
    known: dict[str, set[str]],
    office_hours: dict[str, tuple[time, time]] | None = None,
    queue_owners: dict[str, str] | None = None,
) -> list[str]:
    """All errors in a catalogue document.

    `known` holds the codes already in the database, `office_hours` the opening
    hours of existing offices and `queue_owners` the organisation of existing queues.
    """
    office_hours = office_hours or {}
    queue_owners = dict(queue_owners or {})
    check = Checker()
    if not isinstance(data, dict):
        return [
            "(filen): ska vara ett JSON-objekt med organisations, offices, case_types, mandates"
        ]
    for key in data:
        if key not in SECTIONS:
            check.error(key, f"okänd del (tillåtna: {', '.join(SECTIONS)})")
    sections: dict[str, list] = {}
    for section in SECTIONS:
        items = data.get(section, [])
        if not isinstance(items, list):
            check.error(section, "ska vara en lista")
            items = []
        sections[section] = items

    codes: dict[str, set[str]] = {}
    for section in ("organisations", "queues", "offices", "case_types"):
        seen: set[str] = set()
        for index, item in enumerate(sections[section]):
            place = f"{section}[{index}]"
            if not isinstance(item, dict):
                check.error(place, "ska vara ett objekt")
                continue
            check.string(item, "code", place, max_length=CODE_MAX[section])
            check.string(item, "name", place)
            code = item.get("code")
            if isinstance(code, str):
                if code.strip() and not CODE_PATTERN.fullmatch(code):
                    check.error(f"{place}.code", CODE_RULE)
                if code in seen:
                    check.error(f"{place}.code", f"koden {code} förekommer flera gånger")
                seen.add(code)
        codes[section] = seen | known.get(section, set())

    for index, item in enumerate(sections["organisations"]):
        if isinstance(item, dict) and not _known(
            item.get("kind", "kommun"), set(ORGANISATION_KINDS)
        ):
            check.error(
                f"organisations[{index}].kind", f"ska vara en av {', '.join(ORGANISATION_KINDS)}"
            )
    for index, item in enumerate(sections["offices"]):
        if isinstance(item, dict):
            current = (
                office_hours.get(item.get("code"), DEFAULT_HOURS)
                if isinstance(item.get("code"), str)
                else DEFAULT_HOURS
            )
            _check_opening_hours(check, item, f"offices[{index}]", current)
    for index, item in enumerate(sections["queues"]):
        if not isinstance(item, dict):
            continue
        if not _known(item.get("organisation"), codes["organisations"]):
            check.error(
                f"queues[{index}].organisation", f"okänd organisation {item.get('organisation')!r}"
            )
        elif isinstance(item.get("code"), str):
            queue_owners[item["code"]] = item["organisation"]
    for index, item in enumerate(sections["case_types"]):
        if not isinstance(item, dict):
            continue
        place = f"case_types[{index}]"
        if not _known(item.get("organisation"), codes["organisations"]):
            check.error(f"{place}.organisation", f"okänd organisation {item.get('organisation')!r}")
        queue = item.get("queue")
        if queue is not None and not _known(queue, codes["queues"]):
            check.error(f"{place}.queue", f"okänd kö {queue!r}")
        elif queue is not None and queue_owners.get(queue) not in (None, item.get("organisation")):
            check.error(
                f"{place}.queue",
                f"kön {queue} hör till {queue_owners[queue]}, inte till {item.get('organisation')}",
            )
        check.string(item, "category", place, required=False, max_length=100)
        check.string(item, "guidance", place, required=False, max_length=20000)
        check_guidance_links(check, item, place)
        check_guidance_keywords(check, item, place)
        check.integer(item, "sla_hours", place, 1, 24 * 365, required=False)
        check.integer(item, "max_delegable_level", place, 1, 8, required=False)
        if "active" in item and not isinstance(item["active"], bool):
            check.error(f"{place}.active", "ska vara true eller false")
    pairs: set[tuple] = set()
    for index, item in enumerate(sections["mandates"]):
        place = f"mandates[{index}]"
        if not isinstance(item, dict):
            check.error(place, "ska vara ett objekt")
            continue
        if not _known(item.get("office"), codes["offices"]):
            check.error(f"{place}.office", f"okänt kontor {item.get('office')!r}")
        if not _known(item.get("case_type"), codes["case_types"]):
            check.error(f"{place}.case_type", f"okänd ärendetyp {item.get('case_type')!r}")
        check.integer(item, "max_level", place, 1, 8, required=True)
        check.string(item, "reason", place, required=False, max_length=REASON_MAX)
        pair = (str(item.get("office")), str(item.get("case_type")))
        if pair in pairs:
            check.error(place, f"mandatet för {pair[0]}/{pair[1]} förekommer flera gånger")
        pairs.add(pair)
    return check.errors
