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

The worker also runs the erasure purge (``svc.rights.purge``, as ``siapkerja
rights purge`` does): at start and then hourly, what erasures kept is deleted
once its hold ended (``docs/rights.md``).

``--json`` makes its output JSON Lines: the start and the final report as one
object per line on standard output, the log records as one object per line on
standard error (``{"time", "level", "logger", "message"}``), for a log shipper.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Final

import typer

from siapkerja_adapters.cli.common import ConfigOption, JsonOption, open_service, print_json
from siapkerja_adapters.dispatch import run_worker

if TYPE_CHECKING:
    from siapkerja_core.service import Siapkerja

__all__ = ["PURGE_EVERY", "purge_loop", "worker"]

PURGE_EVERY: Final = 3600.0
"""Seconds between two runs of the erasure purge in a worker."""
logger = logging.getLogger("siapkerja.worker")


def purge_loop(
    svc: Siapkerja, stop: threading.Event, every: float = PURGE_EVERY, *, once: bool = False
) -> None:
    """Run ``svc.rights.purge()`` now and every ``every`` seconds until ``stop`` is set
    (``once``: one round only).

    A failure is logged and tried again at the next round: a purge that waits an
    hour is still within the retention table's terms.
    """
    while True:
        try:
            totals = svc.rights.purge()
        except Exception:
            logger.exception("rights purge failed; again in %ss", every)
        else:
            if totals.get("accounts"):
                logger.info("rights purge: %s", totals)
        if once or stop.wait(every):
            return


class JsonLineFormatter(logging.Formatter):
    """A log record as one JSON object per line (``worker --json``)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _logging(json_lines: bool) -> None:
    # Alembic names each of its own plug-ins at INFO as it loads them (25 lines a start):
    # noise for an operator; its migrations' lines stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not json_lines:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        return
    handler = logging.StreamHandler()  # standard error
    handler.setFormatter(JsonLineFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])


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
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Deliver the SMS outbox (codes, notices) until stopped.

    / Kirim pesan SMS yang menunggu di outbox sampai dihentikan. --json: JSON Lines
    (status on standard output, log records on standard error).
    """
    _logging(json_output)
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
    if json_output:
        print_json({"event": "start", "batch": batch, "lease": lease, "once": once})
    else:
        typer.echo(f"siapkerja worker: delivering the SMS outbox (batch {batch}, lease {lease:g}s)")
    if once:
        purge_loop(svc, stop, once=True)
    else:
        threading.Thread(
            target=purge_loop, args=(svc, stop), name="rights-purge", daemon=True
        ).start()
    report = run_worker(
        svc, batch=batch, lease=timedelta(seconds=lease), poll=poll, once=once, stop=stop
    )
    if json_output:
        print_json(
            {
                "event": "stopped",
                "sent": report.sent,
                "retried": report.retried,
                "failed": report.failed,
                "dropped": report.dropped,
            }
        )
        return
    typer.echo(
        f"siapkerja worker: {report.sent} sent, {report.retried} to retry,"
        f" {report.failed} given up, {report.dropped} dropped"
    )
