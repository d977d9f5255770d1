"""Alembic revisions of the SQL storage adapter, oldest first."""
