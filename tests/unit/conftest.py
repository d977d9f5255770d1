"""Fixtures of the unit tests; the helpers live in ``journey_support``.

Test modules import helpers from ``journey_support`` — never ``from conftest
import``: another directory's ``conftest`` module may be the one Python finds
under that name, depending on collection order.
"""

from journey_support import clock, make_svc, recorder, svc

__all__ = ["clock", "make_svc", "recorder", "svc"]
