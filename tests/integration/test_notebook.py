"""docs/notebooks/journey.ipynb runs from top to bottom in a real Jupyter kernel.

The notebook is executed with nbclient in an IPython kernel (``ipykernel``) running
this interpreter, with this checkout's ``src`` first on its path. The test fails when
a cell errors (except the one tagged ``raises-exception``, which shows a refusal on
purpose) and checks what an analyst should see: the refusal as a few lines rather
than a traceback, the card as an image, the QR, the profile view with a thumbnail
and the ledger as a pandas DataFrame. The notebook is stored without outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebooks" / "journey.ipynb"


def test_the_notebook_is_stored_clean() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code"
    for cell in code:
        assert cell.outputs == [], "store the notebook without outputs"
        assert cell.execution_count is None
    source = "\n".join(cell.source for cell in code)
    assert 'connect("memory")' in source
    assert ".to_frame()" in source


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernelspec's "python" is replaced by this interpreter (jupyter_client);
    # PYTHONPATH puts this checkout's sources first, as pytest has them.
    path = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "JUPYTER_PLATFORM_DIRS": "1"}
    workdir = tmp_path_factory.mktemp("notebook")
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)  # raises CellExecutionError when an untagged cell fails
    return notebook


def outputs(notebook: nbformat.NotebookNode, needle: str) -> list[nbformat.NotebookNode]:
    """The outputs of the first code cell whose source contains ``needle``."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and needle in cell.source:
            return list(cell.outputs)
    raise AssertionError(f"no cell contains {needle!r}")


def data_of(notebook: nbformat.NotebookNode, needle: str) -> dict[str, object]:
    results = [o for o in outputs(notebook, needle) if o.output_type == "execute_result"]
    assert results, f"the cell with {needle!r} shows nothing"
    return dict(results[-1]["data"])


def test_only_the_tagged_cell_errors_and_it_is_short(executed: nbformat.NotebookNode) -> None:
    errors = [
        (cell, output)
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert len(errors) == 1
    cell, error = errors[0]
    assert "raises-exception" in cell.metadata.get("tags", [])
    assert error.ename == "RegistrationError"
    assert error.traceback[0] == "RegistrationError: [registration.mismatch]"
    assert any(line.startswith("  en: ") for line in error.traceback)
    assert "  fields: mother_name" in error.traceback
    assert len(error.traceback) <= 6  # the message, not the frames


def test_the_sms_code_was_read_and_the_account_made(executed: nbformat.NotebookNode) -> None:
    printed = "".join(o.text for o in outputs(executed, "last_to") if o.output_type == "stream")
    assert "OTP" in printed
    assert "Galih" in str(data_of(executed, "confirm_otp")["text/plain"])


def test_completeness_shows_a_bar(executed: nbformat.NotebookNode) -> None:
    after = data_of(executed, "update_profile(")
    assert "100%" in str(after["image/svg+xml"])


def test_the_card_and_the_qr_show_as_images(executed: nbformat.NotebookNode) -> None:
    card = data_of(executed, "issue_card")
    assert "image/png" in card
    assert str(card["image/svg+xml"]).startswith("<svg")
    qr = data_of(executed, "card_qr")
    assert "image/png" in qr
    assert "<svg" in str(qr["text/html"])


def test_the_holders_view_has_a_thumbnail_and_a_short_repr(executed: nbformat.NotebookNode) -> None:
    view = data_of(executed, "resolve(qr.url, account)")
    shown = str(view["text/html"])
    assert '<img src="data:image/jpeg;base64,' in shown
    assert len(shown) < 60_000
    assert "photo, " in str(view["text/plain"])
    assert len(str(view["text/plain"])) < 4000


def test_the_ledger_shows_as_a_table_and_a_frame(executed: nbformat.NotebookNode) -> None:
    table = str(data_of(executed, "access_log")["text/html"])
    assert '<table class="siapkerja-table">' in table
    assert "anonymous" in table
    frame = data_of(executed, "to_frame()")
    assert "dataframe" in str(frame["text/html"])  # pandas' own HTML table
    dtypes = str(data_of(executed, "frame.dtypes")["text/plain"])
    assert "datetime64[ns, UTC]" in dtypes
