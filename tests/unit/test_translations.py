"""The gettext catalogues: complete, compiled, overridable without code."""

from __future__ import annotations

import gettext
import importlib.util
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from siapkerja_core import translations
from siapkerja_core.translations import PACKAGED_DIRECTORY, Catalogues

ROOT = Path(__file__).resolve().parents[2]


def _script():  # scripts/catalogues.py, the tool the build and the maintainers use
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts" / "catalogues.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_packaged_catalogues_are_complete_and_agree_on_placeholders() -> None:
    script = _script()
    assert script.problems(PACKAGED_DIRECTORY) == []


def test_the_compiled_catalogues_are_those_of_the_sources() -> None:
    script = _script()
    for lang, po in script.po_files(PACKAGED_DIRECTORY):
        with po.with_suffix(".mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        expected = script.read(po)
        stale = {k for k, v in expected.items() if compiled.gettext(k) != v}
        assert not stale, f"{lang}: stale .mo; run 'python scripts/catalogues.py compile'"


def test_the_language_rule() -> None:
    assert translations.languages()[:2] == ("id", "en")
    assert translations.language("en-US") == "en"
    assert translations.language("EN") == "en"
    assert translations.language("id_ID") == "id"
    assert translations.language("fr") == "id"  # no catalogue: Indonesian
    assert translations.language(None) == "id"
    assert translations.language("") == "id"


def test_texts_in_both_languages_with_params() -> None:
    assert translations.text("login.submit", "id") != translations.text("login.submit", "en")
    assert translations.text("month.6", "id") == "Juni"
    assert translations.text("month.6", "en-GB") == "June"


def test_a_value_given_in_both_languages_is_named_by_each_template() -> None:
    params = {"path": "x.csv", "reason_id": "tidak ada", "reason_en": "not found"}
    assert "tidak ada" in translations.text("error.bulk.file", "id", **params)
    assert "not found" in translations.text("error.bulk.file", "en", **params)


def test_an_unknown_key_shows_itself_rather_than_failing() -> None:
    assert translations.text("no.such.key", "en") == "no.such.key"


def _compile(directory: Path, lang: str, messages: dict[str, str]) -> None:
    catalog = Catalog(locale=lang, domain="siapkerja")
    for key, value in messages.items():
        catalog.add(key, value)
    target = directory / lang / "LC_MESSAGES" / "siapkerja.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        write_mo(handle, catalog)


def test_a_deployer_rewords_a_text_and_adds_a_language_without_code(tmp_path: Path) -> None:
    _compile(tmp_path, "id", {"login.submit": "Masuk ke SIAPkerja"})
    _compile(tmp_path, "jv", {"login.submit": "Mlebu"})
    overridden = Catalogues([tmp_path])
    assert overridden.text("login.submit", "id") == "Masuk ke SIAPkerja"
    assert overridden.text("login.submit", "jv") == "Mlebu"
    assert overridden.languages == ("id", "en", "jv")
    # What the deployer left out comes from the packaged catalogues (Javanese: Indonesian).
    assert overridden.text("month.1", "jv") == "Januari"
    assert overridden.text("month.1", "en") == "January"


def test_use_directories_switches_the_process_wide_catalogues(tmp_path: Path) -> None:
    _compile(tmp_path, "en", {"login.submit": "Log in"})
    try:
        translations.use_directories([tmp_path])
        assert translations.text("login.submit", "en") == "Log in"
    finally:
        translations.use_directories([])
    assert translations.text("login.submit", "en") != "Log in"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_error_code_has_a_text(lang: str) -> None:
    from siapkerja_core.errors import SiapkerjaError

    def walk(cls: type[SiapkerjaError]):  # type: ignore[no-untyped-def]
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    missing = [
        f"error.{cls.domain}.{code}"
        for cls in walk(SiapkerjaError)
        for code in cls.__dict__.get("messages", {})
        if translations.text(f"error.{cls.domain}.{code}", lang) == f"error.{cls.domain}.{code}"
    ]
    assert missing == []


def test_a_plug_in_error_written_for_0_1_keeps_its_own_templates(tmp_path: Path) -> None:
    from siapkerja_core.errors import SiapkerjaError

    class GatewayError(SiapkerjaError):  # a third-party adapter's error, as 0.1 documented it
        domain = "acme_gateway"
        messages = {  # noqa: RUF012 - the 0.1 spelling under test
            "down": ("Gateway {name} mati.", "Gateway {name} is down."),
        }

    error = GatewayError("down", name="ACME")
    assert GatewayError.codes == frozenset({"down"})
    assert (error.message_id, error.message_en) == ("Gateway ACME mati.", "Gateway ACME is down.")
    assert error.message("en-US") == "Gateway ACME is down."
    assert dict(GatewayError.messages) == {
        "down": ("Gateway {name} mati.", "Gateway {name} is down.")
    }
    with pytest.raises(KeyError):
        GatewayError("other")
    # A deployer's catalogue still rewords it.
    _compile(tmp_path, "id", {"error.acme_gateway.down": "Layanan {name} sedang gangguan."})
    try:
        translations.use_directories([tmp_path])
        assert error.message_id == "Layanan ACME sedang gangguan."
        assert error.message_en == "Gateway ACME is down."
    finally:
        translations.use_directories([])
