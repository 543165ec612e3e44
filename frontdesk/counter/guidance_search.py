"""*Sök i vägledningen*: find case types by code, name, category, keywords and guidance text.

In Python over the cached catalogue (frontdesk.cache): a search costs no query while the
catalogue is unchanged, and casefolding handles å/ä/ö and other letters the way a
database's LIKE may not (SQLite's lower() knows only ASCII).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from frontdesk.cache import CaseTypeInfo, catalogue

QUERY_MAX = 100
HITS_MAX = 20
SNIPPET_CONTEXT = 60  # characters of guidance either side of the first match
SNIPPET_PLAIN = 140  # characters of guidance shown when the text itself did not match

# How well a case type matched a word; lower ranks first. Code, name and keyword hits
# come before category and guidance-text hits.
EXACT, FIELD, CATEGORY, TEXT = range(4)


class SearchError(ValueError):
    """A query that cannot be searched; the message is for the user."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """Guidance text around the first match: before, the matched words, after."""

    before: str
    match: str
    after: str


@dataclass(frozen=True, slots=True)
class Hit:
    case_type: CaseTypeInfo
    rank: int
    snippet: Snippet
    keywords: tuple[str, ...]  # the keywords that matched


def fold(text: str) -> str:
    """Text for comparison: composed (NFC) and casefolded, so "ÅTERBÄRING" finds "återbäring"."""
    return unicodedata.normalize("NFC", text).casefold()


def _fold_with_positions(text: str) -> tuple[str, list[int]]:
    """The folded text and, per folded character, its index in `text` ("ß" folds to "ss")."""
    folded: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        for part in char.casefold():
            folded.append(part)
            positions.append(index)
    return "".join(folded), positions


def normalise_query(query: str | None) -> str:
    """The query, trimmed and composed; SearchError for an empty or too long one."""
    query = unicodedata.normalize("NFC", " ".join((query or "").split()))
    if not query:
        raise SearchError("Skriv ett eller flera ord att söka efter.")
    if len(query) > QUERY_MAX:
        raise SearchError(f"Sökningen får vara högst {QUERY_MAX} tecken.")
    return query


def _word_rank(word: str, case_type: CaseTypeInfo, guidance: str) -> int | None:
    code, name = fold(case_type.code), fold(case_type.name)
    keywords = [fold(k) for k in case_type.keywords]
    if word in (code, name) or word in keywords:
        return EXACT
    if word in code or word in name or any(word in k for k in keywords):
        return FIELD
    if word in fold(case_type.category):
        return CATEGORY
    if word in guidance or any(word in fold(link.title) for link in case_type.links):
        return TEXT
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _snippet(text: str, words: list[str]) -> Snippet:
    text = unicodedata.normalize("NFC", text)
    folded, positions = _fold_with_positions(text)
    found = [(folded.find(w), w) for w in words if w in folded]
    if not found:
        plain = " ".join(text.split())
        if len(plain) > SNIPPET_PLAIN:
            plain = plain[:SNIPPET_PLAIN].rsplit(" ", 1)[0] + " …"
        return Snippet(plain, "", "")
    start_f, word = min(found)
    start = positions[start_f]
    end = positions[start_f + len(word) - 1] + 1
    before = _squash(text[max(0, start - SNIPPET_CONTEXT) : start])
    after = _squash(text[end : end + SNIPPET_CONTEXT])
    if start > SNIPPET_CONTEXT:
        before = "… " + before.lstrip()
    if end + SNIPPET_CONTEXT < len(text):
        after = after.rstrip() + " …"
    return Snippet(before, _squash(text[start:end]), after)


def search_guidance(query: str | None) -> list[Hit]:
    """Active case types matching every word of the query, best first, at most HITS_MAX.

    A case type's rank is that of its worst-matching word (every word must match somewhere);
    the whole query matching a code, name or keyword exactly ranks first. Ties go by name.
    """
    query = normalise_query(query)
    phrase = fold(query)
    words = list(dict.fromkeys(phrase.split()))
    hits: list[Hit] = []
    for case_type in catalogue().active_case_types():
        guidance = fold(case_type.guidance)
        ranks = [_word_rank(word, case_type, guidance) for word in words]
        if any(rank is None for rank in ranks):
            continue
        rank = _word_rank(phrase, case_type, guidance) if len(words) > 1 else None
        if rank != EXACT:
            rank = max(ranks)
        keywords = tuple(k for k in case_type.keywords if any(w in fold(k) for w in words))
        hits.append(Hit(case_type, rank, _snippet(case_type.guidance, words), keywords))
    hits.sort(key=lambda hit: (hit.rank, fold(hit.case_type.name), hit.case_type.code))
    return hits[:HITS_MAX]
