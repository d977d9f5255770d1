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
from typing import Any, Final

import attrs

from siapkerja_core.converter import converter
from siapkerja_core.profile import Profile

__all__ = ["ProfileDocuments"]

_UNSET: Final = object()


def _optional_of(kind: Any) -> Any:
    """``X`` of ``X | None`` (``None`` for any other type)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(args) == 1 and len(typing.get_args(kind)) == 2:
            return args[0]
    return None


def _field_hook(kind: Any) -> Callable[[Any], Any]:
    inner = _optional_of(kind)
    if inner is None:
        return converter.get_unstructure_hook(kind)
    hooks: dict[type, Callable[[Any], Any]] = {}

    def optional(value: Any) -> Any:
        if value is None:
            return None
        cls = value.__class__
        hook = hooks.get(cls)
        if hook is None:  # as cattrs' optional hook: by the value's own class
            hook = hooks[cls] = converter.get_unstructure_hook(cls)
        return hook(value)

    return optional


class ProfileDocuments:
    """``converter.unstructure(profile)`` for the profiles of one import run (see the
    module docstring): one per run, not shared between threads."""

    __slots__ = ("_last", "_plan")

    def __init__(self) -> None:
        fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(Profile)
        self._plan = [
            (field.name, _field_hook(field.type), index) for index, field in enumerate(fields)
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
