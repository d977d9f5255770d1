"""Settings resolution: profiles, precedence, value checks, and the TOML file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siapkerja_adapters import connect
from siapkerja_adapters.connect import read_config_file
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.settings import (
    MIN_SECRET_BYTES,
    PROFILES,
    Settings,
    check_secret,
    resolve_settings,
)

# --- profiles -------------------------------------------------------------------------


def test_default_profile() -> None:
    settings = resolve_settings(None)
    assert (settings.storage, settings.sms, settings.dukcapil, settings.ratelimit) == (
        "sql",
        "console",
        "offline",
        "storage",
    )
    assert settings.database_url is None  # the sql adapter's default: ./siapkerja.sqlite3
    assert dict(settings.extra) == {}
    assert settings.profile == "default"
    assert resolve_settings("default") == settings
    assert not settings.is_explicit("sms")


def test_memory_profile() -> None:
    settings = resolve_settings("memory")
    assert (settings.storage, settings.sms, settings.dukcapil, settings.ratelimit) == (
        "memory",
        "memory",
        "offline",
        "memory",
    )


@pytest.mark.parametrize("profile", ["sqlite", "", "prod"])
def test_unknown_profile(profile) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(profile)
    assert info.value.full_code == "config.invalid"
    assert info.value.params["name"] == "profile"
    assert "default, memory" in info.value.message_en


def test_connect_refuses_an_unknown_profile() -> None:
    with pytest.raises(ConfigurationError, match="profile"):
        connect("sqlite", environ={}, load_entrypoints=False)


# --- precedence -----------------------------------------------------------------------


def test_precedence_kwargs_over_env_over_file_over_profile() -> None:
    settings = resolve_settings(
        "memory",
        kwargs={"sms": "from_kwargs"},
        environ={"SIAPKERJA_SMS": "from_env", "SIAPKERJA_DUKCAPIL": "from_env"},
        file_values={"sms": "from_file", "dukcapil": "from_file", "storage": "from_file"},
    )
    assert settings.sms == "from_kwargs"
    assert settings.dukcapil == "from_env"
    assert settings.storage == "from_file"
    assert settings.ratelimit == "memory"
    assert dict(settings.sources) == {
        "sms": "kwargs",
        "dukcapil": "env",
        "storage": "file",
        "ratelimit": "profile",
        "email": "profile",
    }
    assert [settings.is_explicit(k) for k in ("sms", "dukcapil", "storage", "ratelimit")] == [
        True,
        True,
        True,
        False,
    ]


LAYERS = ("file", "env", "kwargs")


@given(present=st.sets(st.sampled_from(LAYERS)), key=st.sampled_from(["sms", "residents_csv"]))
def test_highest_present_layer_wins(present, key) -> None:
    env_name = f"SIAPKERJA_{key.upper()}"
    settings = resolve_settings(
        "memory",
        kwargs={key: "kwargs"} if "kwargs" in present else {},
        environ={env_name: "env"} if "env" in present else {},
        file_values={key: "file"} if "file" in present else {},
    )
    winner = max(present, key=LAYERS.index) if present else None
    expected = winner if winner else PROFILES["memory"].get(key)
    assert settings.get(key) == expected


def test_extra_keys_and_get() -> None:
    settings = resolve_settings(
        kwargs={"dukcapil_residents": Path("people.csv"), "otp_digits": 6, "strict": True},
        environ={
            "SIAPKERJA_SMS_HTTP_URL": "http://127.0.0.1:9/",
            "PATH": "/bin",
            "SIAPKERJAX": "1",
        },
    )
    assert dict(settings.extra) == {
        "dukcapil_residents": "people.csv",
        "otp_digits": "6",
        "strict": "true",
        "sms_http_url": "http://127.0.0.1:9/",
    }
    assert settings.get("sms") == "console"
    assert settings.get("otp_digits") == "6"
    assert settings.get("missing") is None
    assert settings.get("missing", "fallback") == "fallback"
    assert settings.get("database_url", "none") == "none"


def test_loader_variables_and_empty_values_are_not_settings() -> None:
    settings = resolve_settings(
        environ={"SIAPKERJA_CONFIG": "x.toml", "SIAPKERJA_PLUGINS": "a", "SIAPKERJA_SMS": ""},
        kwargs={"dukcapil": None},
    )
    assert dict(settings.extra) == {}
    assert settings.sms == "console"
    assert settings.dukcapil == "offline"


def test_adapter_names_are_folded_and_checked() -> None:
    assert resolve_settings(environ={"SIAPKERJA_SMS": " Console "}).sms == "console"
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(environ={"SIAPKERJA_SMS": "my-gateway"})
    assert info.value.params["name"] == "sms"
    assert "SIAPKERJA_SMS" in info.value.message_en


@pytest.mark.parametrize(
    "url",
    ["sqlite:///siapkerja.db", "sqlite://", "postgresql+psycopg://u:p@127.0.0.1:5432/test"],
)
def test_database_url_accepted(url) -> None:
    assert resolve_settings(kwargs={"database_url": url}).database_url == url


@pytest.mark.parametrize("url", ["siapkerja.db", "/var/db.sqlite", "://x", "postgres ql://x"])
def test_database_url_refused(url) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(file_values={"database_url": url})
    assert info.value.params["name"] == "database_url"


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"dukcapil": {"residents": "x"}}, "dukcapil"),
        ({"keys": ["a", "b"]}, "keys"),
        ({"bad-key": "x"}, "bad-key"),
    ],
)
def test_malformed_file_values(values, name) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(file_values=values)
    assert info.value.code == "invalid"
    assert info.value.params["name"] == name


def test_repr_hides_secrets_and_equality_ignores_provenance() -> None:
    settings = resolve_settings(
        kwargs={"database_url": "postgresql://siap:hunter2@db/test", "sms_api_token": "t0ps3cret"}
    )
    shown = repr(settings)
    assert "hunter2" not in shown
    assert "t0ps3cret" not in shown
    assert "postgresql://siap:***@db/test" in shown
    direct = Settings(
        storage="sql",
        sms="console",
        dukcapil="offline",
        ratelimit="storage",
        database_url="postgresql://siap:hunter2@db/test",
        extra={"sms_api_token": "t0ps3cret"},
    )
    assert direct == settings
    assert direct.is_explicit("sms")


def test_settings_validate_when_built_directly() -> None:
    with pytest.raises(ConfigurationError):
        Settings(storage="Bad Name", sms="console", dukcapil="offline", ratelimit="storage")
    with pytest.raises(ConfigurationError):
        Settings(
            storage="memory", sms="console", dukcapil="offline", ratelimit="x", extra={"sms": "y"}
        )
    settings = Settings(storage="memory", sms="console", dukcapil="offline", ratelimit="x")
    with pytest.raises(TypeError):
        settings.extra["new"] = "value"  # type: ignore[index]


# --- the TOML file --------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "siapkerja.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_at_top_level(tmp_path) -> None:
    path = write(tmp_path, 'sms = "memory"\nretries = 3\ndebug = true\n')
    assert read_config_file(path) == {"sms": "memory", "retries": 3, "debug": True}
    svc = connect(config=path, environ={}, load_entrypoints=False)
    assert svc.settings.sms == "memory"
    assert svc.settings.sources["sms"] == "file"
    assert svc.settings.get("retries") == "3"
    assert svc.settings.get("debug") == "true"


def test_toml_under_a_siapkerja_table(tmp_path) -> None:
    path = write(
        tmp_path,
        '[siapkerja]\nsms = "memory"\ndukcapil_residents = "r.csv"\n\n[tool.other]\nx = 1\n',
    )
    assert read_config_file(path) == {"sms": "memory", "dukcapil_residents": "r.csv"}


def test_toml_keys_beside_the_table_are_ambiguous(tmp_path) -> None:
    path = write(tmp_path, 'sms = "console"\n[siapkerja]\nsms = "memory"\n')
    with pytest.raises(ConfigurationError) as info:
        read_config_file(path)
    assert info.value.code == "file"
    assert "sms" in info.value.params["reason"]


def test_toml_siapkerja_must_be_a_table(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="table"):
        read_config_file(write(tmp_path, 'siapkerja = "yes"\n'))


def test_bad_toml(tmp_path) -> None:
    path = write(tmp_path, "sms = \n")
    with pytest.raises(ConfigurationError) as info:
        read_config_file(path)
    assert info.value.full_code == "config.file"
    assert info.value.params["path"] == str(path)
    assert "TOML" in info.value.params["reason"]


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(ConfigurationError) as info:
        connect(config=tmp_path / "absent.toml", environ={}, load_entrypoints=False)
    assert info.value.code == "file"
    with pytest.raises(ConfigurationError) as info:
        read_config_file(tmp_path)
    assert info.value.code == "file"


def test_config_file_from_environment_and_override(tmp_path) -> None:
    from_env = write(tmp_path, 'sms = "memory"\n')
    other = tmp_path / "other.toml"
    other.write_text('sms = "console"\n', encoding="utf-8")
    environ = {"SIAPKERJA_CONFIG": str(from_env)}
    assert connect(environ=environ, load_entrypoints=False).settings.sms == "memory"
    assert connect(config=other, environ=environ, load_entrypoints=False).settings.sms == "console"
    # Environment beats the file, keyword arguments beat both.
    environ_sms = {**environ, "SIAPKERJA_SMS": "console"}
    assert connect(environ=environ_sms, load_entrypoints=False).settings.sms == "console"
    assert (
        connect(environ=environ_sms, load_entrypoints=False, sms="memory").settings.sms == "memory"
    )
    # An empty SIAPKERJA_CONFIG means no file.
    assert (
        connect(environ={"SIAPKERJA_CONFIG": ""}, load_entrypoints=False).settings.sms == "console"
    )


# --- typed accessors ----------------------------------------------------------------------------


def _with(**extra: str) -> Settings:
    return Settings(
        storage="memory", sms="memory", dukcapil="offline", ratelimit="memory", extra=extra
    )


def _invalid(call, name: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        call()
    assert caught.value.full_code == "config.invalid"
    assert caught.value.params["name"] == name
    return str(caught.value.params["reason"])


def test_get_str_strips_and_treats_blank_as_unset() -> None:
    settings = _with(a="  x  ", blank="   ")
    assert settings.get_str("a") == "x"
    assert settings.get_str("blank") is None
    assert settings.get_str("blank", "d") == "d"
    assert settings.get_str("missing", "d") == "d"
    assert settings.require_str("a") == "x"
    assert _invalid(lambda: settings.require_str("blank", reason="needed here"), "blank") == (
        "needed here"
    )


def test_get_int_within_bounds() -> None:
    settings = _with(n=" 7 ", low="0", word="many", blank="")
    assert settings.get_int("n", 1, minimum=1, maximum=10) == 7
    assert settings.get_int("blank", 3) == 3
    assert settings.get_int("missing", None) is None
    reason = _invalid(lambda: settings.get_int("low", 1, minimum=1, maximum=10), "low")
    assert reason == "expected a whole number 1-10, got '0'"
    assert ">= 1" in _invalid(lambda: settings.get_int("word", 1, minimum=1), "word")


def test_get_float_and_get_duration() -> None:
    settings = _with(t="0.5", zero="0", inf="inf", age="90")
    assert settings.get_float("t", 1.0, minimum=0.001) == 0.5
    assert _invalid(lambda: settings.get_float("zero", 1.0, above=0.0), "zero").startswith(
        "expected a number > 0"
    )
    _invalid(lambda: settings.get_float("inf", 1.0), "inf")
    assert settings.get_duration("age", timedelta(minutes=5)) == timedelta(seconds=90)
    assert settings.get_duration("missing", timedelta(minutes=5)) == timedelta(minutes=5)
    _invalid(
        lambda: settings.get_duration("zero", timedelta(1), minimum=timedelta(seconds=1)), "zero"
    )


def test_get_bool_and_get_choice() -> None:
    settings = _with(yes="Yes", off="off", maybe="maybe", mode=" Auto ")
    assert settings.get_bool("yes", False) is True
    assert settings.get_bool("off", True) is False
    assert settings.get_bool("missing", True) is True
    assert _invalid(lambda: settings.get_bool("maybe", True), "maybe") == (
        "expected true or false, got 'maybe'"
    )
    assert settings.get_choice("mode", "x", ("auto", "true", "false")) == "auto"
    assert _invalid(
        lambda: settings.get_choice("maybe", "auto", ("auto", "true", "false")), "maybe"
    ) == ("expected auto, true or false, got 'maybe'")


def test_the_secret_length_rule_lives_in_one_place() -> None:
    short = "x" * (MIN_SECRET_BYTES - 1)
    assert check_secret("secret_key", "x" * MIN_SECRET_BYTES) == "x" * MIN_SECRET_BYTES
    assert "16 random bytes" in _invalid(lambda: check_secret("secret_key", short), "secret_key")
    assert _with(secret_key="k" * 32).get_secret("secret_key") == "k" * 32
    assert _with().get_secret("secret_key") is None
    _invalid(lambda: _with(secret_key=short).get_secret("secret_key"), "secret_key")
