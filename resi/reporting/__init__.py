"""What the marts say, on the terminal: `resi summary`, `resi alerts`."""
