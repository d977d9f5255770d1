"""Every SiapkerjaError in siapkerja_core: bilingual messages, stable codes, pickling.

The error classes are discovered, not listed: every ``siapkerja_core``
submodule is imported and ``SiapkerjaError.__subclasses__()`` walked, so a new
error class is checked the day it is added.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import string

import pytest

import siapkerja_core
from siapkerja_core.errors import SiapkerjaError


def _import_everything() -> dict[str, str]:
    """Import every submodule; the ones that fail, with why (see the test below)."""
    failures: dict[str, str] = {}
    for module in pkgutil.walk_packages(
        siapkerja_core.__path__,
        "siapkerja_core.",
        onerror=lambda name: failures.setdefault(name, "package failed"),
    ):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # reported by test_every_submodule_imports
            failures[module.name] = f"{type(error).__name__}: {error}"
    return failures


def _subclasses(cls: type[SiapkerjaError]) -> list[type[SiapkerjaError]]:
    found: list[type[SiapkerjaError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


IMPORT_FAILURES = _import_everything()
ERROR_CLASSES = sorted(
    set(_subclasses(SiapkerjaError)), key=lambda c: (c.__module__, c.__qualname__)
)
CASES = [(cls, code) for cls in ERROR_CLASSES for code in cls.messages]


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def _params(cls: type[SiapkerjaError], code: str) -> dict[str, object]:
    """A value for every placeholder of the code's two templates, a number of its own each
    (a message made only of placeholders, ``{label_id}: {reason_id}`` / ``{label_en}:
    {reason}``, still reads differently in the two languages)."""
    id_template, en_template = cls.messages[code]
    names = sorted(_fields(id_template) | _fields(en_template))
    return {name: 7 + index for index, name in enumerate(names)}


def _case_id(case: tuple[type[SiapkerjaError], str]) -> str:
    cls, code = case
    return f"{cls.__qualname__}.{code}"


def test_every_submodule_imports() -> None:
    # an unimportable module would hide its error classes from the checks below
    assert IMPORT_FAILURES == {}


def test_the_known_error_classes_are_discovered() -> None:
    names = {cls.__qualname__ for cls in ERROR_CLASSES}
    assert {"InvalidNik", "ConfigurationError", "UnknownAdapter"} <= names
    assert all(issubclass(cls, Exception) for cls in ERROR_CLASSES)


def test_every_error_class_has_a_domain_and_messages() -> None:
    for cls in ERROR_CLASSES:
        assert cls.domain, cls
        assert cls.domain != SiapkerjaError.domain, cls
        assert cls.domain.isidentifier(), cls
        assert cls.domain == cls.domain.lower(), cls
        # A class without codes is the base owning a domain its subclasses share.
        assert cls.messages or cls.__subclasses__(), cls


def test_full_codes_are_unique_across_classes() -> None:
    owners: dict[str, object] = {}
    for cls in ERROR_CLASSES:
        catalogue = next(k for k in cls.__mro__ if "messages" in vars(k))
        for code in cls.messages:
            full = f"{cls.domain}.{code}"
            owner = owners.setdefault(full, catalogue)
            assert owner is catalogue, f"{full} defined by {owner} and {catalogue}"


@pytest.mark.parametrize(("cls", "code"), CASES, ids=list(map(_case_id, CASES)))
def test_templates_are_bilingual(cls: type[SiapkerjaError], code: str) -> None:
    assert code.isidentifier()
    assert code == code.lower()
    id_template, en_template = cls.messages[code]
    assert id_template.strip()
    assert en_template.strip()
    assert id_template != en_template


@pytest.mark.parametrize(("cls", "code"), CASES, ids=list(map(_case_id, CASES)))
def test_rendered_error(cls: type[SiapkerjaError], code: str) -> None:
    params = _params(cls, code)
    error = cls(code, **params)
    assert error.code == code
    assert error.full_code == f"{cls.domain}.{code}"
    assert dict(error.params) == params
    assert error.message_id.strip()
    assert error.message_en.strip()
    assert error.message_id != error.message_en
    assert "{" not in error.message_id.replace("{{", "")
    assert "{" not in error.message_en.replace("{{", "")
    assert error.message("id") == error.message_id
    assert error.message("en") == error.message_en
    assert error.message("EN-us") == error.message_en
    assert error.message("fr") == error.message_id
    text = str(error)
    assert text == f"[{cls.domain}.{code}] {error.message_id} / {error.message_en}"
    assert error.message_id in text
    assert error.message_en in text


@pytest.mark.parametrize(("cls", "code"), CASES, ids=list(map(_case_id, CASES)))
def test_errors_pickle_round_trip(cls: type[SiapkerjaError], code: str) -> None:
    error = cls(code, **_params(cls, code))
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(again) is cls
    assert again.code == code
    assert dict(again.params) == dict(error.params)
    assert again.full_code == error.full_code
    assert str(again) == str(error)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__qualname__)
def test_unknown_code_fails_loudly(cls: type[SiapkerjaError]) -> None:
    with pytest.raises(KeyError):
        cls("no_such_code_anywhere")


def test_errors_can_be_raised_and_caught_as_siapkerja_error() -> None:
    cls, code = CASES[0]
    with pytest.raises(SiapkerjaError) as caught:
        raise cls(code, **_params(cls, code))
    assert caught.value.full_code == f"{cls.domain}.{code}"
