"""The CLI's words: messages from the library restated in the command line's terms, and the
parsing of option values that have more than one natural spelling (thresholds).

The library speaks to Python callers (``customs_value``, ``format=``, a function to call); a
person at the command line typed ``--value`` and ``--format`` and needs a command as the fix.
This module holds that translation, so the library's messages stay right for Python and the
CLI's stay right for its users.  It imports nothing heavy: the CLI's cold start stays short.
"""

from __future__ import annotations

import math
import re

from tradeguard.errors import InputError, problem

# The library's parameter names and the CLI option a user typed for each.
OPTION_FOR_PARAMETER = {
    "customs_value": "--value",
    "quantity": "--quantity",
    "tariff_line": "--line",
    "as_of": "--as-of",
    "format": "--format",
    "methods": "--method",
}

INGEST_FIX = "ingest a file first: `tradeguard ingest FILE` (or `tradeguard ingest --bundled`)"

_PARAMETERS = "|".join(OPTION_FOR_PARAMETER)
# (pattern, replacement), applied in order; the specific phrases before the generic ones.
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"ingest (?:a file|import data) first \(tradeguard\.data\.store\.ingest\)"),
     INGEST_FIX),
    (re.compile(r"pass a non-negative (" + _PARAMETERS + r")\b"),
     r"give \1 as zero or more"),
    (re.compile(r"pass a finite (" + _PARAMETERS + r")\b"), r"give \1 as a finite number"),
    (re.compile(r"pass a datetime\.date, e\.g\. date\((\d+), (\d+), (\d+)\)"),
     "write the date as YYYY-MM-DD, e.g. 2021-03-20"),
    (re.compile(r"pass (" + _PARAMETERS + r")= explicitly"), r"give \1"),
    (re.compile(r"`(customs_value|quantity)` is "), r"\1 is "),
    (re.compile(r"give (customs_value) and (quantity)\b"), r"give \1 and \2"),
    (re.compile(r"^(" + _PARAMETERS + r")=:"), r"\1:"),
    (re.compile(r"(?<![\w.-])(customs_value)\b"), r"\1"),
    (re.compile(r" ?\((?:see )?:?\w*:?`?tradeguard(?:\.\w+)+(?:\(\))?`?\)"), ""),
]


def user_words(message: str) -> str:
    """``message`` with the library's Python names replaced by the CLI's options and commands.

    >>> user_words("`customs_value` is -5.0 (it must be zero or more) "
    ...            "Fix: pass a non-negative customs_value")
    '--value is -5.0 (it must be zero or more) Fix: give --value as zero or more'
    """
    text = message
    for pattern, replacement in _REWRITES:
        text = pattern.sub(lambda m, r=replacement: _expand(m, r), text)
    return text


def _expand(match: re.Match[str], replacement: str) -> str:
    """The replacement with each captured parameter name spelt as its CLI option."""
    groups = [OPTION_FOR_PARAMETER.get(g, g) if g else g for g in match.groups()]
    out = replacement
    for index, group in enumerate(groups, start=1):
        out = out.replace(f"\\{index}", group or "")
    return out


# A bare number above this is refused: 80 reads as a percent, but as a share it would mean
# 8,000% of the trigger.  Shares up to 2 (200% of the trigger) are taken as written.
LARGEST_BARE_SHARE = 2.0
THRESHOLDS_FIX = "write shares like 0.8,0.9,1 or percents like 80%,90%,100%"


def parse_thresholds(text: str, option: str = "--thresholds") -> tuple[float, ...]:
    """Alert levels as shares of the trigger, from shares (``0.8``) or percents (``80%``).

    >>> parse_thresholds("0.8, 90%,1")
    (0.8, 0.9, 1.0)

    A bare number above 2 (``80``), a level of zero or less, a word, or an empty list is
    refused with an ``InputError`` that says which item and how to write it.
    """
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise InputError(problem("no threshold given", where=option, fix=THRESHOLDS_FIX))
    levels = {_threshold(item, option) for item in items if item}
    return tuple(sorted(levels))


def _threshold(item: str, option: str) -> float:
    percent = item.endswith("%")
    number = _number(item.removesuffix("%").strip(), item, option)
    if number <= 0:
        raise InputError(problem(f"threshold `{item}` is not above zero", where=option,
                                 why="a level is a share of the trigger", fix=THRESHOLDS_FIX))
    if percent:
        return round(number / 100, 12)
    if number > LARGEST_BARE_SHARE:
        raise InputError(problem(
            f"threshold `{item}` is ambiguous", where=option,
            why=f"as a share it means {number:,.0%} of the trigger; a percent needs the % sign",
            fix=f"write {item}% for a percent, or {number / 100:g} for the same share"))
    return number


def _number(text: str, item: str, option: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InputError(problem(f"threshold `{item}` is not a number", where=option,
                                 fix=THRESHOLDS_FIX))
    return number
