"""Delimited text parsed a column at a time by pyarrow's CSV reader, into NumPy arrays.

What the CSV logs and MLflow's metric files share. pyarrow is imported only here, on the
first such file; columns come out of Arrow's buffers as NumPy views (no pandas, no compute
kernels to import). A block with a row that does not fit (a cell that is not a number, too
few or too many cells) gives None: the caller then reads that block the exact way, cell by cell.
"""

from __future__ import annotations

import numpy as np


def read_table(
    body: bytes,
    columns: list[str],
    types: dict[str, str],
    delimiter: str,
    skip: int = 0,
    missing: tuple = (),
    decimal: str = ".",
):
    """Rows (after ``skip`` lines) as a pyarrow table typed by ``types`` (``"float64"``/``"int64"`` per column),
    cells in ``missing`` as nulls, numbers written with ``decimal`` as their decimal point; None if a row does not
    fit."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if len(set(columns)) != len(columns) or not columns:
        return None
    if not body.isascii():
        try:  # pyarrow decodes an odd row as UTF-8 before our handler sees it, and prints what it cannot decode
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    odd_rows = []

    def odd(row) -> str:  # a row with too few or too many cells: the exact path reads the block
        odd_rows.append(row)
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.BufferReader(body),
            # One thread: as fast here (two busy cores), and a monitor beside a training job should not take
            # every core of the machine for a log it tails.
            read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=skip, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=odd),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.type_for_alias(kind) for name, kind in types.items()},
                null_values=list(missing),
                decimal_point=decimal,
                strings_can_be_null=bool(missing),
                quoted_strings_can_be_null=bool(missing),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # text where a number was, a bad quote
        return None
    return None if odd_rows else table


def column(table, index: int, dtype: type = np.float64, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A column from row ``start`` on: (values, present), read from its buffers."""
    chunks = table.column(index).chunks
    if not chunks:
        return np.empty(0, dtype=dtype), np.empty(0, dtype=bool)
    values = np.concatenate([_values(chunk, dtype) for chunk in chunks])
    present = np.concatenate([_validity(chunk) for chunk in chunks])
    return values[start:], present[start:]


def _values(chunk, dtype: type) -> np.ndarray:
    """An Arrow array's values buffer as it is (what sits under a missing value is never used)."""
    data: np.ndarray = np.frombuffer(chunk.buffers()[1], dtype=dtype)
    return data[chunk.offset : chunk.offset + len(chunk)]


def _validity(chunk) -> np.ndarray:
    """Which values of an Arrow array are there (its validity bitmap, one bit per value)."""
    if chunk.null_count == 0:
        return np.ones(len(chunk), dtype=bool)
    bitmap = np.frombuffer(chunk.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bitmap, bitorder="little")[chunk.offset : chunk.offset + len(chunk)].astype(bool)
