"""CSV training logs: Lightning's ``CSVLogger`` and Keras' ``CSVLogger``, tailed by line.

Lightning (``lightning_fabric/loggers/csv_logs.py``, 2.6): ``<save_dir>/<name>/version_N/metrics.csv``
with a header of every key logged so far, sorted (``step``, ``epoch`` and the metrics),
and sparse rows (empty where a key was not logged at that step). When a new key
appears the logger rewrites the whole file with a new header and the old rows, then
appends. The stream notices the header change and re-reads, skipping the rows it
already has, so no point is read twice. ``hparams.yaml`` beside it holds the
hyper-parameters.

Keras (``keras/src/callbacks/csv_logger.py``, 3.15): any file name; a header
``epoch`` then the sorted metric names (``val_*`` added as ``NA`` when the model had
no validation), one row per epoch, ``NA`` for missing values, the separator the user
chose. It is recognised by its header: ``epoch``, a separator, names. YOLO's ``results.csv`` has the same
shape; YOLOv5 and Ultralytics 8.0 pad each name and number with spaces to a fixed width.

Neither writes a time: the points get the file's modification time at the read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import numpy as np

from tui.sources.arrowcsv import column, read_table
from tui.sources.base import Format, Found, Source, Stream, basename, describe, parent
from tui.sources.cells import EXACT_FLOAT, INT64_MIN, number_cell, step_cell
from tui.sources.decimals import comma_number, decimal_point
from tui.sources.hparams import load_hparams
from tui.sources.kept_names import KeptNames
from tui.sources.points import Decoded, StepFilter
from tui.sources.roots.base import Listing, Root
from tui.sources.textlog import HEAD_BYTES, HeaderTest, LineTail, file_named, first_lines, run_names

LIGHTNING = "lightning-csv"
KERAS = "keras-csv"
_KERAS_HEADER = re.compile(rb"^ *\"?epoch\"? *([,;\t|]) *\"?[A-Za-z_]|^epoch( )[A-Za-z_]")
"""``epoch``, a separator, a name; names may be padded with spaces around a separator that is no space: YOLOv5
and Ultralytics 8.0 write their ``results.csv`` with ``'%20s,'`` and ``'%23s,'``, numbers with ``'%20.5g,'`` (a
table aligned with spaces is no CSV log); a name may be quoted (``csv`` quotes one that holds the separator, or
every cell with ``QUOTE_ALL``)."""
BOM = b"\xef\xbb\xbf"
"""UTF-8's byte-order mark, which pandas' ``to_csv(encoding="utf-8-sig")`` (and Excel) put before the header."""
_HEADER_LINES = {
    "epoch": re.compile(rb'(?m)^(?: *"?epoch"? *[,;\t|] *"?[A-Za-z_]|epoch [A-Za-z_])[^\n]*'),
    "step": re.compile(rb'(?m)^(?:[^\n,]*,)*"?step"?\r?(?:,[^\n]*)?$'),
}
"""A header line among a log's rows, by its step column (``_KERAS_HEADER``'s test, or a cell ``step``)."""
_KERAS_SUFFIXES = (".csv", ".log", ".tsv", ".txt")
_KERAS_LOG_WORDS = frozenset({"log", "logs", "train", "training", "history", "metric", "metrics", "csvlogger"})
"""Words of the names CSVLogger files are given (``training.log``, ``history.csv``, ``train_log.csv``)."""


YOLO_LOG = "results.csv"


def header_record(data: bytes) -> bytes | None:
    """The first CSV record of ``data`` (None while it has no whole line): its first line, or more where a quoted
    name holds a newline (``csv`` writers quote it). A quote never closed in ``data`` is no such name: the first
    line, as before."""
    first = first_lines(data)
    if first is None or b'"' not in first:
        return first
    match = _KERAS_HEADER.match(first.removeprefix(BOM))
    separator = ((match and (match.group(1) or match.group(2))) or b",").decode()
    reader = csv.reader(io.StringIO(data.decode("latin-1"), newline=""), delimiter=separator)  # bytes as chars
    try:
        next(reader)
    except (csv.Error, StopIteration):
        return first
    record = first_lines(data, reader.line_num)
    whole = record is not None and record.count(b"\n") == reader.line_num - 1 and record.count(b'"') % 2 == 0
    return record if whole else first


def _named_like_a_keras_log(path: str) -> bool:
    """Whether an unreadable or damaged candidate is named as a CSVLogger file is, by the words of its name
    without the suffix (``slurm-1234.log``, ``catalog.csv`` or ``constraints.txt`` may be anyone's), or is YOLO's."""
    name = basename(path)
    if not name.lower().endswith(_KERAS_SUFFIXES) or name == "metrics.csv":
        return False
    stem = name.rsplit(".", 1)[0].lower()
    return name == YOLO_LOG or not _KERAS_LOG_WORDS.isdisjoint(re.split(r"[^a-z]+", stem))


_MISSING = ("", "NA", "nan_missing")
DECIDING_BYTES = 64 * 1024
"""Bytes of new rows looked at for the decimal point while no row has told it."""


class CsvStream(Stream):
    """One CSV log: its header, the rows read so far, new rows as points."""

    step_column = "step"

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.tail = LineTail(source.paths[0])
        self.header: bytes | None = None
        """The file's first line (its header), which a rewrite changes."""
        self.columns: list[str] = []
        self.columns_line = b""
        """The header line the columns are from: the first, or the last one found among the rows."""
        self.rows = 0
        """Data rows of the file read so far."""
        self.numeric: set[int] = set()
        """Columns that held a number in a row read one cell at a time (text in them later is a value lost)."""
        self.skip = 0
        """Rows still to skip: a header rewrite puts back rows that were already read."""
        self.delimiter = ","
        self.decimal: str | None = None
        """The numbers' decimal point: ``.``, or ``,`` where the separator is not a comma and the rows' numbers are
        written so (``decimals``); None until a row under the header tells."""
        self.step_type = "int64"
        """How pyarrow types the step column: int64, exact up to 2**63 - 1, until the steps are written as
        floats (``12.0``); then float64, exact below 2**53 only (a block with a larger step goes the exact way)."""
        self.steps = StepFilter()
        self.last_step: int | None = None
        """The step of the last row read: a row short of cells that goes back before it is damage (``_add_rows``)."""
        self.short_rows = False
        """A row short of cells went on from the one above it: a hand-written log that leaves cells off, whose short
        row going back is a job resumed, not damage."""
        self.headless = False
        """The file starts with rows, not its header: cut in place and written on (``read``)."""
        self._hparams_signature: tuple | None = None

    @property
    def position(self) -> int:
        return self.tail.offset

    def read(self, root: Root) -> Iterator[Decoded]:
        out = Decoded()
        try:
            self._read_hparams(root, out)
            head = self._head(root)
            # Cut in place and written on (logrotate's copytruncate): no writer writes its header again to a file it
            # appends to, so rows come first; the columns stay those of the header read (its first row named them).
            self.headless = head is not None and self.header is not None and not self._is_header(head)
            head = self.header if self.headless else head
            if head is not None:
                if self.header is not None and head != self.header:
                    # Lightning rewrites its file with a wider header when a new key is logged: the old rows come
                    # back first. Any other new header (Keras writes one once; a narrower one is a job restarted
                    # with a fresh file) is a new job's log, read whole.
                    widened = self.step_column != "epoch" and set(self.columns) < set(self._parse_header(head)[1])
                    if widened:
                        self.skip, self.rows, self.tail.offset = self.skip + self.rows, 0, 0
                    else:
                        self.tail.offset = 0
                        self.started_again()
                if head != self.header:
                    self._set_header(head)
                from_start = self.tail.offset == 0
                while True:
                    lines = self.tail.read(root)
                    if lines.restarted and not from_start:  # replaced or cut: a new log, read whole
                        self.started_again()
                        from_start = True
                    self._add(lines.data, lines.info.mtime, out, header=from_start and not self.headless)
                    from_start = False
                    self.health.incomplete_bytes, self.health.skipped_bytes = self.tail.incomplete, self.tail.zeroed
                    if not lines.more:
                        break
                    yield out
                    out = Decoded()
        except OSError as error:
            self.health.error = describe(error)
            yield out
            return
        self.health.error = None
        yield out

    def started_again(self) -> None:
        """A new job's log, read whole from its start (the file replaced or cut, or a new header over it): its rows
        counted, its steps filtered, its decimal point decided and its damage counted anew, and its head a new
        attempt's (``started_over``)."""
        self.rows, self.skip, self.steps, self.decimal, self.numeric = 0, 0, StepFilter(), None, set()
        self.last_step, self.short_rows = None, False
        self.health.skipped_records = self.health.undecodable = 0
        self.health.text_example = ""
        self.started_over = True

    def _head(self, root: Root) -> bytes | None:
        """The file's header line; once known, only its own bytes are read again to see it is unchanged."""
        if self.header is not None:
            known = self.header + b"\n"
            start = root.read(self.tail.path, 0, len(known) + 1)
            if start[: len(known)] == known or start[: len(known) + 1] == self.header + b"\r\n":
                return self.header
        return header_record(root.read(self.tail.path, 0, HEAD_BYTES))

    def _is_header(self, line: bytes) -> bool:
        """Whether a first line is a header (by its step column, as a header among the rows is told), not a row."""
        return _HEADER_LINES[self.step_column].match(line.removeprefix(BOM)) is not None

    def _set_header(self, head: bytes) -> None:
        self.header = self.columns_line = head
        self.delimiter, self.columns = self._parse_header(head)
        self.decimal = None

    def _decide_decimal(self, rows: bytes) -> None:
        """The decimal point, from the first rows that tell it (``decimals``)."""
        if self.decimal is not None:
            return
        if self.delimiter == ",":
            self.decimal = "."
            return
        step = self.columns.index(self.step_column) if self.step_column in self.columns else -1
        for line in rows[:DECIDING_BYTES].decode("utf-8", "replace").splitlines():
            cells = next(_rows(line, self.delimiter), [])
            self.decimal = decimal_point(cell for index, cell in enumerate(cells) if index != step)
            if self.decimal is not None:
                return

    def _parse_header(self, head: bytes) -> tuple[str, list[str]]:
        """(delimiter, column names) of a header line."""
        head = head.removeprefix(BOM)
        text = head.decode("utf-8", "replace")
        match = _KERAS_HEADER.match(head)
        separator = match and (match.group(1) or match.group(2))
        delimiter = separator.decode() if separator and self.step_column == "epoch" else ","
        try:
            return delimiter, [name.strip(" ") for name in next(csv.reader([text], delimiter=delimiter))]
        except csv.Error:  # a name longer than the csv module's field limit (128 KiB): no curve to name
            return delimiter, []

    def _add(self, body: bytes, wall: float, out: Decoded, header: bool = False) -> None:
        """New rows as points; a header line among them names the columns of the rows after it.

        ``header``: the block starts with the file's header line (the first read of a file). pandas'
        ``to_csv(mode="a")`` writes a header at each append: the same one again, or a job resumed with one more
        metric writes a wider one, whose rows were all counted as damaged.
        """
        if header:
            self.columns_line = self.header or b""
            self.delimiter, self.columns = self._parse_header(self.columns_line)
        start = body.find(b"\n", len(self.columns_line)) + 1 if header else 0  # a name may hold a newline
        named = body.find(self.step_column.encode(), start) >= 0  # rows hold no names: a cheap first look
        for found in _HEADER_LINES[self.step_column].finditer(body, start) if named else ():
            line = found.group(0).rstrip(b"\r")
            self._add_block(body[start : found.start()], wall, out)
            start = found.end() + 1
            if line != self.columns_line:  # the first header again after another one names the rows again
                self.columns_line = line
                self.delimiter, self.columns = self._parse_header(line)
                self.decimal = None  # read again from the rows under it
        self._add_block(body[start:], wall, out, header=False)

    def _add_block(self, body: bytes, wall: float, out: Decoded, header: bool = False) -> None:
        """New rows as points, a column at a time (pyarrow's CSV reader); rows it cannot type go the exact way."""
        rows_start = body.find(b"\n") + 1 if header else 0
        if rows_start >= len(body):
            return
        self._decide_decimal(body[rows_start:])
        table = self._table(body, header)
        if table is None:
            self._add_rows(body[rows_start:], wall, out)
            return
        count = table.num_rows
        orders = np.arange(self.rows, self.rows + count, dtype=np.int64)
        self.rows += count
        start = min(self.skip, count)
        self.skip -= start
        if start == count:
            return
        orders = orders[start:]
        steps = orders.copy()
        stepped: np.ndarray | None = None  # the rows kept when some had no step of their own (None: all)
        if self.step_column in self.columns:
            index = self.columns.index(self.step_column)
            if self.step_type == "int64":
                values, present = column(table, index, np.int64, start=start)
                whole = present & (values != INT64_MIN)  # fits int64, not a step's 64 bits (a size below 2**63)
            else:
                values, present = column(table, index, start=start)
                whole = present & (np.abs(values) < EXACT_FLOAT)  # NaN and infinities fail this too
                whole[whole] = values[whole] == np.floor(values[whole])
            # A row without a whole step of its own (text, a fraction, a negative or a 64-bit overflow) is damaged:
            # placed anywhere, it would read as a restart and purge the rows before it.
            whole &= values >= 0
            if whole.all():
                steps = values.astype(np.int64)
            else:
                stepped = whole
                self.health.skipped_records += int(np.count_nonzero(~stepped))
                orders, steps = orders[stepped], values[stepped].astype(np.int64)
        if len(steps):
            self.last_step = int(steps[-1])
        walls = np.full(len(orders), wall, dtype=np.float64)
        for index, tag in enumerate(self.columns):
            if tag == self.step_column:
                continue
            values, present = column(table, index, start=start)
            if stepped is not None:
                values, present = values[stepped], present[stepped]
            if present.any():
                self.numeric.add(index)  # a column of numbers: text in it later is a value lost
            if present.all():
                keep = self.steps.keep_mask(tag, steps)
            else:
                keep = present.copy()
                keep[present] = self.steps.keep_mask(tag, steps[present])
            if keep.all():
                out.add_arrays(tag, orders, steps, walls, values)
            else:
                out.add_arrays(tag, orders[keep], steps[keep], walls[keep], values[keep])

    def _table(self, body: bytes, header: bool):
        """The block as a pyarrow table, the step column typed by ``step_type``; None for the exact path: a row
        that does not fit, or steps read as float64 of which one may be rounded (from 2**53 on)."""
        types = dict.fromkeys(self.columns, "float64")
        has_step = self.step_column in types
        if has_step:
            types[self.step_column] = self.step_type
        skip = 1 if header else 0
        table = read_table(body, self.columns, types, self.delimiter, skip, _MISSING, self.decimal or ".")
        if table is None and has_step and self.step_type == "int64":  # steps written as floats (12.0)?
            types[self.step_column] = "float64"
            table = read_table(body, self.columns, types, self.delimiter, skip, _MISSING, self.decimal or ".")
            if table is not None:
                self.step_type = "float64"
        if table is not None and has_step and self.step_type == "float64":
            values, present = column(table, self.columns.index(self.step_column))
            if (present & np.isfinite(values) & (np.abs(values) >= EXACT_FLOAT)).any():
                return None
        return table

    def _add_rows(self, body: bytes, wall: float, out: Decoded) -> None:
        """The exact path, a cell at a time with the csv module: odd rows, text in a number column."""
        text = body.decode("utf-8", "replace")
        columns = self.columns
        try:
            step_index = columns.index(self.step_column)
        except ValueError:
            step_index = -1
        comma = self.decimal == "," or (self.decimal is None and self.delimiter != ",")
        # Row -> its cells that are no number (values lost where their columns hold numbers).
        lost: dict[int, list[tuple[int, str]]] = {}
        for row in _rows(text, self.delimiter):
            if not row:
                continue
            order = self.rows
            self.rows += 1
            if self.skip:
                self.skip -= 1
                continue
            step = step_cell(row[step_index]) if 0 <= step_index < len(row) else None
            extra = any(cell.strip() for cell in row[len(columns) :])  # a row ended by a delimiter has an empty one
            # Too few cells: a hand-written loop may leave off validation's on the epochs it skips, but Keras and
            # Lightning write every cell, so one that goes back is damage: read, ``1,2`` under ``epoch,loss,val_loss``
            # after epoch 8 was a restart at epoch 1 that purged the epochs after it.
            last, short = self.last_step, len(row) < len(columns)
            back = short and not self.short_rows and step is not None and last is not None and step < last
            if extra or back or (step_index >= 0 and step is None):
                self.health.skipped_records += 1  # a row that is not one of this log's (as in the column path)
                continue
            if step is None:
                step = order
            self.last_step, self.short_rows = step, self.short_rows or short
            word: str | None = None  # a cell that is no number: the row holds nothing but text if no cell is one
            numbers = 0
            for index, cell in enumerate(row[: len(columns)]):
                if index == step_index or cell in _MISSING:
                    continue
                value = comma_number(cell, self.decimal == ",") if comma else number_cell(cell)
                if value is None:  # a number written as text (a tensor's str) holds digits; a note ("done") none
                    word = word or (cell if any(char.isdigit() for char in cell) else None)
                    lost.setdefault(order, []).append((index, cell))
                    continue
                numbers += 1
                self.numeric.add(index)
                if self.steps.keep(columns[index], step):
                    out.add_scalar(columns[index], step, wall, value, order)
            if word is not None and not numbers:  # csv.writer given tensors: 'tensor(0.5000)' for every loss
                self.health.undecodable += 1
                self.health.text_example = self.health.text_example or word
                lost.pop(order, None)
        # A row with text in a column of numbers lost that value (Lightning's row ``2,20,tensor(0.5000),``: its epoch
        # a number), where a column of text (a date, a note) loses nothing.
        for cells in lost.values():
            if numbers_lost := [cell for index, cell in cells if index in self.numeric]:
                self.health.undecodable += 1
                self.health.text_example = self.health.text_example or numbers_lost[0]

    def _read_hparams(self, root: Root, out: Decoded) -> None:
        if len(self.source.paths) < 2:
            return
        path = self.source.paths[1]
        try:
            info = root.stat(path)
        except OSError:
            return
        signature = (info.size, info.mtime, info.identity)
        if signature == self._hparams_signature:
            return
        self._hparams_signature = signature
        out.hparams.update(load_hparams(root.read(path, 0, info.size)))


def _rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """The csv module's rows; a row it refuses (a cell longer than its field limit, 128 KiB: no number is)
    stays a row, without cells, and reading goes on with the next line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield [""]


class KerasStream(CsvStream):
    step_column = "epoch"


class LightningCsvFormat(Format):
    """``metrics.csv`` files with a ``step`` column (Lightning's CSVLogger), with ``hparams.yaml`` beside them."""

    name = LIGHTNING

    def __init__(self) -> None:
        # metrics.csv: the name says it is Lightning's log, which is UTF-8
        self._has_step = HeaderTest(_lightning_header, unreadable=self.named_log, utf8=True)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        for path, info in sorted(listing.files.items()):
            if basename(path) != "metrics.csv" or not self._has_step(root, path, info, found):
                continue
            folder = parent(path)
            hparams = (folder + "/" if folder != "." else "") + "hparams.yaml"
            paths = (path, hparams) if hparams in listing.files else (path,)
            found.sources.append(Source(LIGHTNING, path, folder, "", paths, where=folder))
        return found

    def open(self, source: Source) -> Stream:
        return CsvStream(source)

    def named_log(self, path: str) -> bool:
        return basename(path) == "metrics.csv"

    def read_to_tell(self, path: str) -> bool:
        return self.named_log(path)


class KerasCsvFormat(Format):
    """Files whose header is ``epoch`` and metric names (Keras' CSVLogger), whatever their name."""

    name = KERAS

    def __init__(self) -> None:
        self._is_keras = HeaderTest(_keras_header, unreadable=_named_like_a_keras_log)
        self._kept = KeptNames(file_named)

    def discover(self, root: Root, listing: Listing) -> Found:
        found = Found()
        chosen = [
            path
            for path, info in sorted(listing.files.items())
            if basename(path).lower().endswith(_KERAS_SUFFIXES) and self._is_keras(root, path, info, found)
        ]
        for path, run, folder in run_names(chosen):
            found.sources.append(Source(KERAS, path, run, "", (path,), where=folder))
        found.sources = self._kept(found.sources)  # a second log in its folder does not rename a watched one
        return found

    def open(self, source: Source) -> Stream:
        return KerasStream(source)

    def named_log(self, path: str) -> bool:
        return _named_like_a_keras_log(path)

    def read_to_tell(self, path: str) -> bool:
        return basename(path).lower().endswith(_KERAS_SUFFIXES)


def _lightning_header(_path: str, head: bytes) -> bool:
    return b"step" in head.removeprefix(BOM).rstrip(b"\r").split(b",")


def _keras_header(path: str, head: bytes) -> bool:
    return bool(_KERAS_HEADER.match(head.removeprefix(BOM))) and basename(path) != "metrics.csv"
