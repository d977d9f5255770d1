"""The stored document of a new account's profile, unstructured field by field.

``profile_row`` seals ``converter.unstructure(profile)``: cattrs' generated
function for :class:`~siapkerja_core.profile.Profile` runs each field's hook,
and for every optional section (``Address | None``, ``Photo | None``) it goes
through cattrs' dispatch on the value's class first. An import's new profiles
share most of their sections with the scratch profile they were checked on
(the empty tuples, the stakeholder, the default visibility…): the same
objects, row after row.

:class:`ProfileDocuments` makes the same ``dict``: each field through the
hook cattrs would end up in (the optional ones: ``None``, or the hook of the
value's class), in the same order, and a field whose value is the very
object it unstructured last time (profile sections are frozen) takes that
result again. ``tests/unit/test_bulk_document.py`` holds it equal to
``unstructure`` — the same JSON bytes — on generated profiles and on imports.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Final, cast

import attrs

from siapkerja_core.converter import converter
from siapkerja_core.profile import Address, Contact, Education, Photo, Profile, Skill

__all__ = ["ProfileDocuments"]

_UNSET: Final = object()


_PLAIN: Final = frozenset({str, int, float, bool})
"""Classes cattrs unstructures as themselves (its ``identity`` hook)."""
_FAST_RECORDS: Final = (Address, Contact, Education, Photo, Skill)
"""Sections unstructured here field by field: cattrs' generated function with no
override (``Biodata`` has one: its ``employment_status`` is left out when unset)."""


def _optional_of(kind: Any) -> Any:
    """``X`` of ``X | None`` (``None`` for any other type)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = typing.get_args(kind)
        if len(args) == 2 and type(None) in args:
            return next(arg for arg in args if arg is not type(None))
    return None


def _as_class(value: Any) -> Any:
    """What cattrs' hook of ``X | None`` does with a value: its own class's hook."""
    return converter.unstructure(value, unstructure_as=value.__class__)


def _record_hook(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """cattrs' generated unstructure function of ``cls`` (no override), without its
    dispatch on each optional field: a plain value (``str``, ``int``…) is itself.

    Written out as one ``dict`` display for the class (``exec`` of generated
    source): the same keys in the same order as a loop over the fields would
    give, without the loop's own work on every field of every record.
    """
    namespace: dict[str, Any] = {"_PLAIN": _PLAIN, "_as_class": _as_class}
    prelude: list[str] = []
    items: list[str] = []
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    for index, field in enumerate(fields):
        inner = _optional_of(field.type)
        item = f"value.{field.name}"
        if field.type in _PLAIN:
            pass  # identity, whatever the value
        elif inner in _PLAIN:  # None, a plain value, or its class's
            local = f"v{index}"
            prelude.append(f"    {local} = {item}")
            item = (
                f"{local} if {local} is None or {local}.__class__ in _PLAIN else _as_class({local})"
            )
        else:
            hook = f"h{index}"
            namespace[hook] = converter.get_unstructure_hook(field.type)
            item = f"{hook}({item})"
        items.append(f"        {field.name!r}: {item},")
    source = "\n".join(["def unstructure(value):", *prelude, "    return {", *items, "    }"])
    code = compile(source, f"<record document {cls.__name__}>", "exec")  # named for profiles
    exec(code, namespace)  # noqa: S102 (our own source, from attrs field names)
    return cast("Callable[[Any], dict[str, Any]]", namespace["unstructure"])


def _field_hook(kind: Any, records: dict[type, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """The hook of a profile field: a section of :data:`_FAST_RECORDS` (alone, optional
    or a tuple of them) by :func:`_record_hook`, anything else by cattrs' own."""
    if kind in records:
        return records[kind]
    inner = _optional_of(kind)
    if inner in records:
        record = records[inner]

        def optional(value: Any) -> Any:
            if value is None:
                return None
            if value.__class__ is inner:
                return record(value)
            return _as_class(value)

        return optional
    if typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis and args[0] in records:
            record, cls = records[args[0]], args[0]
            generic = converter.get_unstructure_hook(kind)

            def sequence(value: Any) -> Any:
                if value.__class__ is tuple and all(item.__class__ is cls for item in value):
                    return [record(item) for item in value]
                return generic(value)

            return sequence
    hook = converter.get_unstructure_hook(kind)
    if inner is None:
        return hook
    hooks: dict[type, Callable[[Any], Any]] = {}

    def by_class(value: Any) -> Any:
        if value is None:
            return None
        cls = value.__class__
        found = hooks.get(cls)
        if found is None:  # as cattrs' optional hook: by the value's own class
            found = hooks[cls] = converter.get_unstructure_hook(cls)
        return found(value)

    return by_class


class ProfileDocuments:
    """``converter.unstructure(profile)`` for the profiles of one import run (see the
    module docstring): one per run, not shared between threads."""

    __slots__ = ("_last", "_plan")

    def __init__(self) -> None:
        records: dict[type, Callable[[Any], Any]] = {
            cls: _record_hook(cls) for cls in _FAST_RECORDS
        }
        fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(Profile)
        self._plan = [
            (field.name, _field_hook(field.type, records), index)
            for index, field in enumerate(fields)
        ]
        self._last: list[tuple[Any, Any]] = [(_UNSET, None)] * len(self._plan)

    def __call__(self, profile: Profile) -> dict[str, Any]:
        if profile.__class__ is not Profile:
            return converter.unstructure(profile)  # type: ignore[no-any-return]
        last = self._last
        document: dict[str, Any] = {}
        for name, hook, index in self._plan:
            value = getattr(profile, name)
            seen, made = last[index]
            if seen is not value:
                made = hook(value)
                last[index] = (value, made)
            document[name] = made
        return document
