"""COPY text batches into raw.listing_rows.

Each batch becomes CSV with pyarrow's C++ writer (strings always quoted, so '' stays ''
while a null is an unquoted empty field, which COPY reads as NULL) and is fed to
`COPY ... FROM STDIN (FORMAT csv)`. A producer thread reads, converts and encodes the
next batches while the calling thread streams the previous one to the server; the queue
between them is bounded, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pcsv
from psycopg import sql

from loader.reading import TextBatch
from loader.schema import LISTING_COLUMNS

COLUMNS = ("file_id", "row_index", *LISTING_COLUMNS, "extra_columns")
COPY_SQL = sql.SQL("copy raw.listing_rows ({}) from stdin with (format csv)").format(
    sql.SQL(", ").join(sql.Identifier(name) for name in COLUMNS)
)
_WRITE_OPTIONS = pcsv.WriteOptions(include_header=False, batch_size=8192, quoting_style="needed")
QUEUE_DEPTH = 2

_DONE = object()


def encode_csv(file_id: int, batch: TextBatch) -> pa.Buffer:
    """One batch as COPY CSV bytes."""
    n = batch.num_rows
    arrays = [
        _int64s(np.full(n, file_id, dtype=np.int64)),
        _int64s(np.arange(batch.first_row, batch.first_row + n, dtype=np.int64)),
        *batch.columns,
        batch.extra if batch.extra is not None else pa.nulls(n, pa.string()),
    ]
    record = pa.RecordBatch.from_arrays(arrays, names=list(COLUMNS))
    sink = pa.BufferOutputStream()
    pcsv.write_csv(record, sink, _WRITE_OPTIONS)
    return sink.getvalue()


def _int64s(values: np.ndarray) -> pa.Array:
    # zero-copy, and unlike pa.array(ndarray) it does not import pandas (~40 MB of RSS)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


class _Producer(threading.Thread):
    def __init__(self, file_id: int, batches: Iterator[TextBatch]) -> None:
        super().__init__(name="resi-encode", daemon=True)
        self.file_id = file_id
        self.batches = batches
        self.out: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self.stop = threading.Event()

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            for batch in self.batches:
                if not self._put((batch.num_rows, encode_csv(self.file_id, batch))):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)


def copy_rows(
    conn: psycopg.Connection,
    file_id: int,
    batches: Iterator[TextBatch],
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """COPY every batch into raw.listing_rows inside the caller's transaction; returns
    the row count. Exceptions of the reader (e.g. UnreadableFile) propagate unchanged."""
    producer = _Producer(file_id, batches)
    producer.start()
    rows = 0
    try:
        with conn.cursor() as cur, cur.copy(COPY_SQL) as copy:
            while True:
                item = producer.out.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                n, data = item
                copy.write(memoryview(data))
                rows += n
                if on_rows is not None:
                    on_rows(n)
    finally:
        producer.stop.set()
        producer.join()
    return rows
