"""What a load run did: the counts `resi load` prints, records and returns as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Summary:
    source: str
    load_run_id: int | None = None
    objects_seen: int = 0
    files_loaded: int = 0
    files_rejected: int = 0
    files_skipped: int = 0  # already recorded by an earlier run (or a concurrent loader)
    objects_skipped: int = 0  # not listing files (JSON, validator output, ...): status skipped
    fetch_errors: int = 0
    rows_loaded: int = 0
    bytes_loaded: int = 0
    rejects_on_record: int = 0  # rejects under the source in the manifest, every run
    seconds: float = 0.0
    status: str = "running"
    rejects: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["peak_rss_mb"] = peak_rss_mb()
        out["rows_per_second"] = round(self.rows_loaded / self.seconds) if self.seconds else 0
        out["mb_per_second"] = (
            round(self.bytes_loaded / 1e6 / self.seconds, 2) if self.seconds else 0.0
        )
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class Plan:
    """What a run would do (`--dry-run`): the objects it would read, and the rest."""

    source: str
    objects_seen: int = 0
    already_recorded: int = 0
    not_listing_files: int = 0
    to_load: list[tuple[str, int]] = field(default_factory=list)  # (uri, size)

    @property
    def bytes_to_load(self) -> int:
        return sum(size for _, size in self.to_load)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "objects_seen": self.objects_seen,
            "already_recorded": self.already_recorded,
            "not_listing_files": self.not_listing_files,
            "files_to_load": len(self.to_load),
            "bytes_to_load": self.bytes_to_load,
            "objects": [{"uri": uri, "size": size} for uri, size in self.to_load],
        }


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since it started (VmHWM, which unlike
    ru_maxrss does not count what the parent held before exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
