"""``siapkerja worker``: deliver the durable SMS outbox from a process of its own.

Run one or more next to ``siapkerja serve`` started with ``sms_dispatch =
"worker"`` (or beside the serving process's own thread: claims never
overlap). Each worker claims due messages in batches under a lease, sends them
and records the outcome (:func:`~siapkerja_adapters.dispatch.run_worker`);
on PostgreSQL several workers claim disjoint batches (``FOR UPDATE SKIP
LOCKED``), on SQLite claims are serialised by the write lock. A worker killed
mid-batch leaves its messages claimed until the lease runs out; then another
worker sends them, with the same idempotency key. ``SIGTERM`` or Ctrl-C stops
it after the message in flight.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Annotated

import typer

from siapkerja_adapters.cli.common import ConfigOption, open_service
from siapkerja_adapters.dispatch import run_worker

__all__ = ["worker"]


def worker(
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=10_000, help="Messages claimed at a time.")
    ] = 50,
    lease: Annotated[
        float,
        typer.Option(
            "--lease",
            min=0.1,
            help="Seconds a claimed message stays this worker's before another may take it.",
        ),
    ] = 120.0,
    poll: Annotated[
        float, typer.Option("--poll", min=0.01, help="Seconds between looks when idle.")
    ] = 1.0,
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due, then exit (cron, tests).")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Deliver the SMS outbox (codes, notices) until stopped.

    Kirim pesan SMS yang menunggu di outbox sampai dihentikan.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    svc = open_service(
        "worker",
        config,
        memory_warning=(
            "siapkerja worker: storage 'memory' is this process's own: there is nothing to"
            " deliver. Set SIAPKERJA_STORAGE=sql and SIAPKERJA_DATABASE_URL."
        ),
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"siapkerja worker: delivering the SMS outbox (batch {batch}, lease {lease:g}s)")
    report = run_worker(
        svc, batch=batch, lease=timedelta(seconds=lease), poll=poll, once=once, stop=stop
    )
    typer.echo(
        f"siapkerja worker: {report.sent} sent, {report.retried} to retry,"
        f" {report.failed} given up, {report.dropped} dropped"
    )
