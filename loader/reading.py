"""Read a miner's Parquet file batch by batch and turn every value into lossless text.

Miners write with pandas from decoded JSON, so a column's Arrow type varies from file to
file (`zpid` string here, int64 there; `price` int64, double or all-null). raw keeps the
value as text in one canonical form per Arrow type; dbt does the typing. The text forms:

=====================  ==================================================================
Arrow type             text in raw
=====================  ==================================================================
null (any type)        SQL NULL. A column of Arrow type `null` is NULL in every row.
int8 … uint64          decimal integer: `-42`, `18446744073709551615`
float16/32/64          the shortest decimal string that reads back as the identical
                       float of the same width (Arrow's double-conversion "ToShortest"):
                       `0.1`, `20077123` (an integral float has no `.0`), `1.5e+16`,
                       `1e-7`, `-0`; a float32 is shortest *as a float32*
                       (`0.1f` → `0.1`). NaN, +inf, -inf are `NaN`, `Infinity`,
                       `-Infinity` (PostgreSQL's spellings, so `::float8` reads them).
bool                   `true` / `false`
string, large_string   verbatim, byte for byte ('' stays '', distinct from NULL)
binary                 `\\x` + lowercase hex (PostgreSQL's bytea hex form)
decimal128/256         plain decimal with the type's scale: `1.20`
date32/64              ISO 8601 date: `2025-01-02`
timestamp, no zone     ISO 8601 with `T` and as many fraction digits as the unit holds:
                       s `2025-01-02T03:04:05`, ms `…05.123`, us `…05.123456`,
                       ns `…05.123456789` (zeros kept: `…05.000000`)
timestamp with zone    the same instant in UTC with `+00:00`:
                       `2025-01-02T08:04:05.123456+00:00` (the zone name is in
                       `source_files.arrow_schema`)
time32/64              `03:04:05`, with the unit's fraction digits
duration               integer count of the type's unit (the unit is in the schema)
dictionary             the text form of the decoded value
anything else          JSON text (lists, structs, maps ...), nested values following the
                       forms above as JSON strings/numbers; non-finite floats as strings
=====================  ==================================================================

The 18 listing columns are matched by exact name; a listing column the file lacks is NULL.
Every other column goes to `extra_columns` as a JSON object {column name: text or null},
one per row (NULL when the file has no extra columns). The file's Arrow schema as
received (name, type, nullability of every field, plus the pandas metadata and the
writer) is kept as JSON in `source_files.arrow_schema`.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loader.schema import LISTING_COLUMNS

BATCH_ROWS = int(os.environ.get("RESI_LOAD_BATCH_ROWS", "32768"))


class UnreadableFile(Exception):
    """The object cannot be read as Parquet; the message says why, for a person."""


@dataclass
class TextBatch:
    """One batch of rows as text: `columns` holds the 18 listing columns (string arrays,
    in LISTING_COLUMNS order) and `extra` the extra_columns JSON (string array or None)."""

    first_row: int
    num_rows: int
    columns: list[pa.Array]
    extra: pa.Array | None


def open_parquet(path: str) -> pq.ParquetFile:
    """Open a file and read its footer; raises UnreadableFile with a reason."""
    size = os.path.getsize(path)
    if size == 0:
        raise UnreadableFile("empty object (0 bytes), not a Parquet file")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if size < 12:
        raise UnreadableFile(f"too short to be a Parquet file ({size} bytes)")
    if head != b"PAR1":
        raise UnreadableFile(
            f"not a Parquet file: it does not start with the PAR1 magic bytes ({size} bytes)"
        )
    try:
        return pq.ParquetFile(path, memory_map=False, pre_buffer=False, buffer_size=1 << 20)
    except (pa.ArrowException, OSError, ValueError) as exc:
        message = str(exc).strip()
        if "magic bytes not found in footer" in message:
            raise UnreadableFile(
                f"truncated or not Parquet: no PAR1 magic bytes at the end ({size} bytes)"
            ) from None
        raise UnreadableFile(f"broken Parquet footer/metadata: {message}") from None


def schema_json(parquet: pq.ParquetFile) -> dict:
    """The Arrow schema as received, for source_files.arrow_schema."""
    schema = parquet.schema_arrow
    out: dict = {
        "fields": [
            {"name": field.name, "type": str(field.type), "nullable": field.nullable}
            for field in schema
        ]
    }
    meta = parquet.metadata
    out["num_rows"] = meta.num_rows
    out["num_row_groups"] = meta.num_row_groups
    out["created_by"] = meta.created_by
    out["format_version"] = meta.format_version
    pandas_meta = (schema.metadata or {}).get(b"pandas")
    if pandas_meta is not None:
        try:
            out["pandas"] = json.loads(pandas_meta)
        except ValueError:
            out["pandas"] = pandas_meta.decode("utf-8", "replace")
    return out


def column_plan(schema: pa.Schema) -> tuple[list[int | None], list[tuple[str, int]]]:
    """Which file column feeds each listing column (None: missing), and the extras as
    (JSON key, file column index). Duplicate names after the first become extras with a
    `#n` suffix so that no value is lost."""
    known = {name: i for i, name in enumerate(LISTING_COLUMNS)}
    listing: list[int | None] = [None] * len(LISTING_COLUMNS)
    extras: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(schema.names):
        seen[name] = seen.get(name, 0) + 1
        if name in known and listing[known[name]] is None:
            listing[known[name]] = index
        else:
            key = name if seen[name] == 1 else f"{name}#{seen[name]}"
            extras.append((key, index))
    return listing, extras


def iter_text_batches(parquet: pq.ParquetFile, batch_rows: int = BATCH_ROWS) -> Iterator[TextBatch]:
    """Stream the file as text batches; raises UnreadableFile on corrupt data."""
    listing, extras = column_plan(parquet.schema_arrow)
    first = 0
    batches = parquet.iter_batches(batch_size=batch_rows, use_threads=True)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
            raise UnreadableFile(
                f"corrupt Parquet data after row {first}: {str(exc).strip()}"
            ) from None
        n = batch.num_rows
        try:
            columns = [
                to_text(batch.column(i)) if i is not None else pa.nulls(n, pa.string())
                for i in listing
            ]
            extra = _extras_json(batch, extras) if extras else None
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise UnreadableFile(
                f"values after row {first} cannot be turned into text: {str(exc).strip()}"
            ) from None
        yield TextBatch(first, n, columns, extra)
        first += n


def to_text(array: pa.Array) -> pa.Array:
    """The documented text form of every value of an Arrow array (nulls stay null)."""
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array  # the CSV writer takes both as they are
    if pa.types.is_string_view(t):
        return pc.cast(array, pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_dictionary(t):
        return to_text(array.dictionary_decode())
    if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
        return pc.cast(array, pa.string())
    if pa.types.is_floating(t):
        return _float_text(array)
    if pa.types.is_timestamp(t):
        return _timestamp_text(array)
    if pa.types.is_date(t) or pa.types.is_time(t):
        return pc.cast(array, pa.string())
    if pa.types.is_duration(t):
        return pc.cast(pc.cast(array, pa.int64()), pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return pa.array(
            [None if v is None else "\\x" + v.hex() for v in array.to_pylist()], pa.string()
        )
    return pa.array([None if v is None else _json_dumps(v) for v in array.to_pylist()], pa.string())


_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _float_text(array: pa.Array) -> pa.Array:
    if pa.types.is_float16(array.type):
        array = pc.cast(array, pa.float32())
    text = pc.cast(array, pa.string())
    if array.null_count < len(array) and not pc.all(pc.is_finite(array)).as_py():
        text = pa.array([_SPECIAL.get(v, v) for v in text.to_pylist()], pa.string())
    return text


def _timestamp_text(array: pa.Array) -> pa.Array:
    t = array.type
    if t.tz is not None:
        # the stored instant, as UTC wall time
        naive = pc.cast(array, pa.timestamp(t.unit))
        text = pc.replace_substring(pc.cast(naive, pa.string()), " ", "T", max_replacements=1)
        return pc.binary_join_element_wise(text, pa.scalar("+00:00"), pa.scalar(""))
    return pc.replace_substring(pc.cast(array, pa.string()), " ", "T", max_replacements=1)


def _extras_json(batch: pa.RecordBatch, extras: list[tuple[str, int]]) -> pa.Array:
    names = [name for name, _ in extras]
    columns = [to_text(batch.column(i)).to_pylist() for _, i in extras]
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    return pa.array(
        [dumps(dict(zip(names, values, strict=True))) for values in zip(*columns, strict=True)],
        pa.string(),
    )


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # a map arrives as a list of (key, value) pairs
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    return str(value)


def _json_dumps(value) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, allow_nan=False)
