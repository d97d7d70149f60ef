"""`resi summary`: what the pipeline holds, in a few lines, and where to look next."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import psycopg
from rich import box
from rich.table import Table

from loader.report import WHY
from resi import PROJECT_ROOT
from resi.database import connection as database
from resi.database import embedded
from resi.reporting.text import render_text, width_for_stdout
from resi.watching import state as watching

WIDTH = 100  # columns when stdout is not a terminal

Figure = tuple[str, str, str]  # label, value, note


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", [name]).fetchone()
    return bool(row and row[0])


def _scalar(conn: psycopg.Connection, query: str) -> object:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


def _raw_figures(conn: psycopg.Connection) -> list[Figure]:
    files = conn.execute(
        """
        select
            count(*) filter (where status = 'loaded'),
            count(*) filter (where status = 'rejected'),
            count(*) filter (where status = 'skipped'),
            coalesce(sum(row_count) filter (where status = 'loaded'), 0)
        from raw.source_files
        """
    ).fetchone()
    loaded, rejected, skipped, rows = files if files else (0, 0, 0, 0)
    figures = [
        ("files loaded", f"{loaded:,}", ""),
        ("files rejected", f"{rejected:,}", "why: see below" if rejected else ""),
    ]
    if skipped:
        figures.append(("not listing files", f"{skipped:,}", "skipped: JSON, validator output"))
    figures.append(("rows in raw", f"{rows:,}", ""))
    return figures


def _mart_figures(conn: psycopg.Connection) -> list[Figure]:
    listings = _scalar(conn, "select count(*) from marts.unified_listings")
    agreed = _scalar(
        conn,
        "select avg(case when consensus_score = 1 then 1.0 else 0.0 end)"
        " from marts.unified_listings",
    )
    mean = _scalar(conn, "select avg(consensus_score) from marts.unified_listings")
    figures = [("unified listings", f"{listings:,}", "")]
    if agreed is not None:
        figures.append(("full agreement", f"{float(agreed):.1%}", "every reported field unanimous"))
        figures.append(("mean consensus", f"{float(mean):.3f}", ""))
    return figures


def _alert_figures(conn: psycopg.Connection) -> list[Figure]:
    if not _relation_exists(conn, "marts.quality_alerts"):
        return []
    counts = dict(
        conn.execute(
            "select severity, count(*) from marts.quality_alerts group by severity"
        ).fetchall()
    )
    note = f"{counts.get('error', 0)} error, {counts.get('warn', 0)} warn: `resi alerts`"
    return [("open alerts", f"{sum(counts.values()):,}", note)]


def _miner_tables(conn: psycopg.Connection) -> list[Table]:
    """Top and worst miners by the consensus method's reliability: agreement with the
    settled values (copiers have no votes of their own and are left out; a coordinated
    group is named beside its members)."""
    if not _relation_exists(conn, "marts.miner_reliability"):
        return []
    ranked = """
        select miner_hotkey, reliability, compared_votes, coalesce(coordinated_group_id, '')
        from marts.miner_reliability
        where compared_votes > 0
        order by reliability {direction}, compared_votes desc, miner_hotkey
        limit 3
    """
    tables = []
    for title, direction in (("top miners", "desc"), ("worst miners", "asc")):
        table = Table(title=f"\n{title} (reliability)", box=box.SIMPLE_HEAD,
                      title_justify="left", show_edge=False, pad_edge=False)  # fmt: skip
        for name in ("miner", "reliability", "votes", "group"):
            table.add_column(name, justify="right" if name in ("reliability", "votes") else "left")
        for hotkey, score, votes, group in conn.execute(ranked.format(direction=direction)):
            table.add_row(hotkey[:16], f"{float(score):.2%}", f"{votes:,}", group[:22])
        tables.append(table)
    return tables


def _figures_table(figures: list[Figure]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value, note in figures:
        grid.add_row(label, value, note)
    return grid


def docs_site() -> Path:
    """The docs site that opens from disk: `dbt docs generate --static`'s one file (the
    plain index.html needs a web server to read manifest.json)."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or PROJECT_ROOT / "target")
    return target / "static_index.html"


def _where_next(rejects: bool) -> str:
    docs = docs_site()
    lines = ["", "where to look next"]
    if rejects:
        lines.append(f"  rejects:     {WHY}")
    if docs.exists():
        lines.append(f"  docs site:   {docs.as_uri()}")
    else:
        lines.append("  docs site:   `make docs` writes it (one file that opens from disk)")
    psql = "psql" if shutil.which("psql") else embedded.psql_path()
    lines.append(f'  psql:        {psql} "$(.venv/bin/resi db url)"')
    lines.append("  API:         .venv/bin/resi serve api        then http://127.0.0.1:8000/docs")
    lines.append("  dashboards:  .venv/bin/resi serve dashboard  then http://127.0.0.1:8501")
    lines.append("  search:      .venv/bin/resi search --zip 77494 --min-consensus 0.9")
    lines.append(
        "  a query:     select zpid, price, home_status, consensus_score, unique_miners_count\n"
        "               from marts.unified_listings order by last_updated_at desc limit 10;"
    )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    env = database.use_database()
    print(f"\nresi-unified on {database.describe(env)}\n")
    tables: list[Table] = []
    with database.connect() as conn:
        if not _relation_exists(conn, "raw.source_files"):
            print("nothing loaded yet: run `resi load SOURCE`")
            return 0
        figures = _raw_figures(conn)
        if _relation_exists(conn, "marts.unified_listings"):
            figures += _mart_figures(conn) + _alert_figures(conn)
            tables = _miner_tables(conn)
        else:
            figures.append(("marts", "not built", "run `resi dbt build`"))
        watch_lines = watching.summary_lines(conn)  # `resi watch`, when one ever ran
    print(render_text(_figures_table(figures), *tables, width=width_for_stdout(WIDTH)))
    if watch_lines:
        print("\n" + "\n".join(watch_lines))
    rejects = any(label == "files rejected" and value != "0" for label, value, _ in figures)
    print(_where_next(rejects))
    return 0
