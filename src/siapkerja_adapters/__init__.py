"""siapkerja's adapters: the outside world behind the core's ports.

``connect()`` is the entry point; the adapters themselves are chosen by name
in settings and reached through the service facade it returns.
"""

from siapkerja_adapters.connect import connect

__all__ = ["connect"]
