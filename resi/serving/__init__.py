"""Answers for readers of the marts: query functions over a database connection."""
