"""A missing extra is named: the setting that needs it, and ``pip install 'siapkerja[<extra>]'``.

The packages are hidden the way Python itself reports a missing one
(``sys.modules[name] = None`` makes ``import name`` raise ImportError); the
clean-venv test (``tests/integration/test_install.py``) checks the same error
with SQLAlchemy truly absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from siapkerja_adapters import connect
from siapkerja_adapters.extras import EXTRAS, MissingExtra, missing_extra, require_extra
from siapkerja_core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def test_the_default_storage_without_sqlalchemy_names_the_storage_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide(monkeypatch, "sqlalchemy")
    with pytest.raises(MissingExtra) as raised:
        connect(environ={}, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    error = raised.value
    assert isinstance(error, ConfigurationError)  # caught where configuration errors are
    assert error.full_code == "config.missing_extra"
    assert error.params["extra"] == "storage"
    assert error.params["module"] == "sqlalchemy"
    assert "pip install 'siapkerja[storage]'" in error.message_en
    assert "pip install 'siapkerja[storage]'" in error.message_id
    assert "storage = 'sql'" in error.message_en
    assert error.message_id != error.message_en
    assert "Pengaturan" in error.message_id
    assert "not installed" in error.message_en


def test_postgres_without_psycopg_names_the_postgres_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide(monkeypatch, "psycopg")
    with pytest.raises(MissingExtra) as raised:
        connect(environ={}, database_url="postgresql://nobody@127.0.0.1:1/none")
    assert raised.value.params["extra"] == "postgres"
    assert "database_url = 'postgresql'" in raised.value.message_en


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        # Before issue 17 a missing httpx surfaced as "sms_url is required", or as a
        # config.invalid in English only; now the extra is checked first and named.
        ({"sms": "http"}, "sms = 'http'"),
        ({"sms": "http", "sms_url": "https://gateway.example/send"}, "sms = 'http'"),
        ({"dukcapil": "http"}, "dukcapil = 'http'"),
    ],
)
def test_an_http_adapter_without_httpx_names_its_setting_and_the_http_extra(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], named: str
) -> None:
    hide(monkeypatch, "httpx")
    with pytest.raises(MissingExtra) as raised:
        connect("memory", environ={}, **settings)
    error = raised.value
    assert error.params["extra"] == "http"
    assert named in error.message_en
    assert named in error.message_id
    assert "pip install 'siapkerja[http]'" in error.message_en
    assert "dukcapil" not in error.message_en or named.startswith("dukcapil")


def test_redis_counters_without_redis_py_name_the_redis_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide(monkeypatch, "redis")
    with pytest.raises(MissingExtra) as raised:
        connect("memory", environ={}, ratelimit="redis")
    assert raised.value.params["extra"] == "redis"
    assert "ratelimit = 'redis'" in raised.value.message_en


def test_require_extra_returns_the_modules_when_they_are_there() -> None:
    json_module, tomllib_module = require_extra("x", "json", "tomllib", what_id="a", what_en="b")
    assert json_module.__name__ == "json"
    assert tomllib_module.__name__ == "tomllib"


def test_the_import_error_of_the_framework_helpers_names_the_extra() -> None:
    error = missing_extra("django", ModuleNotFoundError("no django", name="django"))
    assert isinstance(error, ImportError)
    assert error.name == "django"
    assert str(error).count("pip install 'siapkerja[django]'") == 2
    assert "tidak terpasang" in str(error)
    assert "is not installed" in str(error)


def test_every_extra_named_here_is_declared_in_pyproject() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = set(project["optional-dependencies"])
    assert set(EXTRAS) <= declared
    # The extras a user installs (not the project's own dev/bench/docs) all have a description.
    assert declared - set(EXTRAS) == {"all", "dev", "bench", "docs"}
