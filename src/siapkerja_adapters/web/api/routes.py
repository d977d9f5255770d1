"""The JSON API's operations as one FastAPI :class:`~fastapi.APIRouter` (under ``/v1``).

This module owns :func:`api_router`: the router every host gets, with the
API's route class (problem documents for every failure, bodies read under
the API's rules) and the ``Accept-Language`` parameter on every operation.
The operations themselves are in :mod:`.journey` (registration, sessions)
and :mod:`.holder` (the signed-in holder, scanning), :mod:`.admin` and
:mod:`.sso_clients` (administration) and the uses' modules; their bodies,
parameters, statuses and problem responses are the whole contract, and the
OpenAPI document is derived from them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from siapkerja_core.service import Siapkerja

from ..threads import WorkerThreads
from .admin import add_admin
from .aki import add_aki
from .classes import add_classes
from .common import accept_language
from .contacts import add_contacts
from .disputes import add_disputes
from .events import add_events
from .factors import add_factors
from .holder import add_holder
from .journey import add_journey
from .prefill import add_prefill
from .rights import add_rights
from .routing import route_class
from .sso_clients import add_sso_clients
from .status_list import add_status_list

__all__ = ["api_router"]


def api_router(
    svc: Siapkerja,
    threads: WorkerThreads | None = None,
    scan_threads: WorkerThreads | None = None,
) -> APIRouter:
    """The API's operations as a FastAPI router, paths under ``/v1``.

    Include it in a FastAPI application (``app.include_router(api_router(svc),
    prefix="/api")``) and the application's OpenAPI document lists the
    operations. Facade calls run in ``threads`` (a pool of its own if ``None``),
    scans in ``scan_threads`` (default: ``threads``).
    Failures are problem documents whatever the host's exception handlers.
    """
    pool = threads if threads is not None else WorkerThreads()
    router = APIRouter(
        prefix="/v1",
        route_class=route_class(svc, pool),
        dependencies=[Depends(accept_language)],
    )
    add_journey(router, svc, pool)
    add_holder(router, svc, pool, scan_threads)
    add_aki(router, svc, pool)
    add_admin(router, svc, pool)
    add_sso_clients(router, svc, pool)
    add_prefill(router, svc, pool)
    add_status_list(router, svc, pool)
    add_events(router, svc, pool)
    add_classes(router, svc, pool)
    add_factors(router, svc, pool)
    add_rights(router, svc, pool)
    add_disputes(router, svc, pool)
    add_contacts(router, svc, pool)
    return router
