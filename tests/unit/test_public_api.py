"""The public names of DESIGN.md §3 exist, import lazily, and stay stable."""

from __future__ import annotations

import subprocess
import sys

import pytest

import siapkerja_adapters
import siapkerja_core


def test_every_exported_name_resolves() -> None:
    for name in siapkerja_core.__all__:
        assert getattr(siapkerja_core, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        siapkerja_core.no_such_thing  # noqa: B018


def test_design_names() -> None:
    from siapkerja_core import InvalidNik, Nik, is_valid_nik, parse_nik

    assert callable(parse_nik)
    assert callable(is_valid_nik)
    assert issubclass(InvalidNik, siapkerja_core.SiapkerjaError)
    assert Nik.__module__ == "siapkerja_core.nik"
    assert siapkerja_adapters.__all__ == ["connect"]
    svc = siapkerja_adapters.connect("memory", environ={})
    for method in (
        "register",
        "submit_contact",
        "resend_otp",
        "change_phone",
        "confirm_otp",
        "login",
        "request_password_reset",
        "reset_password",
    ):
        assert callable(getattr(svc, method)), method
    for port in ("sms", "storage", "dukcapil"):
        assert hasattr(svc, port), port


def test_nik_import_stays_light() -> None:
    code = (
        "import sys, siapkerja_core; siapkerja_core.parse_nik('3171011708450001');"
        "heavy = [m for m in ('argon2', 'phonenumbers', 'email_validator', 'pluggy')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_the_type_checking_names_are_the_exported_names() -> None:
    """``__all__`` is derived from the run-time table; type checkers read the import block."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(siapkerja_core))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    typed = {
        alias.asname or alias.name
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed | {"regions"} == set(siapkerja_core.__all__)
