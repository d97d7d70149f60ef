"""What a run shows while it works: a live status line on a terminal (rich), a plain log
line every few seconds otherwise. Each reject is printed once, as it happens."""

from __future__ import annotations

import logging
import threading
import time

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from loader.discovery import ObjectInfo
from loader.outcome import Summary

log = logging.getLogger("resi.load")
LOG_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal


class Progress:
    def __init__(self, summary: Summary, console: Console | None = None) -> None:
        self.summary = summary
        self.console = console or Console(stderr=True)
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.partial_rows = 0
        self.partial_bytes = 0.0
        self.last_log = 0.0
        self.bar: RichProgress | None = None
        if self.console.is_terminal:
            self.bar = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.task = self.bar.add_task(self.status())
            self.bar.start()

    def status(self) -> str:
        s = self.summary
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rows = s.rows_loaded + self.partial_rows
        mb = (s.bytes_loaded + self.partial_bytes) / 1e6
        return (
            f"files {s.files_loaded} loaded, {s.files_rejected} rejected, "
            f"{s.files_skipped + s.objects_skipped} skipped of {s.objects_seen} seen | "
            f"rows {rows:,} ({rows / elapsed:,.0f}/s) | {mb / elapsed:.1f} MB/s"
        )

    def rows(self, n: int, bytes_estimate: float) -> None:
        with self.lock:
            self.partial_rows += n
            self.partial_bytes += bytes_estimate
            self._update()

    def reset_partial(self) -> None:
        with self.lock:
            self.partial_rows = 0
            self.partial_bytes = 0.0

    def file_done(self, obj: ObjectInfo, outcome: str, detail: str) -> None:
        with self.lock:
            if outcome == "rejected":
                if self.bar is not None:
                    self.console.print(
                        f"rejected {obj.key}: {detail}", markup=False, highlight=False
                    )
                else:
                    log.warning("rejected %s: %s", obj.key, detail)
            self._update()

    def _update(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=self.status())
            return
        now = time.monotonic()
        if now - self.last_log >= LOG_INTERVAL:
            self.last_log = now
            log.info("%s", self.status())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=self.status())
            self.bar.stop()
