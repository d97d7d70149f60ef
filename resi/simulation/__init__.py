"""A simulated RESI miner network: a local bucket in the S3 layout, plus ground truth."""
