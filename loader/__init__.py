"""The loader: every miner Parquet file of a bucket or folder into the raw schema, exactly
once (discovery → paths → reading → copying, with the manifest; `load` runs them and
`command` is `resi load`). See docs/architecture.md."""
