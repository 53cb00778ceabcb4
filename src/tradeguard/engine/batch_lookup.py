"""Each declaration's segment found by a sorted lookup instead of a join, for Arrow input.

The segments of one (line, partner) tile its dates without gaps from the first
declaration's date to the last one's (:func:`segments.elementary_rows`), so a
declaration's segment is the last one of its key that starts on or before its date.
Numbering the keys and packing ``key`` and ``date`` into one int64 turns that into one
``searchsorted`` over a few thousand segment starts.  The parameters are then taken
by segment number, so the backend only computes a projection over a table in input
order: no hash join, no range predicate, and no rows to put back in order afterwards.
The backend's join (:func:`batch.apply_plan` on an Ibis table) stays the path for
tables that live in a backend, such as Spark.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DATE_BIAS = 1 << 31  # date32 days (which may be negative) as a non-negative 32-bit field
# Rows looked up at a time: the temporaries (8 MB each) are then reused from the heap
# instead of being fresh pages on every call, which on some machines costs more than the work.
_BLOCK = 1 << 20
_SEGMENT_FIELDS = ("tariff_line", "origin", "start", "end", "fy")


def _packed(table: pa.Table, day_column: str, lines: pa.Array, origins: pa.Array) -> np.ndarray:
    """``(key << 32) | (day + bias)`` per row, with key = line code × partners + partner code;
    built in place in one int64 array (fresh memory is costly on some machines)."""
    def codes(name: str, values: pa.Array) -> np.ndarray:
        return pc.index_in(table.column(name), value_set=values).to_numpy(zero_copy_only=False)

    packed = codes("tariff_line", lines).astype(np.int64)
    packed *= len(origins)
    packed += codes("origin", origins)
    packed <<= 32
    packed += table.column(day_column).cast(pa.int32()).to_numpy(zero_copy_only=False)
    packed += _DATE_BIAS
    return packed


def segment_numbers(inputs: pa.Table, segments: pa.Table) -> np.ndarray:
    """For each declaration, the row of ``segments`` whose key and dates hold it.

    Raises RuntimeError when one has none: the segments were compiled from these very
    declarations' keys and date ranges, so that is a defect, never a missing duty."""
    lines = pc.unique(segments.column("tariff_line"))
    origins = pc.unique(segments.column("origin"))
    starts = _packed(segments, "start", lines, origins)
    order = np.argsort(starts, kind="stable")
    ends = _packed(segments, "end", lines, origins)[order]
    sorted_starts = starts[order]
    number = np.frombuffer(pa.allocate_buffer(8 * inputs.num_rows), dtype=np.int64)
    for first in range(0, inputs.num_rows, _BLOCK):
        block = inputs.slice(first, _BLOCK)
        query = _packed(block, "date", lines, origins)
        found = np.searchsorted(sorted_starts, query, side="right")
        found -= 1
        # start <= query < end, both packed with the same key: the declaration's own segment.
        if found.min() < 0 or not (query < ends[found]).all():
            raise RuntimeError("the batch engine found no date segment for some declarations")
        np.take(order, found, out=number[first:first + block.num_rows])
    return number


def with_parameters(inputs: pa.Table, segments: pa.Table, row_numbers: pa.Array,
                    row_name: str) -> pa.Table:
    """The amounts and row numbers of ``inputs`` beside their segment's duty parameters."""
    number = pa.array(segment_numbers(inputs, segments))
    columns = {row_name: row_numbers, "customs_value": inputs.column("customs_value"),
               "quantity": inputs.column("quantity")}
    for name in segments.column_names:
        if name not in _SEGMENT_FIELDS:
            columns[name] = segments.column(name).take(number)
    return pa.table(columns)
