"""A row's profile sections checked field by field, each distinct value once per import.

``converter.structure(value, Address)`` goes through cattrs' generated function
(the type hook of each field), then the class's ``__init__`` (each field's
converter, then every validator). For a register most of that work is the
same again and again: a kecamatan's village codes, ``"Jakarta"`` as a birth
place, ``"S1"``, ``"Universitas Indonesia"``, the same RT, GPA and years.
:class:`RecordCheck` does exactly what the two do, in the same order, but
remembers for each field the value a given input became once it passed that
field's own checks:

* a field's cattrs type hook and attrs converter are functions of the input
  alone, and so are the validators that do not look at the instance (the
  profile modules name that argument ``_instance``): their outcome for an
  input is remembered, keyed by the input's type and value (``1``, ``1.0``
  and ``True`` are different inputs). Only successes are remembered;
* every other validator (an education's end year against its start, a GPA
  required for a finished degree, an ESCO URI, a photo's declared type)
  runs on every object, after all fields are set, as attrs runs them;
* defaults are what ``__init__`` would make of them (a factory that takes
  the instance is called with it, as attrs calls it).

Anything it does not handle — a key the class does not have, a required key
missing, input of another shape — raises :class:`NotChecked`, and any check
that fails raises its own error; either way the caller goes the slow way
(``merge_profile``), which decides and names the error exactly as before.
``tests/unit/test_bulk_checked.py`` holds the two equal on valid and
invalid input.

Texts longer than :data:`_MEMO_TEXT` (streets are, at most, remembered; a
photo's bytes never are) and values that cannot be hashed are checked every
time; the memory of a run is cleared when it holds :data:`_MEMO_LIMIT`
values.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import attrs

from siapkerja_core.converter import converter
from siapkerja_core.profile import Address, Biodata, Education, Photo, Profile, Skill

__all__ = ["NotChecked", "RecordCheck", "SectionChecks", "copy_profile"]

_MEMO_LIMIT: Final = 1 << 16
"""Values remembered per record class before the memory is cleared."""
_MEMO_TEXT: Final = 200
"""Longer texts are checked every time rather than remembered (bytes always are)."""
_MISSING: Final = object()
_FACTORY: Final[Any] = type(attrs.Factory(list))
_new: Final = object.__new__
_put: Final = object.__setattr__


class NotChecked(Exception):
    """The fast check does not decide this input: the caller takes the slow way."""


def _validators(attribute: attrs.Attribute[Any]) -> list[Callable[..., None]]:
    validator = attribute.validator
    if validator is None:
        return []
    return list(getattr(validator, "_validators", (validator,)))


def _is_pure(validator: Callable[..., None]) -> bool:
    """A validator that never looks at the instance: a plain function whose first
    parameter is named ``_…`` (the profile modules' convention)."""
    if not inspect.isfunction(validator):
        return False
    first = next(iter(inspect.signature(validator).parameters), "")
    return first.startswith("_")


class _Field:
    __slots__ = (
        "attribute",
        "convert",
        "default",
        "factory",
        "hook",
        "impure",
        "memo",
        "name",
        "pure",
        "takes_self",
        "type",
    )

    def __init__(self, attribute: attrs.Attribute[Any]) -> None:
        if not attribute.init or attribute.alias != attribute.name:
            raise TypeError(f"{attribute.name}: not a plain keyword field")
        self.attribute = attribute
        self.name = attribute.name
        self.type = attribute.type
        self.hook = converter.get_structure_hook(attribute.type)
        self.convert = cast("Callable[[Any], Any] | None", attribute.converter)
        validators = _validators(attribute)
        self.pure = [v for v in validators if _is_pure(v)]
        self.impure = [v for v in validators if not _is_pure(v)]
        self.memo: dict[Any, Any] = {}
        """Input → value: a text by itself, anything else as ``(type, input)``."""
        default: Any = attribute.default
        self.factory: Callable[..., Any] | None = None
        self.takes_self = False
        self.default: Any = _MISSING
        if isinstance(default, _FACTORY):
            self.factory = default.factory
            self.takes_self = default.takes_self
        elif default is not attrs.NOTHING:
            self.default = default

    def made(self, raw: Any) -> Any:
        """What ``__init__`` stores for the input ``raw``, its instance-free checks passed."""
        value = self.hook(raw, self.type)
        if self.convert is not None:
            value = self.convert(value)
        for check in self.pure:
            check(None, self.attribute, value)
        return value

    def remembered(self, raw: Any) -> Any:
        """:meth:`made`, remembered for texts and hashable values, never for bytes."""
        memo = self.memo
        kind = raw.__class__
        if kind is str:
            value = memo.get(raw, _MISSING)
            if value is _MISSING:
                value = self.made(raw)
                if len(raw) <= _MEMO_TEXT:
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[raw] = value
            return value
        if kind is bytes:
            return self.made(raw)
        key = (kind, raw)
        try:
            value = memo.get(key, _MISSING)
        except TypeError:  # unhashable
            return self.made(raw)
        if value is _MISSING:
            value = self.made(raw)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = value
        return value

    def absent(self) -> Any:
        """What ``__init__`` stores when the key is not given (not for a factory that
        takes the instance): the default, converted, its instance-free checks passed.

        :raises NotChecked: the field is required (the slow way names it).
        """
        if self.factory is not None:
            return _converted(self, self.factory())
        if self.default is _MISSING:
            raise NotChecked
        value = self.memo.get(_MISSING, _MISSING)  # the default's own entry
        if value is _MISSING:
            value = self.memo[_MISSING] = _converted(self, self.default)
        return value


class RecordCheck:
    """``converter.structure(data, cls)`` for one attrs record class, remembering values.

    :raises NotChecked: input this does not decide (the slow way will).
    """

    def __init__(self, cls: type[Any]) -> None:
        if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
            raise TypeError(f"{cls.__name__} has an init hook")
        self.cls = cls
        self.fields = [_Field(attribute) for attribute in attrs.fields(cls)]
        if any(field.takes_self for field in self.fields[:-1]):
            raise TypeError(f"{cls.__name__}: a default that takes the instance comes last")
        self.plan = [(field.name, field, field.memo) for field in self.fields]
        self.names = frozenset(field.name for field in self.fields)
        self.late = [field for field in self.fields if field.impure or field.takes_self]
        self.check: Callable[[Any], Any] = _compiled(self)
        """What :meth:`__call__` does, as one function written out for this class."""

    def __call__(self, data: Any) -> Any:
        return self.check(data)


def _compiled(record: RecordCheck) -> Callable[[Any], Any]:
    """The check of ``record`` written out field by field (``exec`` of generated source).

    The same steps, in the same order, as a loop over :attr:`RecordCheck.plan`
    and :attr:`RecordCheck.late` would take (an input's class, then its memo,
    then the field's own checks; defaults; the checks that look at the
    instance last), without the loop's own work on every field of every row:
    unpacking the plan, looking up each field's memo, calling ``setattr``
    through a name. ``tests/unit/test_bulk_checked.py`` holds it equal to
    ``converter.structure``.
    """
    namespace: dict[str, Any] = {
        "_MISSING": _MISSING,
        "_new": _new,
        "_put": _put,
        "_converted": _converted,
        "Mapping": Mapping,
        "NotChecked": NotChecked,
        "cls": record.cls,
        "names": record.names,
    }
    lines = [
        "def check(data):",
        "    if data.__class__ is not dict and not isinstance(data, Mapping):",
        "        raise NotChecked",
        "    if not names.issuperset(data):",
        "        raise NotChecked  # a key the class does not have",
        "    get = data.get",
        "    obj = _new(cls)",
    ]
    for index, field in enumerate(record.fields):
        f, m, v = f"f{index}", f"m{index}", f"v{index}"
        namespace[f], namespace[m] = field, field.memo
        name = repr(field.name)
        lines += [
            f"    raw = get({name}, _MISSING)",
            "    if raw.__class__ is str:  # the common case inline: a text seen before",
            f"        {v} = {m}.get(raw, _MISSING)",
            f"        if {v} is _MISSING:",
            f"            {v} = {f}.remembered(raw)",
            f"        _put(obj, {name}, {v})",
            "    elif raw is not _MISSING:",
            f"        {v} = {f}.remembered(raw)",
            f"        _put(obj, {name}, {v})",
        ]
        if not field.takes_self:  # else set after the other fields, with the instance
            lines += [
                "    else:",
                f"        {v} = {m}.get(_MISSING, _MISSING)",
                f"        if {v} is _MISSING:",
                f"            {v} = {f}.absent()",
                f"        _put(obj, {name}, {v})",
            ]
    for field in record.late:
        index = record.fields.index(field)
        f, v, a = f"f{index}", f"v{index}", f"a{index}"
        namespace[a] = field.attribute
        name = repr(field.name)
        if field.takes_self:
            lines += [
                f"    if {name} not in data:",
                f"        _put(obj, {name}, _converted({f}, {f}.factory(obj)))",
                f"    {v} = obj.{field.name}",
            ]
        for number, impure in enumerate(field.impure):
            c = f"c{index}_{number}"
            namespace[c] = impure
            lines.append(f"    {c}(obj, {a}, {v})")
    lines.append("    return obj")
    # Named after the class, so a profile tells the record checks apart.
    code = compile("\n".join(lines), f"<record check {record.cls.__name__}>", "exec")
    exec(code, namespace)  # noqa: S102 (our own source, from attrs field names)
    return cast("Callable[[Any], Any]", namespace["check"])


def _converted(field: _Field, value: Any) -> Any:
    """A default as ``__init__`` stores it: converted, its instance-free checks passed."""
    if field.convert is not None:
        value = field.convert(value)
    for check in field.pure:
        check(None, field.attribute, value)
    return value


_SEQUENCE: Final = (list, tuple)


class SectionChecks:
    """The record checks of one import run, and a profile's sections put together.

    :meth:`section` is ``converter.structure(value, <the section's type>)`` for
    the sections an AK/I row fills; :meth:`profile` is ``attrs.evolve(base,
    **sections)`` for sections it made. Both raise :class:`NotChecked` (or the
    failing check's error) where the caller must take the slow way.
    """

    def __init__(self) -> None:
        self.records = {
            cls: RecordCheck(cls).check for cls in (Biodata, Address, Education, Skill, Photo)
        }
        self.profile_fields = {
            field.name: (
                field,
                cast("Callable[[Any], Any] | None", field.converter),
                _validators(field),
            )
            for field in attrs.fields(Profile)
        }

    def section(self, name: str, value: Any) -> Any:
        records = self.records
        if name == "biodata":
            return records[Biodata](value)
        if name in ("ktp_address", "domicile_address", "photo"):
            if value is None:
                return None
            return records[Address if name != "photo" else Photo](value)
        if name == "education":
            if value.__class__ not in _SEQUENCE:
                raise NotChecked
            check = records[Education]
            return tuple([check(item) for item in value])
        if name == "skills":
            if value.__class__ not in _SEQUENCE:
                raise NotChecked
            check = records[Skill]
            return tuple(
                [check({"name": item}) if item.__class__ is str else check(item) for item in value]
            )
        raise NotChecked

    def profile(self, base: Profile, sections: Mapping[str, Any]) -> Profile:
        """``attrs.evolve(base, **sections)``: ``base`` is a valid profile and no field
        check of a profile looks at another field, so only the given fields are
        converted and checked, as ``__init__`` converts and checks them."""
        fields = self.profile_fields
        profile = copy_profile(base)
        for name, value in sections.items():
            convert = fields[name][1]
            _put(profile, name, value if convert is None else convert(value))
        for name in sections:
            field, _convert, checks = fields[name]
            for check in checks:
                check(profile, field, getattr(profile, name))
        return profile


def _profile_copier() -> Callable[[Profile], Profile]:
    """A new :class:`Profile` holding the very values of another, field by field as
    attrs' own ``__init__`` sets them (written out: a loop cost more than the copy)."""
    lines = ["def copy_profile(base):", "    profile = _new(Profile)"]
    lines += [
        f"    _put(profile, {field.name!r}, base.{field.name})" for field in attrs.fields(Profile)
    ]
    lines.append("    return profile")
    namespace: dict[str, Any] = {"_new": _new, "_put": _put, "Profile": Profile}
    exec("\n".join(lines), namespace)  # noqa: S102 (our own source, from attrs field names)
    return cast("Callable[[Profile], Profile]", namespace["copy_profile"])


copy_profile: Final = _profile_copier()
"""A shallow copy of a profile: every field the same object (sections are frozen)."""
