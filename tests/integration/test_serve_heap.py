"""``siapkerja serve`` keeps a worker's start-up heap out of the collector's full passes.

Under load CPython's cyclic collector makes a full pass about every second,
and a pass over a freshly built application (every module, route, template
environment and region table) held the event loop for about a tenth of a
second: every request in flight waited that long (``benchmarks/README.md``).
``build_app`` — what each ``serve`` worker runs — ends with
:func:`~siapkerja_adapters.web.heap.freeze_startup_heap`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from siapkerja_adapters.cli import serve as serve_module
from siapkerja_adapters.web import heap


@pytest.fixture
def thawed() -> Iterator[None]:
    """Whatever a test froze is given back to the collector (the suite's own heap)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_start_up_heap_leaves_the_collectors_passes_and_later_garbage_still_goes(
    thawed: None,
) -> None:
    assert gc.get_freeze_count() == 0
    heap.freeze_startup_heap()
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # every module and object alive now
    _Cycle()  # made after: cyclic garbage the collector still finds
    assert gc.collect() >= 1
    # Nothing made after was frozen (frozen objects whose last reference went are freed).
    assert gc.get_freeze_count() <= frozen


def test_every_serve_worker_freezes_its_heap_once_its_app_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, thawed: None
) -> None:
    config = tmp_path / "siapkerja.toml"
    config.write_text(
        '[siapkerja]\nstorage = "memory"\nsms = "memory"\ndukcapil = "offline"\n',
        encoding="utf-8",
    )
    frozen: list[bool] = []
    monkeypatch.setattr(heap, "freeze_startup_heap", lambda: frozen.append(True))
    app = serve_module.build_app(dev=True, config=config, host="127.0.0.1", port=8000)
    assert frozen == [True]
    assert type(app.state.siapkerja.storage).__name__ == "MemoryStorage"  # the config was read
