"""The core's one code generator: straight-line functions for its hot paths.

Like attrs and cattrs, the core generates a few functions once per class
instead of looping over attributes on every call. All generated source goes
through :func:`_define`, built only from attrs field names and our own
templates — never from data.

* :func:`fast_constructor` — a keyword constructor of a frozen, slotted attrs
  class that writes the slot descriptors directly (about half the cost of the
  frozen ``__init__``), for the few objects built per NIK of a bulk import or
  per QR scan (:class:`~siapkerja_core.nik.Nik`,
  :class:`~siapkerja_core.records.AccessRecord`). Only for classes whose fields
  have no validator, converter or factory: it checks that, and takes every
  field as a required keyword argument, so nothing is silently defaulted.
* :func:`stored_builder` — rebuilds an attrs object from the dict
  :func:`siapkerja_core.converter.unstructure` wrote, without converters or
  validators (the stored-profile path of
  :func:`~siapkerja_core.converter.structure_stored_profile`).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Final, TypeVar, Union, cast, get_args, get_origin

import attrs

__all__ = ["NotStoredShape", "fast_constructor", "is_sequence_type", "stored_builder"]

T = TypeVar("T")
Leaves = Mapping[Any, Callable[[Any], Any]]
"""How each leaf type is rebuilt from its written form (see :func:`stored_builder`)."""


def _define(lines: list[str], namespace: dict[str, Any], name: str, filename: str) -> Any:
    """Compile the function ``name`` from ``lines`` in ``namespace`` and return it."""
    code = compile("\n".join(lines), filename, "exec")
    exec(code, namespace)  # noqa: S102 - our own templates and attrs field names only
    return namespace[name]


def is_sequence_type(t: object) -> bool:
    """``tuple[X, ...]`` or ``frozenset[X]``: the profile's collection types."""
    args = get_args(t)
    origin = get_origin(t)
    return (origin is tuple and len(args) == 2 and args[1] is Ellipsis) or (
        origin is frozenset and len(args) == 1
    )


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A keyword-only constructor of ``cls`` equal to ``cls(**fields)``, minus the overhead."""
    fields = attrs.fields(cast(Any, cls))
    for field in fields:
        if field.validator is not None or field.converter is not None or not field.init:
            raise TypeError(f"{cls.__name__}.{field.name} is validated or converted")
    names = [field.name for field in fields]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def make(*, {', '.join(names)}):", "    obj = _new(_cls)"]
    for index, name in enumerate(names):
        namespace[f"_set{index}"] = cls.__dict__[name].__set__
        lines.append(f"    _set{index}(obj, {name})")
    lines.append("    return obj")
    make: Callable[..., T] = _define(lines, namespace, "make", f"<fast {cls.__name__}>")
    make.__doc__ = f"Build a {cls.__name__} without the frozen-__init__ overhead."
    return make


# --- rebuilding stored objects ---------------------------------------------------


class NotStoredShape(Exception):
    """The data is not in the shape :func:`unstructure` writes: take the validating path."""


_MISSING: Final = object()


def _enum_member(enum_type: type[Enum]) -> Callable[[Any], Any]:
    """Member by value; an unknown value raises ``KeyError`` (the caller falls back)."""
    return {member.value: member for member in enum_type}.__getitem__


def _stored_value(t: Any, leaves: Leaves) -> Callable[[Any], Any] | None:
    """How a value of type ``t`` is rebuilt from its written form; ``None``: as written."""
    if t is str or t is int or t is bool:
        return None
    leaf = leaves.get(t)
    if leaf is not None:
        return leaf
    if isinstance(t, type) and issubclass(t, Enum):
        return _enum_member(t)
    if isinstance(t, type) and attrs.has(t):
        return stored_builder(t, leaves)
    origin, args = get_origin(t), get_args(t)
    if origin in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _stored_value(next(a for a in args if a is not type(None)), leaves)
        return None if inner is None else (lambda v: None if v is None else inner(v))
    if is_sequence_type(t):
        item = _stored_value(args[0], leaves)
        collect: Callable[[Any], Any] = origin
        return collect if item is None else (lambda v: collect(map(item, v)))
    raise TypeError(f"no stored-profile rule for {t!r}")  # pragma: no cover - a new type


def _stored_expression(t: Any, namespace: dict[str, Any], key: str, leaves: Leaves) -> str:
    """Python source rebuilding ``v`` (a written value of type ``t``); helpers go in ``namespace``.

    Optional values and sequences are written inline: a nested function call
    per attribute cost as much as the rest of the attribute's work.
    """
    origin, args = get_origin(t), get_args(t)
    if origin in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _stored_expression(
            next(a for a in args if a is not type(None)), namespace, key, leaves
        )
        return "v" if inner == "v" else f"(None if v is None else {inner})"
    if is_sequence_type(t):
        namespace[f"collect_{key}"] = origin
        item = _stored_value(args[0], leaves)
        if item is None:
            return f"collect_{key}(v)"
        namespace[f"item_{key}"] = item
        return f"collect_{key}(map(item_{key}, v))"
    convert = _stored_value(t, leaves)
    if convert is None:
        return "v"
    namespace[f"convert_{key}"] = convert
    return f"convert_{key}(v)"


def stored_builder(cl: type[Any], leaves: Leaves) -> Callable[[Any], Any]:
    """``cl`` from its written dict: each attribute set as stored, no converter or validator.

    Generated once per class as straight-line code (as attrs and cattrs
    generate theirs): a loop over the attributes cost as much again. It
    raises :class:`NotStoredShape` for anything but a ``dict`` whose keys are
    ``cl``'s attributes, and ``KeyError``/``ValueError``/``TypeError`` for a
    value that does not convert; the caller then takes the validating path.

    :param leaves: how a value of each leaf type (``date``, ``float`` …) is
        rebuilt from its written form; ``str``, ``int`` and ``bool`` are taken
        as written, enums by value, attrs classes by a nested builder.
    """
    attrs.resolve_types(cl)
    fields = attrs.fields(cl)
    namespace: dict[str, Any] = {
        "cl": cl,
        "new": object.__new__,
        "put": object.__setattr__,  # frozen classes: as attrs' own __init__ sets them
        "names": frozenset(a.name for a in fields),
        "Missing": _MISSING,
        "NotStored": NotStoredShape,
    }
    lines = [
        "def build(data):",
        "    if type(data) is not dict or not names.issuperset(data):",
        "        raise NotStored",
        "    obj = new(cl)",
    ]
    for index, attribute in enumerate(fields):
        name = attribute.name
        value = _stored_expression(attribute.type, namespace, str(index), leaves)
        default = attribute.default
        if default is attrs.NOTHING:
            missing = "raise NotStored"
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            namespace[f"factory_{index}"] = default.factory
            made = f"factory_{index}(obj)" if default.takes_self else f"factory_{index}()"
            missing = f"put(obj, {name!r}, {made})"
        else:
            namespace[f"default_{index}"] = default
            missing = f"put(obj, {name!r}, default_{index})"
        lines += [
            f"    v = data.get({name!r}, Missing)",
            f"    if v is Missing: {missing}",
            f"    else: put(obj, {name!r}, {value})",
        ]
    lines.append("    return obj")
    build: Callable[[Any], Any] = _define(
        lines, namespace, "build", f"<stored builder for {cl.__qualname__}>"
    )
    return build
