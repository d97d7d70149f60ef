"""resi-unified: one unified, attested, consensus-scored real-estate database from every
RESI miner's Parquet uploads. The packages (see docs/architecture.md):

- `loader` (top level): the loader proper, miner files into the raw schema;
- `resi.database`: the connection, the embedded server, connection URIs;
- `resi.reporting`: what the marts say, on the terminal (summary, alerts);
- `resi.simulation`: a simulated miner network for demos, tests and benchmarks;
- `resi.cli`: the `resi` command, thin on top of them all.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

try:
    __version__ = version("resi-unified")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
