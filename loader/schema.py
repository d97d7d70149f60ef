"""The raw schema: created and migrated by the loader, never by dbt.

Migrations are numbered and applied in order, each in its own transaction, and recorded in
`raw.schema_migrations`. A later change appends a migration; it never edits an applied one.
"""

from __future__ import annotations

import psycopg

# The 18 listing columns of the miner's `_create_raw_dataframe()`, in file order.
LISTING_COLUMNS: tuple[str, ...] = (
    "uri",
    "datetime",
    "label",
    "zpid",
    "price",
    "address",
    "bedrooms",
    "bathrooms",
    "living_area",
    "home_type",
    "home_status",
    "days_on_zillow",
    "url",
    "zip_code",
    "city",
    "state",
    "latitude",
    "longitude",
)

_LISTING_COLUMNS_DDL = ",\n    ".join(f'"{name}" text' for name in LISTING_COLUMNS)

MIGRATIONS: tuple[str, ...] = (
    # 1: the landing tables
    f"""
create table raw.load_runs (
    load_run_id bigint generated always as identity primary key,
    source text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    objects_seen integer not null default 0,
    files_loaded integer not null default 0,
    files_rejected integer not null default 0,
    files_skipped integer not null default 0,
    rows_loaded bigint not null default 0,
    status text not null default 'running'
        check (status in ('running', 'succeeded', 'failed'))
);

create table raw.source_files (
    file_id bigint generated always as identity primary key,
    source_uri text not null,
    bucket text,
    key text not null,
    etag text not null,
    size_bytes bigint,
    last_modified timestamptz,
    hotkey text,
    job_id text,
    claimed_timestamp timestamp,
    claimed_record_count bigint,
    row_count bigint,
    content_sha256 text,
    arrow_schema jsonb,
    status text not null check (status in ('loaded', 'rejected')),
    reject_reason text,
    load_run_id bigint references raw.load_runs (load_run_id),
    loaded_at timestamptz not null default now(),
    unique (source_uri, etag),
    check ((status = 'rejected') = (reject_reason is not null))
);

create index source_files_loaded_at_idx on raw.source_files (loaded_at);

-- file_id refers to raw.source_files, but without a foreign key: the loader writes a
-- file's rows in the transaction that inserts its manifest row, which already guarantees
-- the reference, and a per-row FK check would cost ~40% of COPY throughput.
create table raw.listing_rows (
    file_id bigint not null,
    row_index bigint not null,
    {_LISTING_COLUMNS_DDL},
    extra_columns jsonb,
    primary key (file_id, row_index)
);
""",
    # 2: objects that are not listing files (scraped JSON, validator output, ...) are
    # recorded as 'skipped' with their reason (in reject_reason), so no run reads them
    # again and no rejected-file alert counts them
    """
alter table raw.source_files drop constraint source_files_status_check;
alter table raw.source_files drop constraint source_files_check;
alter table raw.source_files add constraint source_files_status_check
    check (status in ('loaded', 'rejected', 'skipped'));
alter table raw.source_files add constraint source_files_reason_check
    check ((status = 'loaded') = (reject_reason is null));
comment on column raw.source_files.reject_reason is
    'Why the object was rejected (a listing file that cannot be loaded)'
    ' or skipped (not a listing file).';
alter table raw.load_runs add column objects_skipped integer not null default 0;
""",
    # 3: `resi watch` state, one row per watcher (its source); see resi/watching/state.py
    """
create table raw.watcher_state (
    source text primary key,
    mode text not null check (mode in ('queue', 'polling')),
    queue_url text,
    host text,
    pid integer,
    running_since timestamptz,
    stopped_at timestamptz,
    last_poll_at timestamptz,
    last_load_at timestamptz,
    files_loaded bigint not null default 0,
    backlog integer not null default 0,
    last_build_started_at timestamptz,
    last_build_at timestamptz,
    last_build_status text,
    last_build_seconds numeric,
    last_rebuild_at timestamptz,
    last_error text,
    last_error_at timestamptz,
    open_alerts integer,
    updated_at timestamptz not null default now()
);
""",
)


def migrate(conn: psycopg.Connection) -> int:
    """Bring the raw schema up to date; returns the schema version. Safe to run concurrently."""
    with conn.transaction():
        # one migrator at a time, across processes
        conn.execute("select pg_advisory_xact_lock(hashtext('resi.raw.migrate'))")
        # only when missing: `create schema` needs a right the loader role lacks, even
        # with `if not exists`
        if conn.execute("select to_regnamespace('raw') is null").fetchone() == (True,):
            conn.execute("create schema raw")
        conn.execute(
            """
            create table if not exists raw.schema_migrations (
                version integer primary key,
                applied_at timestamptz not null default now()
            )
            """
        )
        row = conn.execute("select coalesce(max(version), 0) from raw.schema_migrations").fetchone()
        current = row[0] if row else 0
        for version, ddl in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            conn.execute(ddl)
            conn.execute("insert into raw.schema_migrations (version) values (%s)", [version])
    return len(MIGRATIONS)
