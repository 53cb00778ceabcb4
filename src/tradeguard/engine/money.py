"""Exact yen: amounts as decimals, and the law's "cut down to the unit".

Answers never carry binary floats.  Two kinds of amount leave the engine:

* a duty *before* the law's rounding (``DutyOption.duty_amount``), computed in
  float64 like the batch engine and then fixed to :data:`AMOUNT_PLACES` decimals,
  rounding half up -- exactly the integer key both engines choose options by, so the
  scalar and batch paths give the same decimal;
* the amounts *payable* (:mod:`tradeguard.engine.payable`), computed in decimal
  arithmetic from the decimal inputs and cut down to whole units of yen as the law says.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tradeguard.errors import InputError, problem

#: Decimal places of a duty before rounding: 1/10,000 yen, the choice key's precision.
AMOUNT_PLACES = 4


def tidy(value: Decimal) -> Decimal:
    """The same number without trailing zeros, never in exponent form (``385000``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def from_float_amount(value: float) -> Decimal:
    """A float64 duty as a decimal of :data:`AMOUNT_PLACES` places, half up.

    ``floor(x × 10^4 + 0.5)`` is the formula of ``duty.choice_key`` and of the batch
    engine's integer key, so 14652.999999999996 becomes 14653 on both paths.
    """
    scaled = math.floor(value * 10**AMOUNT_PLACES + 0.5)
    return tidy(Decimal(scaled).scaleb(-AMOUNT_PLACES))


def to_decimal(value: object, what: str) -> Decimal:
    """An input number as the decimal its writer meant (a float by its shortest repr)."""
    if isinstance(value, bool):
        raise InputError(problem(f"{what} {value!r} is not a number", fix="pass a number"))
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise InputError(problem(f"{what} {value!r} is not a number",
                                 fix="pass digits, e.g. 609458")) from None
    if not number.is_finite():
        raise InputError(problem(f"{what} is {number}",
                                 why="NaN and infinity have no meaning for money",
                                 fix=f"pass a finite {what}"))
    return number


def from_fraction(value: Fraction) -> Decimal:
    """A fraction as an exact decimal when it has one (unit ratios are 1/10^k)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def cut_down(value: Decimal, unit: Decimal | int) -> Decimal:
    """``value`` cut down to a whole multiple of ``unit`` (1,000 yen, 100 yen, 1 yen)."""
    step = Decimal(unit)
    return tidy((value / step).to_integral_value(rounding=ROUND_FLOOR) * step)


def cut_to_places(value: Decimal, places: int) -> Decimal:
    """``value`` cut down to ``places`` decimals (a specific duty's quantity)."""
    return tidy(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR))


def share(value: Decimal, fraction: str) -> Decimal:
    """``value`` × a share written as the law writes it ("22/78"; "0" for none)."""
    top, _, bottom = fraction.partition("/")
    return value * Decimal(int(top)) / Decimal(int(bottom or 1))


#: Magnitude limit of ``decimal128(38, ·)``: at most 38 digits of scaled units.
_DECIMAL128_LIMIT = 1e38
_TWO_63 = 2.0**63
_TWO_64 = 2.0**64


def _int128_words_wide(scaled: np.ndarray, words: np.ndarray) -> None:
    """Integer-valued doubles of any size as (low, high) int128 words: split at 2^64,
    exact because doubles beyond 2^63 are whole multiples of 2^11."""
    small = np.abs(scaled) < _TWO_63
    low = np.zeros(len(scaled), dtype=np.int64)
    low[small] = scaled[small].astype(np.int64)
    words[:, 1] = np.right_shift(low, 63)
    big = scaled[~small]
    high = np.floor(big / _TWO_64)
    low[~small] = (big - high * _TWO_64).astype(np.uint64).view(np.int64)
    words[~small, 1] = high.astype(np.int64)
    words[:, 0] = low


def decimals_from_scaled(scaled: pa.Array, places: int = AMOUNT_PLACES) -> pa.Array:
    """Whole numbers of 10^-``places`` yen held in float64 as an exact ``decimal128(38, places)``.

    The batch engine rounds each duty to its integer choice key, ``round(x × 10^4)``
    (half away from zero), in the backend; this builds the decimal array from those
    integers bit for bit: little-endian two's-complement words written straight from the
    doubles, with no per-value cast and no temporary copy.  Nulls stay null.
    """
    if not pa.types.is_float64(scaled.type):
        scaled = scaled.cast(pa.float64())
    n = len(scaled)
    low, high = (v.as_py() for v in pc.min_max(scaled).values())
    if low is not None and not (low > -_DECIMAL128_LIMIT and high < _DECIMAL128_LIMIT):
        raise InputError(problem("a duty is too large to be written exactly",
                                 why=f"amounts are decimals of 38 digits, {places} after the point",
                                 fix="check the customs values and quantities"))
    # Zero-copy view; the slots under nulls hold anything and are masked by the validity.
    values = np.frombuffer(scaled.buffers()[1], dtype=np.float64, count=n,
                           offset=scaled.offset * 8)
    # The output comes from Arrow's pool, which keeps freed memory for reuse: a fresh
    # numpy array is paged in anew on every call, which on some machines costs more
    # than the conversion itself (docs/benchmarks.md).
    data = pa.allocate_buffer(16 * n)
    words = np.frombuffer(data, dtype=np.int64).reshape(n, 2)
    with np.errstate(invalid="ignore"):
        if low is None or (low >= -_TWO_63 and high < _TWO_63):
            np.copyto(words[:, 0], values, casting="unsafe")
            np.right_shift(words[:, 0], 63, out=words[:, 1])
        else:
            _int128_words_wide(np.where(pc.is_valid(scaled).to_numpy(zero_copy_only=False),
                                        values, 0.0), words)
    validity = pc.is_valid(scaled).buffers()[1] if scaled.null_count else None
    return pa.Array.from_buffers(pa.decimal128(38, places), n, [validity, data],
                                 null_count=scaled.null_count)
