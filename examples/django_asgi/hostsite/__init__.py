"""A minimal Django project hosting the SIAPkerja-ID pages under ``/siapkerja/`` (ASGI)."""
