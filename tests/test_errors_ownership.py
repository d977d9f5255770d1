"""Every error domain has one owner.

An error's code is ``<domain>.<code>`` (``nik.length``, ``card.not_issued``),
and its messages come from the catalogue of the class that defines the domain.
Two classes defining one domain would be two catalogues for one namespace of
codes, free to give one code two meanings. So each ``domain`` string is
defined (``domain = "…"`` in the class body) by exactly one
:class:`~siapkerja_core.errors.SiapkerjaError` subclass; subclasses that
inherit their parent's domain without restating it are fine.

Every module of both packages is imported first, so that no error class
escapes the count.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Iterable, Iterator

import siapkerja_adapters
import siapkerja_core
from siapkerja_core.errors import SiapkerjaError

PACKAGES = (siapkerja_core, siapkerja_adapters)
# Not imported: Alembic's script directory, run by Alembic (its env.py needs a migration context).
NOT_IMPORTED = ("siapkerja_adapters.sql.migrations",)

# Known offenders: domain -> the classes (module.qualname) that define it. None today:
# a domain shared by two kinds of error has one base class that owns it
# (``ProfileDomainError``), and subclasses inherit their parent's domain.
SHARED_DOMAINS_ALLOWED: dict[str, set[str]] = {}


def import_every_module() -> list[str]:
    """Import every module of both packages; their names."""
    names = []
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if info.name.startswith(NOT_IMPORTED):
                continue
            importlib.import_module(info.name)
            names.append(info.name)
    return names


def subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def domain_owners(classes: Iterable[type]) -> dict[str, set[str]]:
    """domain -> the classes that define it in their own body."""
    owners: dict[str, set[str]] = defaultdict(set)
    for cls in classes:
        if "domain" in vars(cls):
            owners[vars(cls)["domain"]].add(qualified(cls))
    return dict(owners)


def shared_domains(
    owners: dict[str, set[str]], allowed: dict[str, set[str]] = SHARED_DOMAINS_ALLOWED
) -> dict[str, set[str]]:
    """The domains defined by more than one class, beyond what ``allowed`` lets pass."""
    return {
        domain: classes
        for domain, classes in owners.items()
        if len(classes) > 1 and not classes <= allowed.get(domain, set())
    }


def the_library_errors() -> list[type]:
    import_every_module()
    return [
        cls
        for cls in {SiapkerjaError, *subclasses(SiapkerjaError)}
        if cls.__module__.startswith(tuple(p.__name__ + "." for p in PACKAGES))
    ]


def test_every_module_is_imported() -> None:
    names = import_every_module()
    assert {"siapkerja_core.errors", "siapkerja_adapters.web.problems"} <= set(names)


def test_every_error_domain_has_one_owner() -> None:
    owners = domain_owners(the_library_errors())
    assert {"nik", "token", "storage", "card", "siapkerja"} <= set(owners)  # the walk found them
    assert shared_domains(owners) == {}


def test_a_second_owner_of_a_domain_is_caught() -> None:
    class First(SiapkerjaError):
        domain = "ownership_test"

    class Second(SiapkerjaError):
        domain = "ownership_test"

    class Inheriting(First):  # takes First's domain without restating it: fine
        pass

    owners = domain_owners([First, Second, Inheriting])
    assert owners == {"ownership_test": {qualified(First), qualified(Second)}}
    assert shared_domains(owners) == owners
    assert shared_domains(domain_owners([First, Inheriting])) == {}


def test_an_allowed_pair_gains_no_third_owner() -> None:
    allowed = {"card": {"a.CardError", "b.CardError"}}
    owners = {"card": {*allowed["card"], "siapkerja_core.render.CardError"}}
    assert shared_domains(owners, allowed) == owners
    assert shared_domains({"card": allowed["card"]}, allowed) == {}
