"""Where an object lives and what its key claims.

A miner's upload key, relative to the source prefix (or folder), has the layout

    data/hotkey={hotkey}/job_id={job_id}/data_{YYYYMMDD}_{HHMMSS}_{count}.parquet

and claims a miner hotkey, a job id, a timestamp (the miner's own clock, no zone) and a
record count. `parse_key` returns those claims or raises `KeyRejected` with a reason a
person can act on; a rejected key still carries the hotkey and job id its folders hold, so
the reject is charged to the right miner. Values are kept verbatim (a hotkey is any text
without a `/`); they only ever reach SQL as query parameters.

The network's bucket also holds objects that are not listing files at all (scraped JSON
under `data/hotkey=/epoch=/zipcode=`, validator output, a doubled `data/hotkey=X/`
prefix). `not_a_listing_file` names them; the loader records them as skipped, not
rejected.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

_KEY = re.compile(
    r"data/hotkey=(?P<hotkey>[^/]*)/job_id=(?P<job_id>[^/]*)/(?P<name>[^/]*)", re.DOTALL
)
_FOLDERS = re.compile(r"data/hotkey=(?P<hotkey>[^/]*)/(?:job_id=(?P<job_id>[^/]*)/)?", re.DOTALL)
_NAME = re.compile(
    r"data_(?P<date>[0-9]{8})_(?P<time>[0-9]{6})_(?P<count>[0-9]+)\.parquet", re.DOTALL
)


@dataclass(frozen=True)
class KeyClaims:
    hotkey: str | None
    job_id: str | None
    claimed_timestamp: dt.datetime | None = None
    claimed_record_count: int | None = None


class KeyRejected(ValueError):
    """The key does not follow the upload layout; the message says how, and `claims` holds
    what its folders still tell (hotkey, job id) for the manifest."""

    def __init__(self, reason: str, claims: KeyClaims | None = None) -> None:
        super().__init__(reason)
        self.claims = claims


def folder_claims(relative_key: str) -> KeyClaims | None:
    """The hotkey and job id that a key's folders hold, whatever its file name."""
    match = _FOLDERS.match(relative_key)
    if match is None:
        return None
    return KeyClaims(match["hotkey"] or None, match["job_id"] or None)


def not_a_listing_file(relative_key: str) -> str | None:
    """Why the object is no miner listing file at all (skipped, not rejected), or None."""
    if relative_key.endswith("/"):
        return "a folder marker, not a file"
    if relative_key.startswith("validator_results/"):
        return "validator output (validator_results/), not a miner listing file"
    doubled = re.match(r"(data/hotkey=[^/]*/)\1", relative_key)
    if doubled:
        return f"the {doubled[1]} prefix is doubled (an uploader bug); not a listing path"
    if re.match(r"data/hotkey=[^/]*/epoch=", relative_key):
        return "scraped data under hotkey=/epoch=/zipcode= folders, not a listing file"
    if relative_key.lower().endswith(".json"):
        return "a JSON object, not a Parquet listing file"
    return None


def parse_key(relative_key: str) -> KeyClaims:
    """The claims of a key given relative to the source prefix (or folder)."""
    try:
        return _parse_key(relative_key)
    except KeyRejected as exc:
        raise KeyRejected(str(exc), folder_claims(relative_key)) from None


def _parse_key(relative_key: str) -> KeyClaims:
    layout = "data/hotkey={hotkey}/job_id={job_id}/data_{YYYYMMDD}_{HHMMSS}_{count}.parquet"
    if relative_key.endswith("/"):
        raise KeyRejected("a folder marker, not a file")
    match = _KEY.fullmatch(relative_key)
    if match is None:
        if not relative_key.startswith("data/hotkey="):
            raise KeyRejected(f"key is outside the upload layout {layout}")
        if "/job_id=" not in relative_key:
            raise KeyRejected(f"no job_id= folder under the hotkey folder (expected {layout})")
        raise KeyRejected(f"unexpected folder depth (expected {layout})")
    hotkey, job_id, name = match["hotkey"], match["job_id"], match["name"]
    if not hotkey:
        raise KeyRejected("empty hotkey in hotkey= folder")
    if not job_id:
        raise KeyRejected("empty job id in job_id= folder")
    if not name.lower().endswith(".parquet"):
        raise KeyRejected(f"file name {name!r} does not end in .parquet")
    parts = _NAME.fullmatch(name)
    if parts is None:
        raise KeyRejected(
            f"file name {name!r} does not match data_{{YYYYMMDD}}_{{HHMMSS}}_{{count}}.parquet"
        )
    try:
        claimed = dt.datetime.strptime(parts["date"] + parts["time"], "%Y%m%d%H%M%S")
    except ValueError:
        raise KeyRejected(
            f"impossible date or time {parts['date']}_{parts['time']} in file name {name!r}"
        ) from None
    count = int(parts["count"])
    if count > 2**63 - 1:
        raise KeyRejected(f"record count {parts['count']} in file name is out of range")
    return KeyClaims(hotkey, job_id, claimed, count)


@dataclass(frozen=True)
class Source:
    """A parsed SOURCE argument: `s3://bucket[/prefix]` or a local folder."""

    kind: str  # "s3" or "local"
    bucket: str | None = None
    prefix: str = ""  # S3 prefix, always empty or ending in "/"
    folder: Path | None = None

    @property
    def root(self) -> str:
        """The part of the prefix above the upload layout's `data/` folder: keys are parsed
        from there, so a prefix inside the layout (`data/hotkey=X/`) only filters the
        listing. Without a `data/` folder in it, the prefix is the root. For a folder: the
        path below the folder above `data/` ("" when the folder is that root)."""
        parts = (self.prefix if self.kind == "s3" else self._folder_below_root()).split("/")
        if "data" in parts:
            return "/".join([*parts[: parts.index("data")], ""]).lstrip("/")
        return self.prefix

    def _folder_below_root(self) -> str:
        parts = self.folder.parts
        if "data" not in parts:
            return ""
        return "/".join(parts[len(parts) - parts[::-1].index("data") - 1 :]) + "/"

    @property
    def listing_root(self) -> Path:
        """A folder source: the folder keys are relative to (the one above `data/`)."""
        below = self._folder_below_root()
        return self.folder.parents[below.count("/") - 1] if below else self.folder

    @property
    def uri(self) -> str:
        """The source as recorded in raw.load_runs; every object URI starts with it."""
        if self.kind == "s3":
            return f"s3://{self.bucket}/{self.prefix}"
        return self.listing_root.as_uri() + "/" + self._folder_below_root()

    def object_uri(self, key: str) -> str:
        """The URI of one object: s3://bucket/key, or file:///root-folder/key.

        Kept verbatim (no percent-encoding) so that a URI reads like the key it names."""
        if self.kind == "s3":
            return f"s3://{self.bucket}/{key}"
        return self.listing_root.as_uri() + "/" + key

    def relative(self, key: str) -> str:
        """The key relative to the root, as `parse_key` wants it."""
        return key[len(self.root) :] if self.kind == "s3" else key


def parse_source(source: str) -> Source:
    if source.startswith("s3://"):
        rest = source[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {source!r}; expected s3://bucket[/prefix]")
        prefix = prefix.strip("/")
        return Source("s3", bucket=bucket, prefix=prefix + "/" if prefix else "")
    if "://" in source:
        raise ValueError(
            f"unsupported source {source!r}; expected s3://bucket[/prefix] or a folder"
        )
    return Source("local", folder=Path(source).resolve())
