"""The `resi` command as a newcomer meets it: --version, help on every option, `db url`,
one clear line (exit 2) when the database is down, the alerts table's width, every reject
printed once, and a summary whose docs link opens a working site from disk."""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from helpers import CHROMIUM, RESI, dbt_paths, launch_chromium, resi

from resi import __version__, cli
from resi.database.urls import libpq_url
from resi.reporting.alerts import exit_code, format_table


def test_version() -> None:
    proc = subprocess.run([str(RESI), "--version"], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == f"resi {__version__}"
    assert __version__ != "0+unknown"


def test_every_command_and_option_has_help() -> None:
    parser = cli.build_parser()
    (group,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"db", "simulate", "load", "dbt", "alerts", "summary"} <= set(group.choices)
    missing = [a.dest for a in group._choices_actions if not a.help]
    for name, command in group.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.help:
                missing.append(f"{name} {action.option_strings or action.dest}")
    assert missing == []


def test_db_url_socket_host_database_and_password(monkeypatch, server_env) -> None:
    env = {
        "PGHOST": "/run/my sockets",
        "PGPORT": "5433",
        "PGUSER": "ana",
        "PGDATABASE": "resi db",
        "PGPASSWORD": "p@ss:w/rd%",
    }
    masked = libpq_url(env)
    assert masked == "postgresql://ana:***@/resi%20db?host=%2Frun%2Fmy%20sockets&port=5433"
    shown = libpq_url(env, show_password=True)
    assert psycopg.conninfo.conninfo_to_dict(shown) == {
        "user": "ana",
        "password": "p@ss:w/rd%",
        "dbname": "resi db",
        "host": "/run/my sockets",
        "port": "5433",
    }
    # the command: honours PGDATABASE, and the URL it prints reaches the database
    monkeypatch.setenv("PGDATABASE", "postgres")
    for name in ("PGHOST", "PGPORT", "PGUSER"):
        monkeypatch.setenv(name, server_env[name])
    monkeypatch.setenv("PGPASSWORD", "s3cr@t")
    out = resi({}, "db", "url").stdout.strip()
    assert "s3cr@t" not in out and ":***@" in out
    assert out.endswith("/postgres") or "/postgres?" in out
    shown = resi({}, "db", "url", "--show-password").stdout.strip()
    assert "s3cr%40t" in shown
    monkeypatch.delenv("PGPASSWORD")
    url = resi({}, "db", "url").stdout.strip()
    with psycopg.connect(url) as conn:  # trust auth: the URL alone reaches the server
        assert conn.execute("select current_database()").fetchone() == ("postgres",)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_down() -> dict[str, str]:
    """libpq variables that point at a port nobody listens on."""
    return {"PGHOST": "127.0.0.1", "PGPORT": str(_free_port()), "PGUSER": "resi",
            "PGDATABASE": "resi", "RESI_CONNECT_ATTEMPTS": "1"}  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("summary",),
        ("alerts",),
        ("alerts", "--fail-on", "error"),
        ("dbt", "build"),
        ("db", "status"),
        ("db", "migrate"),
    ],  # fmt: skip
)
def test_database_down_one_clear_line_exit_2(database_down, args) -> None:
    proc = resi(database_down, *args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0], proc.stderr


def test_db_status_answers_when_the_server_does(scratch_db) -> None:
    proc = resi(scratch_db, "db", "status")
    assert proc.returncode == 0 and "answering" in proc.stdout


def _alert(kind: str, subject: str, details: str) -> dict:
    return {"severity": "error", "kind": kind, "subject": subject, "figure": Decimal("0.4200"),
            "threshold": Decimal("0.8"), "first_seen_at": dt.datetime(2025, 1, 2, 3, 4),
            "details": details}  # fmt: skip


def test_alerts_table_fits_100_columns() -> None:
    hotkey = "5LiarLiarLiarLiarLiarLiarLiarLiarLiarLiarLiar111"
    alerts = [
        _alert("low_agreement", hotkey, "agrees with consensus on 42% of " + "fields " * 40),
        _alert("rejected_files", "raw.source_files", "3 files rejected by the loader"),
    ]
    table = format_table(alerts)
    assert max(len(line) for line in table.splitlines()) <= 100
    assert hotkey in table  # the subject is whole, on a line of its own if need be
    assert "fields fields" in table and "3 files rejected" in table


def test_every_reject_is_printed_once(scratch_db, tmp_path: Path, miner_files) -> None:
    frame, key = miner_files
    good = tmp_path / key("5HkA", count=3)
    good.parent.mkdir(parents=True)
    frame(3).to_parquet(good, index=False)
    bad = [key("5HkB", count=1), "data/hotkey=5HkC/job_id=j/oops.parquet"]
    for relative in bad:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"not parquet")
    proc = resi(scratch_db, "load", str(tmp_path))
    said = proc.stdout + proc.stderr
    for relative in bad:
        assert said.count(relative) == 1, said
    assert "2 rejected" in proc.stdout
    summary = resi(scratch_db, "summary").stdout
    assert all(relative not in summary for relative in bad)


def test_summary_links_the_static_docs_site_and_it_opens_from_disk(
    scratch_db, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    env = {**scratch_db, "DBT_TARGET_PATH": str(target)}
    missing = resi(env, "summary").stdout
    assert "`make docs`" in missing and "static_index.html" not in missing
    resi(env, "dbt", "docs", "generate", "--static", "--quiet", *dbt_paths(tmp_path))
    out = resi(env, "summary").stdout
    site = target / "static_index.html"
    assert f"docs site:   {site.as_uri()}" in out
    if not CHROMIUM.exists():
        pytest.skip("opening the site needs Debian's chromium at /usr/bin")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(f"{site.as_uri()}#!/model/model.resi_unified.unified_listings")
            page.wait_for_selector("text=unified_listings", timeout=30_000)
            assert "Columns" in page.inner_text("body")
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("severities", "fail_on", "expected"),
    [
        (["warn"], "error", 0),  # only an error alert fails --fail-on error
        (["warn", "error"], "error", 1),
        (["warn"], "warn", 1),
        ([], "warn", 0),
        (["error"], None, 0),  # without --fail-on, alerts are information
    ],
)
def test_fail_on_exit_codes(severities, fail_on, expected) -> None:
    alerts = [{"severity": severity} for severity in severities]
    assert exit_code(alerts, fail_on) == expected
