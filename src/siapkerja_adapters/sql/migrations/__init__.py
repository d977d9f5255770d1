"""Alembic migrations of the SQL storage adapter (found by ``script_location``, no alembic.ini)."""
