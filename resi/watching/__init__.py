"""`resi watch` and `resi rebuild`: keep the database current as miners upload."""
