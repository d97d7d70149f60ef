"""resi-unified: land RESI miner Parquet uploads in PostgreSQL for dbt."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
