"""Fast constructors for frozen attrs value objects built on hot paths.

A frozen, slotted attrs class sets each field in ``__init__`` through
``object.__setattr__`` looked up per field — correct, and about twice the cost
of writing the slot descriptors directly. For the few objects the library
builds per NIK of a bulk import or per QR scan (:class:`~siapkerja_core.nik.Nik`,
:class:`~siapkerja_core.model.AccessRecord`), :func:`fast_constructor`
generates a keyword constructor that writes the slots directly.

Only for classes whose fields have no validator, converter or factory: the
generated constructor checks that, and takes every field as a required
keyword argument, so nothing is silently defaulted. Tests compare its
objects with ones built by ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

__all__ = ["fast_constructor"]

T = TypeVar("T")


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
    exec("\n".join(lines), namespace)  # noqa: S102 - code built from attrs field names only
    make: Callable[..., T] = namespace["make"]
    make.__doc__ = f"Build a {cls.__name__} without the frozen-__init__ overhead."
    return make
