"""List the objects of a source and fetch their bytes.

S3: boto3 with the standard credential chain, `--endpoint-url` / `AWS_ENDPOINT_URL` for
S3-compatible stores, a paginated listing (1,000 keys a page, any number of pages) and
botocore's "standard" retry mode (exponential backoff with jitter on throttling, 5xx and
connection errors; `AWS_MAX_ATTEMPTS` overrides the number of attempts).

A local folder in the same layout: every regular file below it, its modification time
standing in for the server's LastModified and a cheap ETag `{size:x}-{mtime_ns:x}`, so a
re-run need not read file contents to know what it has already seen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from loader.paths import Source

CHUNK = 1 << 20


class SourceUnreachable(RuntimeError):
    """The bucket or folder cannot be listed (after retries)."""


class FetchFailed(RuntimeError):
    """One object could not be fetched (after retries); it is left for the next run."""


@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    bucket: str | None
    key: str  # as listed: the full S3 key, or the path relative to the folder
    relative_key: str  # relative to the source prefix, for key parsing
    etag: str
    size: int
    last_modified: dt.datetime


def s3_client(endpoint_url: str | None = None, profile: str | None = None, unsigned: bool = False):
    """An S3 client: the standard credential chain, or the named AWS profile, or no
    credentials at all (`unsigned`, for a public bucket). Raises SourceUnreachable when
    the profile does not exist."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    retries: dict = {"mode": os.environ.get("AWS_RETRY_MODE", "standard")}
    if not os.environ.get("AWS_MAX_ATTEMPTS"):
        retries["total_max_attempts"] = 6
    config = Config(
        retries=retries,
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=16,
        signature_version=UNSIGNED if unsigned else None,
    )
    try:
        session = boto3.Session(profile_name=profile)
        return session.client("s3", endpoint_url=endpoint_url or None, config=config)
    except BotoCoreError as exc:
        raise SourceUnreachable(str(exc)) from exc


def list_objects(source: Source, client=None, hotkeys: Sequence[str] = ()) -> Iterator[ObjectInfo]:
    """Every object of the source, in key order; with `hotkeys`, only the listing under
    those miners' folders is read. Raises SourceUnreachable."""
    if source.kind == "local":
        yield from _list_local(source)
        return
    for prefix in listing_prefixes(source, hotkeys):
        yield from _list_s3(source, client, prefix)


def listing_prefixes(source: Source, hotkeys: Sequence[str] = ()) -> list[str]:
    """The S3 prefixes to list: the source's own, or each miner's folder within it."""
    if not hotkeys:
        return [source.prefix]
    prefixes = []
    for hotkey in sorted(set(hotkeys)):
        folder = f"{source.root}data/hotkey={hotkey}/"
        if folder.startswith(source.prefix):
            prefixes.append(folder)
        elif source.prefix.startswith(folder):
            prefixes.append(source.prefix)
    return prefixes


def _describe_s3_error(exc: Exception, source: Source) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return (
            f"no AWS credentials for bucket {source.bucket!r}: configure them, name a "
            "profile (--profile), or read a public bucket with --no-sign-request"
        )
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return f"bucket {source.bucket!r} does not exist"
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return f"access to bucket {source.bucket!r} denied ({code}); check AWS credentials"
        return f"listing bucket {source.bucket!r} failed: {code or exc}"
    return f"cannot reach the S3 endpoint for bucket {source.bucket!r} (after retries): {exc}"


def _list_s3(source: Source, client, prefix: str) -> Iterator[ObjectInfo]:
    from botocore.exceptions import BotoCoreError, ClientError

    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=source.bucket, Prefix=prefix, PaginationConfig={"PageSize": 1000}
    )
    try:
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"]
                yield ObjectInfo(
                    uri=source.object_uri(key),
                    bucket=source.bucket,
                    key=key,
                    relative_key=source.relative(key),
                    etag=item["ETag"].strip('"'),
                    size=item["Size"],
                    last_modified=item["LastModified"],
                )
    except (BotoCoreError, ClientError) as exc:
        raise SourceUnreachable(_describe_s3_error(exc, source)) from exc


def _list_local(source: Source) -> Iterator[ObjectInfo]:
    folder, root = source.folder, source.listing_root
    if not folder.is_dir():
        raise SourceUnreachable(f"folder {str(folder)!r} does not exist or is not a folder")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=_raise):
        dirnames.sort()
        for name in filenames:
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except OSError:
                continue  # vanished between listing and stat
            if not path.is_file():
                continue
            found.append((path.relative_to(root).as_posix(), st))
    for key, st in sorted(found, key=lambda item: item[0]):
        yield ObjectInfo(
            uri=source.object_uri(key),
            bucket=None,
            key=key,
            relative_key=key,
            etag=f"{st.st_size:x}-{st.st_mtime_ns:x}",
            size=st.st_size,
            last_modified=dt.datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=dt.UTC),
        )


def _raise(exc: OSError) -> None:
    raise SourceUnreachable(f"cannot list folder: {exc}") from exc


@dataclass
class Fetched:
    """An object's bytes on local disk (the file itself, or a temporary copy) and its
    SHA-256. `close()` removes a temporary copy."""

    path: str
    sha256: str
    _temp: IO[bytes] | None = None

    def close(self) -> None:
        if self._temp is not None:
            self._temp.close()
            self._temp = None


def fetch(obj: ObjectInfo, source: Source, client=None, spool_dir: str | None = None) -> Fetched:
    """Bring the object to local disk, hashing it on the way. Raises FetchFailed."""
    if source.kind == "local":
        path = str(source.listing_root / obj.key)
        digest = hashlib.sha256()
        try:
            with open(path, "rb", buffering=0) as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise FetchFailed(f"cannot read {path}: {exc}") from exc
        return Fetched(path, digest.hexdigest())

    from botocore.exceptions import BotoCoreError, ClientError

    temp = tempfile.NamedTemporaryFile(prefix="resi-", suffix=".parquet", dir=spool_dir)  # noqa: SIM115
    digest = hashlib.sha256()
    try:
        response = client.get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=f'"{obj.etag}"')
        body = response["Body"]
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
            temp.write(chunk)
        temp.flush()
    except (BotoCoreError, ClientError, OSError) as exc:
        temp.close()
        raise FetchFailed(f"cannot fetch {obj.uri}: {exc}") from exc
    return Fetched(temp.name, digest.hexdigest(), temp)
