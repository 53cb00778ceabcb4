"""Product words for tariff lines: HS 2022 descriptions and a search by words or by code.

The table ships in the package (``data/reference/hs2022.csv.gz``, HS 2022 at 2, 4 and 6 digits,
public domain; ``scripts/build_nomenclature.py`` rebuilds it), with tradeguard's own plain trade
names (``line_names.yaml``).  Japan's 9-digit statistical codes are described by their 6-digit
HS heading: the English 9-digit names we could find carry no stated licence, so none ship.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from tradeguard.errors import InputError, problem

_STOPWORDS = {"of", "and", "or", "the", "a", "an", "in", "for", "with"}
_WORD = re.compile(r"[a-z0-9.%]+")


@dataclass(frozen=True)
class Line:
    """One HS heading or subheading: its code, depth, description and trade names."""

    code: str
    level: int
    description: str
    names: tuple[str, ...] = field(default=())

    def row(self) -> dict[str, object]:
        return {"code": self.code, "level": self.level, "description": self.description,
                "names": list(self.names)}


@cache
def _table() -> dict[str, Line]:
    ref = resources.files("tradeguard.data.reference")
    names_doc = yaml.safe_load(ref.joinpath("line_names.yaml").read_text(encoding="utf-8"))
    names = {str(code): tuple(v) for code, v in names_doc["names"].items()}
    text = gzip.decompress(ref.joinpath("hs2022.csv.gz").read_bytes()).decode("utf-8")
    return {row["hscode"]: Line(row["hscode"], int(row["level"]), row["description"],
                                names.get(row["hscode"], ()))
            for row in csv.DictReader(io.StringIO(text))}


@cache
def _synonyms() -> dict[str, tuple[str, ...]]:
    ref = resources.files("tradeguard.data.reference")
    doc = yaml.safe_load(ref.joinpath("line_names.yaml").read_text(encoding="utf-8"))
    return {word: tuple(v) for word, v in doc["synonyms"].items()}


def _digits(code: str) -> str:
    return re.sub(r"[\s.\-']", "", str(code))


def describe(code: str) -> str | None:
    """The description of ``code``, or of its nearest HS heading for a longer national code.

    ``describe("0202.30")`` is HS 020230's text; a 9-digit Japanese code such as 020230090
    gets its 6-digit heading's text.  None when no heading is known.
    """
    line = lookup(code)
    return None if line is None else line.description


def lookup(code: str) -> Line | None:
    """The HS line for ``code`` or its nearest known prefix (6, 4 or 2 digits), if any."""
    digits = _digits(code)
    table = _table()
    for size in (6, 4, 2):
        if len(digits) >= size and digits[:size] in table:
            return table[digits[:size]]
    return None


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def _matches(word: str, haystack: set[str]) -> bool:
    options = (word, *_synonyms().get(word, ()))
    return any(any(h.startswith(o) for h in haystack) for o in options)


def _rank(line: Line, words: list[str], phrase: str) -> tuple[int, int, str] | None:
    named = any(phrase == n.lower() for n in line.names)
    name_words = {w for n in line.names for w in _words(n)}
    text_words = set(_words(line.description))
    if named:
        return (0, line.level, line.code)
    if all(_matches(w, name_words) for w in words):
        return (1, line.level, line.code)
    if all(_matches(w, text_words | name_words) for w in words):
        return (2, line.level, line.code)
    return None


def search(query: str, limit: int = 20) -> list[Line]:
    """Lines matching ``query``: a code (prefix) or words, best first.

    Words match a trade name or the HS description (every word must match, as a word start;
    "beef" also matches "bovine").  An exact trade name ranks first, then trade names, then
    descriptions; within each, headings before subheadings.
    """
    text = str(query).strip()
    if not text:
        raise InputError(problem("the search is empty", fix='search for words like "frozen beef" '
                                 "or a code like 0202"))
    digits = _digits(text)
    table = _table()
    if digits.isdigit():
        # The line itself, then what it contains, then the headings it belongs to.
        exact = [table[c] for c in (digits[:6], digits[:4], digits[:2]) if c in table][:1]
        inside = sorted((line for code, line in table.items()
                         if code.startswith(digits) and code != digits),
                        key=lambda line: (line.level, line.code))
        above = sorted((line for code, line in table.items()
                        if digits.startswith(code) and line not in exact),
                       key=lambda line: -line.level)
        return (exact + inside + above)[:limit]
    words, phrase = _words(text), " ".join(text.lower().split())
    ranked = sorted((key, line) for line in table.values()
                    if (key := _rank(line, words, phrase)) is not None)
    return [line for _, line in ranked[:limit]]
