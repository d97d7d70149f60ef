"""`resi summary`: what the pipeline holds, in a few lines, and where to look next."""

from __future__ import annotations

import argparse
import shutil

import psycopg

from resi import PROJECT_ROOT
from resi.database import connection as database
from resi.database import embedded
from resi.watching import state as watching


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", [name]).fetchone()
    return bool(row and row[0])


def _scalar(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


def _raw_lines(conn: psycopg.Connection) -> list[str]:
    files = conn.execute(
        """
        select
            count(*) filter (where status = 'loaded'),
            count(*) filter (where status = 'rejected'),
            coalesce(sum(row_count) filter (where status = 'loaded'), 0)
        from raw.source_files
        """
    ).fetchone()
    loaded, rejected, rows = files if files else (0, 0, 0)
    lines = [f"files loaded      {loaded:>10,}", f"files rejected    {rejected:>10,}"]
    lines.append(f"rows in raw       {rows:>10,}")
    if rejected:
        lines.append(
            "  why: select key, reject_reason from raw.source_files where status = 'rejected';"
        )
    return lines


def _mart_lines(conn: psycopg.Connection) -> list[str]:
    listings = _scalar(conn, "select count(*) from marts.unified_listings")
    agreed = _scalar(
        conn,
        "select avg(case when consensus_score = 1 then 1.0 else 0.0 end)"
        " from marts.unified_listings",
    )
    mean = _scalar(conn, "select avg(consensus_score) from marts.unified_listings")
    lines = [f"unified listings  {listings:>10,}"]
    if agreed is not None:
        lines.append(f"full agreement    {float(agreed):>10.1%}  (every reported field unanimous)")
        lines.append(f"mean consensus    {float(mean):>10.3f}")
    return lines


def _insight_lines(conn: psycopg.Connection) -> list[str]:
    """Top and worst miners by agreement, and the open alerts by severity (issue 6 marts)."""
    lines: list[str] = []
    if _relation_exists(conn, "marts.miner_performance"):
        ranked = """
            select miner_hotkey, agreement_ratio, field_votes, files_loaded
            from marts.miner_performance
            where agreement_ratio is not null and field_votes > 0
            order by agreement_ratio {direction}, field_votes desc, miner_hotkey
            limit 3
        """
        for title, direction in (("top miners", "desc"), ("worst miners", "asc")):
            rows = conn.execute(ranked.format(direction=direction)).fetchall()
            lines.append(f"{title} (agreement with consensus)")
            lines += [
                f"  {hotkey[:16]:<16}  {float(ratio):>7.2%}  {votes:>9,} votes  {files:>5,} files"
                for hotkey, ratio, votes, files in rows
            ]
    if _relation_exists(conn, "marts.quality_alerts"):
        counts = dict(
            conn.execute(
                "select severity, count(*) from marts.quality_alerts group by severity"
            ).fetchall()
        )
        lines.append(
            f"open alerts       {sum(counts.values()):>10,}  "
            f"({counts.get('error', 0)} error, {counts.get('warn', 0)} warn: `resi alerts`)"
        )
    return lines


def main(args: argparse.Namespace) -> int:
    env = database.use_database()
    print(f"\nresi-unified on {database.describe(env)}\n")
    with database.connect() as conn:
        if not _relation_exists(conn, "raw.source_files"):
            print("nothing loaded yet: run `resi load SOURCE`")
            return 0
        lines = _raw_lines(conn)
        if _relation_exists(conn, "marts.unified_listings"):
            lines += _mart_lines(conn)
            lines += _insight_lines(conn)
        else:
            lines.append("marts not built yet: run `resi dbt build`")
        lines += watching.summary_lines(conn)  # `resi watch`, when one ever ran
    print("\n".join(lines))
    docs = PROJECT_ROOT / "target" / "index.html"
    print("\nwhere to look next")
    if docs.exists():
        print(f"  docs site:   {docs}  (or `make docs` for one static file)")
    psql = "psql" if shutil.which("psql") else embedded.psql_path()
    print(f'  psql:        {psql} "$(.venv/bin/resi db url)"')
    print(
        "  a query:     select zpid, price, home_status, consensus_score, unique_miners_count\n"
        "               from marts.unified_listings order by last_updated_at desc limit 10;"
    )
    return 0
