"""What the serving tests share: a small simulated network, loaded, built and with the
roles in place, in its own database; a free port; a server process that is waited for."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from helpers import RESI, dbt_paths, resi

from resi import PROJECT_ROOT


def build_network(env: dict[str, str], work: Path, listings: int = 150, miners: int = 5) -> None:
    """Simulate, load, seed and build (models only) into the database `env` names, then
    create the roles (`resi db roles`)."""
    resi(env, "simulate", str(work / "net"), "--listings", str(listings),
         "--miners", str(miners), "--bad", "--seed", "11")  # fmt: skip
    paths = dbt_paths(work)
    resi(env, "load", str(work / "net" / "bucket"))
    resi(env, "dbt", "seed", "--quiet", *paths)
    resi(env, "dbt", "run", "--quiet", *paths)
    resi(env, "db", "roles")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], what: str, ready_path: str, timeout: float = 90) -> Iterator[str]:
    """`resi serve WHAT` on a free port against `env`; yields its base URL once
    `ready_path` answers 200; stops it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"resi-serve-{what}-{port}.log"
    with open(log_path, "w+") as log:
        proc = subprocess.Popen(
            [str(RESI), "serve", what, "--port", str(port)],
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"resi serve {what} exited: {log.read()}")
                try:
                    if httpx.get(base + ready_path, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"resi serve {what} not ready after {timeout} s")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
