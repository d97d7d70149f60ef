"""The database in use: libpq variables, the embedded server."""
