"""`resi db roles`: three database roles with separate powers, the same on the embedded
server and on a real one.

- loader (resi_loader): owns and writes the `raw` schema; reads nothing else.
- transform (resi_transform): reads `raw`, owns and writes the model schemas dbt builds
  (staging, intermediate, marts, reference = the seeds, test_failures, snapshots).
- reader (resi_reader): reads `marts` only (the API and the dashboards connect as it).

Tables dbt creates later stay readable: default privileges grant SELECT on new tables in
`marts` to the reader, for tables created by the transform role and by the role running
this command (dbt's default when no transform role is configured). Likewise the transform
role can read tables the loader (or the admin) adds to `raw` later.

Who uses them (when configured, see `use_role()`):
  RESI_LOADER_ROLE=resi_loader     `resi load` connects as it
  RESI_TRANSFORM_ROLE=resi_transform  `resi dbt` runs dbt as it
  RESI_READER_ROLE (default resi_reader)  `resi serve api|dashboard` connect as it
Each may have a password in RESI_LOADER_PASSWORD, RESI_TRANSFORM_PASSWORD or
RESI_READER_PASSWORD (set on the role by `resi db roles`, never printed). Without one, the
role logs in only where the server trusts it (the embedded server's socket, a trust rule).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg
from psycopg import sql

from loader import schema as raw_schema

MODEL_SCHEMAS = ("staging", "intermediate", "marts", "reference", "test_failures", "snapshots")
READ_SCHEMAS = ("marts",)


@dataclass(frozen=True)
class Role:
    kind: str
    default_name: str

    @property
    def name(self) -> str:
        return os.environ.get(f"RESI_{self.kind.upper()}_ROLE") or self.default_name

    @property
    def password(self) -> str | None:
        return os.environ.get(f"RESI_{self.kind.upper()}_PASSWORD") or None

    @property
    def configured(self) -> bool:
        return bool(os.environ.get(f"RESI_{self.kind.upper()}_ROLE"))


LOADER = Role("loader", "resi_loader")
TRANSFORM = Role("transform", "resi_transform")
READER = Role("reader", "resi_reader")
ROLES = (LOADER, TRANSFORM, READER)


def _ensure_role(conn: psycopg.Connection, role: Role) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [role.name]).fetchone()
    verb = "alter" if exists else "create"
    statement = sql.SQL("{} role {} login nosuperuser nocreatedb nocreaterole").format(
        sql.SQL(verb), sql.Identifier(role.name)
    )
    if role.password:
        statement += sql.SQL(" password {}").format(sql.Literal(role.password))
    conn.execute(statement)


def _own_schema(conn: psycopg.Connection, schema: str, owner: str) -> None:
    """Create `schema` owned by `owner`, or hand an existing one (and its tables, views,
    sequences) over to it, so the owner can drop and recreate what is in it."""
    ident, who = sql.Identifier(schema), sql.Identifier(owner)
    conn.execute(sql.SQL("create schema if not exists {} authorization {}").format(ident, who))
    conn.execute(sql.SQL("alter schema {} owner to {}").format(ident, who))
    objects = conn.execute(
        """
        select c.relname, c.relkind
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm', 'S')
            and pg_get_userbyid(c.relowner) <> %s
            and not exists (  -- sequences owned by a table follow their table
                select 1 from pg_depend as d
                where d.objid = c.oid and d.deptype in ('a', 'i') and c.relkind = 'S'
            )
        """,
        [schema, owner],
    ).fetchall()
    kinds = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "S": "sequence"}
    for name, kind in objects:
        conn.execute(
            sql.SQL("alter {} {} owner to {}").format(
                sql.SQL(kinds[kind]), sql.Identifier(schema, name), who
            )
        )


def _grant_reading(
    conn: psycopg.Connection, schema: str, reader: str, creators: tuple[str, ...]
) -> None:
    """`reader` may read every table in `schema`, now and (by default privileges) later."""
    ident, who = sql.Identifier(schema), sql.Identifier(reader)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(ident, who))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(ident, who))
    for creator in dict.fromkeys(creators):
        conn.execute(
            sql.SQL(
                "alter default privileges for role {} in schema {} grant select on tables to {}"
            ).format(sql.Identifier(creator), ident, who)
        )


def create_roles(conn: psycopg.Connection) -> list[str]:
    """Create (or bring up to date) the three roles and their grants in the current
    database. Idempotent. `conn` must belong to a role that may create roles and owns
    (or is superuser over) the schemas. Returns what was done, one line per role."""
    admin = conn.execute("select current_user").fetchone()[0]  # type: ignore[index]
    database = conn.execute("select current_database()").fetchone()[0]  # type: ignore[index]
    raw_schema.migrate(conn)
    with conn.transaction():
        for role in ROLES:
            _ensure_role(conn, role)
        loader, transform, reader = LOADER.name, TRANSFORM.name, READER.name
        db = sql.Identifier(database)
        for role in ROLES:
            conn.execute(
                sql.SQL("grant connect, temporary on database {} to {}").format(
                    db, sql.Identifier(role.name)
                )
            )
        # dbt creates the model schemas it needs (create schema if not exists)
        conn.execute(
            sql.SQL("grant create on database {} to {}").format(db, sql.Identifier(transform))
        )
        # PostgreSQL < 15 lets everyone create in `public`; nobody of ours needs to
        conn.execute("revoke create on schema public from public")

        _own_schema(conn, "raw", loader)
        _grant_reading(conn, "raw", transform, (loader, admin))
        for name in MODEL_SCHEMAS:
            _own_schema(conn, name, transform)
        for name in READ_SCHEMAS:
            _grant_reading(conn, name, reader, (transform, admin))
    return [
        f"{loader:<16} writes raw (owns it); reads nothing else",
        f"{transform:<16} reads raw; owns {', '.join(MODEL_SCHEMAS)}",
        f"{reader:<16} reads {', '.join(READ_SCHEMAS)} only",
    ]


def role_env(role: Role) -> dict[str, str]:
    """Variables that make `resi` (RESI_DB_USER) and libpq children (PGUSER) connect as
    `role`, with its password when one is set."""
    env = {"RESI_DB_USER": role.name, "PGUSER": role.name}
    if role.password:
        env["PGPASSWORD"] = role.password
    return env


def use_role(role: Role) -> None:
    """Connect as `role` from here on in this process, if the user configured it."""
    if role.configured:
        os.environ.update(role_env(role))
