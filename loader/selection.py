"""Which listed objects a run takes: by miner (`--hotkey`) and by the storage server's
upload time (`--since` inclusive, `--until` exclusive). Objects left out are not recorded:
a later run without the filter still sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loader.discovery import ObjectInfo
from loader.paths import folder_claims


def parse_time(text: str) -> dt.datetime:
    """An ISO date or date-time; without a zone it is UTC. Raises ValueError."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or date-time (2025-06-01[T12:00])") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Selection:
    hotkeys: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def wants(self, obj: ObjectInfo) -> bool:
        if self.since is not None and obj.last_modified < self.since:
            return False
        if self.until is not None and obj.last_modified >= self.until:
            return False
        if self.hotkeys:
            claims = folder_claims(obj.relative_key)
            return claims is not None and claims.hotkey in self.hotkeys
        return True
