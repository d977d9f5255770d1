"""Profile completeness: which sections each kind of stakeholder must fill in.

A SIAPkerja-ID card is issued only to a complete profile (the seed: "harus
melengkapi profilnya untuk mendapatkan SIAPkerja-ID"). What "complete" means
depends on who the person is, so it is a :class:`RuleSet` per
:class:`~siapkerja_core.profile.Stakeholder`: a list of :class:`Requirement` s,
each a check with a weight and a label (the catalogue's
``requirement.<key>``, or the texts a custom requirement is given).
:func:`completeness` evaluates one and returns a :class:`Completeness` — a
weighted percentage and the :class:`MissingItem` s still to do.
:class:`ProfileIncomplete` is what the facade's ``issue_card`` raises.

Why each rule set asks for what it asks (``docs/profile.md`` has the table):

* **Every stakeholder** gives place and date of birth and sex (age and sex
  decide eligibility for most Kemnaker programmes), an email and a mobile
  number, the KTP address and the domicile address (services are delivered
  by the *Disnaker* and training centres of where a person lives, which is
  often not the KTP's), and a photo (the card is shown in person at job
  fairs and classes — the seed's access-code uses).
* **Job seeker** (*pencari kerja*): the SIAPkerja-ID replaces the yellow card
  AK/I (the seed's first use), whose page 2 carries marital status, religion
  and education (Permenaker 39/2016); matching on Karirhub needs a headline
  and at least one skill. Work experience is **not** required: many job
  seekers are looking for their first job.
* **Worker** (*pekerja*): work experience (at least one job), education,
  skills, headline and marital status; religion is not asked (no worker
  programme needs it — UU PDP data minimisation).
* **Trainee** (*peserta pelatihan*): education (training entry requirements
  are set by the last education level); no skills or work yet — that is
  what training is for.
* **Entrepreneur** (*wirausaha*, Bizhub's TKM/TKS): a headline describing
  the business and at least one skill; no education or employment history.

Languages, certificates and achievements are never required: not everyone
has them, and a profile is not incomplete without them.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final

import attrs
from attrs import Factory, field, frozen

from siapkerja_core.profile import Address, Profile, Stakeholder
from siapkerja_core.profile.errors import ProfileDomainError
from siapkerja_core.translations import language, text

__all__ = [
    "BIRTH",
    "COMPLETENESS_REVISION",
    "DOMICILE_ADDRESS",
    "EDUCATION",
    "EMAIL",
    "HEADLINE",
    "KTP_ADDRESS",
    "MARITAL_STATUS",
    "PHONE",
    "PHOTO",
    "RELIGION",
    "RULES_FINGERPRINT",
    "RULE_SETS",
    "SEX",
    "SKILLS",
    "WORK",
    "Completeness",
    "MissingItem",
    "ProfileIncomplete",
    "Requirement",
    "RuleSet",
    "completeness",
    "completeness_stamp",
    "is_complete",
    "rules_for",
    "stamped_complete",
]


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a positive whole number, not {value!r}")


def _catalogue_label(key: str, lang: str | None) -> str | None:
    found = text(f"requirement.{key}", lang)
    return None if found == f"requirement.{key}" else found


class _Labelled:
    """The labels of a requirement: its own texts if given, else the catalogue's.

    A built-in requirement names none, so its label is ``requirement.<key>``
    and a deployer rewords it in a catalogue; a custom one may bring its own
    Indonesian and English texts (or add its key to a catalogue).
    """

    __slots__ = ()
    key: str
    _label_id: str | None
    _label_en: str | None

    @property
    def label_id(self) -> str:
        """The label in Indonesian."""
        if self._label_id is not None:
            return self._label_id
        return _catalogue_label(self.key, "id") or self.key

    @property
    def label_en(self) -> str:
        """The label in English."""
        if self._label_en is not None:
            return self._label_en
        return _catalogue_label(self.key, "en") or self.label_id

    def label(self, lang: str = "id") -> str:
        """The label in ``lang``: any catalogue language (a tag like ``"en-US"`` works)."""
        lang = language(lang)
        if lang == "id":
            return self.label_id
        if lang == "en":
            return self.label_en
        return _catalogue_label(self.key, lang) or self.label_id


@frozen(kw_only=True)
class Requirement(_Labelled):
    """One thing a complete profile must have.

    ``check`` returns true when the profile satisfies it; ``weight`` is its
    share of the percentage. ``key`` is stable (APIs and
    :class:`ProfileIncomplete` use it); the labels are for people: the
    catalogue's ``requirement.<key>`` unless ``label_id``/``label_en`` are given.
    """

    key: str
    _label_id: str | None = field(default=None, alias="label_id")
    _label_en: str | None = field(default=None, alias="label_en")
    check: Callable[[Profile], bool] = field(eq=False)
    weight: int = field(default=1, validator=_positive)


@frozen(kw_only=True, eq=False)
class MissingItem(_Labelled):
    """A requirement the profile does not meet yet (equal by key and labels)."""

    key: str
    _label_id: str | None = field(default=None, alias="label_id")
    _label_en: str | None = field(default=None, alias="label_en")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MissingItem):
            return NotImplemented
        return (self.key, self.label_id, self.label_en) == (
            other.key,
            other.label_id,
            other.label_en,
        )

    def __hash__(self) -> int:
        return hash(self.key)


def _is_complete(result: Completeness) -> bool:
    return not result.missing


@frozen(kw_only=True)
class Completeness:
    """How complete a profile is for its stakeholder type.

    ``percent`` is the weighted share of requirements met, rounded down, so
    it reads 100 only when ``complete``; ``missing`` lists the rest in rule
    order.
    """

    stakeholder: Stakeholder
    percent: int
    missing: tuple[MissingItem, ...]
    complete: bool = field(init=False, default=Factory(_is_complete, takes_self=True))

    @property
    def missing_keys(self) -> tuple[str, ...]:
        """The keys of the missing items (``("photo", "skills")``)."""
        return tuple(item.key for item in self.missing)

    def labels(self, lang: str = "id") -> tuple[str, ...]:
        """The missing items' labels in ``lang``."""
        return tuple(item.label(lang) for item in self.missing)

    # -- a notebook's display ----------------------------------------------

    def _repr_svg_(self) -> str:
        # A bar 240 x 20 px: the share met in green (blue when complete), the percent on it.
        width = round(2.4 * self.percent)
        colour = "#1f6fb2" if self.complete else "#2e8b57"
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="20" '
            f'viewBox="0 0 240 20" role="img" aria-label="{self.percent}%">'
            '<rect width="240" height="20" rx="4" fill="#e3e7ee"/>'
            f'<rect width="{width}" height="20" rx="4" fill="{colour}"/>'
            '<text x="120" y="14" font-family="sans-serif" font-size="12" '
            f'text-anchor="middle" fill="#111">{self.percent}%</text></svg>'
        )

    def _repr_html_(self) -> str:
        e = html.escape
        head = "lengkap / complete" if self.complete else "belum lengkap / incomplete"
        out = [
            '<div class="siapkerja-completeness">',
            self._repr_svg_(),
            f"<br>{e(str(self.stakeholder.value))}: {self.percent}% — {head}",
        ]
        if self.missing:
            out.append("<ul>")
            out.extend(
                f"<li><code>{e(item.key)}</code>: "
                f"{e(item.label('id'))} / {e(item.label('en'))}</li>"
                for item in self.missing
            )
            out.append("</ul>")
        out.append("</div>")
        return "".join(out)


def _unique_keys(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    keys = [r.key for r in value] if isinstance(value, tuple) else []
    if not keys or len(set(keys)) != len(keys):
        raise ValueError("a rule set needs at least one requirement and unique keys")


def _to_requirements(value: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(value)


@frozen(kw_only=True)
class RuleSet:
    """The requirements of a complete profile for one stakeholder type."""

    stakeholder: Stakeholder
    requirements: tuple[Requirement, ...] = field(
        converter=_to_requirements, validator=_unique_keys
    )

    def evaluate(self, profile: Profile) -> Completeness:
        """How complete ``profile`` is under these rules."""
        total = sum(r.weight for r in self.requirements)
        met = 0
        missing: list[MissingItem] = []
        for requirement in self.requirements:
            if requirement.check(profile):
                met += requirement.weight
            else:
                missing.append(
                    MissingItem(
                        key=requirement.key,
                        label_id=requirement._label_id,
                        label_en=requirement._label_en,
                    )
                )
        return Completeness(
            stakeholder=self.stakeholder, percent=met * 100 // total, missing=tuple(missing)
        )

    def is_complete(self, profile: Profile) -> bool:
        """``evaluate(profile).complete``, without building the report (bulk card issuance)."""
        return all(requirement.check(profile) for requirement in self.requirements)

    @property
    def keys(self) -> tuple[str, ...]:
        """The requirement keys, in order."""
        return tuple(r.key for r in self.requirements)


# --------------------------------------------------------------------------
# The requirements
# --------------------------------------------------------------------------


def _has_birth(p: Profile) -> bool:
    return p.biodata.birth_place is not None and p.biodata.birth_date is not None


def _has_sex(p: Profile) -> bool:
    return p.biodata.sex is not None


def _has_marital_status(p: Profile) -> bool:
    return p.biodata.marital_status is not None


def _has_religion(p: Profile) -> bool:
    return p.biodata.religion is not None


def _has_headline(p: Profile) -> bool:
    return p.biodata.headline is not None


def _has_email(p: Profile) -> bool:
    return p.contact.email is not None


def _has_phone(p: Profile) -> bool:
    return p.contact.phone is not None


def _full_address(address: Address | None) -> bool:
    # The village code is always there once an Address exists; the street is what
    # lets a letter or an officer find the house.
    return address is not None and address.street is not None


def _has_ktp_address(p: Profile) -> bool:
    return _full_address(p.ktp_address)


def _has_domicile_address(p: Profile) -> bool:
    return _full_address(p.domicile_address)


def _has_skills(p: Profile) -> bool:
    return bool(p.skills)


def _has_education(p: Profile) -> bool:
    return bool(p.education)


def _has_work(p: Profile) -> bool:
    return bool(p.work)


def _has_photo(p: Profile) -> bool:
    return p.photo is not None


BIRTH: Final = Requirement(key="birth", check=_has_birth)
SEX: Final = Requirement(key="sex", check=_has_sex)
MARITAL_STATUS: Final = Requirement(key="marital_status", check=_has_marital_status)
RELIGION: Final = Requirement(key="religion", check=_has_religion)
HEADLINE: Final = Requirement(key="headline", check=_has_headline)
EMAIL: Final = Requirement(key="email", check=_has_email)
PHONE: Final = Requirement(key="phone", check=_has_phone)
KTP_ADDRESS: Final = Requirement(key="ktp_address", check=_has_ktp_address)
DOMICILE_ADDRESS: Final = Requirement(key="domicile_address", check=_has_domicile_address)
SKILLS: Final = Requirement(key="skills", check=_has_skills)
PHOTO: Final = Requirement(key="photo", check=_has_photo)
EDUCATION: Final = Requirement(key="education", check=_has_education)
WORK: Final = Requirement(key="work", check=_has_work)


# Sections that take real effort to fill in (a school or a job with its dates)
# weigh 2 where they are the point of the stakeholder type.
RULE_SETS: Final[Mapping[Stakeholder, RuleSet]] = {
    Stakeholder.JOB_SEEKER: RuleSet(
        stakeholder=Stakeholder.JOB_SEEKER,
        requirements=(
            BIRTH,
            SEX,
            MARITAL_STATUS,
            RELIGION,
            HEADLINE,
            EMAIL,
            PHONE,
            KTP_ADDRESS,
            DOMICILE_ADDRESS,
            SKILLS,
            attrs.evolve(EDUCATION, weight=2),
            PHOTO,
        ),
    ),
    Stakeholder.WORKER: RuleSet(
        stakeholder=Stakeholder.WORKER,
        requirements=(
            BIRTH,
            SEX,
            MARITAL_STATUS,
            HEADLINE,
            EMAIL,
            PHONE,
            KTP_ADDRESS,
            DOMICILE_ADDRESS,
            SKILLS,
            attrs.evolve(WORK, weight=2),
            EDUCATION,
            PHOTO,
        ),
    ),
    Stakeholder.TRAINEE: RuleSet(
        stakeholder=Stakeholder.TRAINEE,
        requirements=(
            BIRTH,
            SEX,
            EMAIL,
            PHONE,
            KTP_ADDRESS,
            DOMICILE_ADDRESS,
            attrs.evolve(EDUCATION, weight=2),
            PHOTO,
        ),
    ),
    Stakeholder.ENTREPRENEUR: RuleSet(
        stakeholder=Stakeholder.ENTREPRENEUR,
        requirements=(
            BIRTH,
            SEX,
            HEADLINE,
            EMAIL,
            PHONE,
            KTP_ADDRESS,
            DOMICILE_ADDRESS,
            SKILLS,
            PHOTO,
        ),
    ),
}
"""The built-in rule set of each stakeholder type."""


COMPLETENESS_REVISION: Final = 1
"""Bumped whenever a built-in check changes what it accepts (``tests/unit`` pins the checks'
source to this number), so that judgements stored under older rules are no longer trusted."""


def _rules_fingerprint() -> str:
    described = ";".join(
        f"{stakeholder.value}={','.join(rules.keys)}" for stakeholder, rules in RULE_SETS.items()
    )
    digest = hashlib.sha256(f"{COMPLETENESS_REVISION}|{described}".encode()).hexdigest()
    return digest[:12]


RULES_FINGERPRINT: Final = _rules_fingerprint()
"""Names the built-in rule sets as they are in this release: their keys and the revision."""


def completeness_stamp(profile: Profile) -> str:
    """Whether ``profile`` is complete under the built-in rules, as a short stamp to store
    beside it (``"<fingerprint>:1"`` or ``"<fingerprint>:0"``).

    Bulk card issuance reads the stamp instead of decoding every profile
    (:func:`stamped_complete`); a storage computes it when it writes a profile.
    """
    return f"{RULES_FINGERPRINT}:{int(is_complete(profile))}"


def stamped_complete(stamp: str | None) -> bool | None:
    """What a stored :func:`completeness_stamp` says, or ``None`` when it cannot be trusted
    (missing, or written under other rules): the caller then decodes the profile."""
    if stamp is None:
        return None
    fingerprint, _, verdict = stamp.partition(":")
    if fingerprint != RULES_FINGERPRINT or verdict not in ("0", "1"):
        return None
    return verdict == "1"


def rules_for(stakeholder: Stakeholder | str) -> RuleSet:
    """The built-in rule set of ``stakeholder`` (an enum member or its value)."""
    return RULE_SETS[Stakeholder(stakeholder)]


def completeness(profile: Profile, rules: RuleSet | None = None) -> Completeness:
    """How complete ``profile`` is: by ``rules``, or by its stakeholder's rule set."""
    return (rules or rules_for(profile.stakeholder)).evaluate(profile)


def is_complete(profile: Profile, rules: RuleSet | None = None) -> bool:
    """``completeness(profile, rules).complete``, without the report of what is missing."""
    return (rules or rules_for(profile.stakeholder)).is_complete(profile)


# --------------------------------------------------------------------------
# The error
# --------------------------------------------------------------------------


class ProfileIncomplete(ProfileDomainError):
    """The profile lacks what its stakeholder type requires (no card is issued).

    Build it from a result with :meth:`from_completeness`, or with
    ``ProfileIncomplete(missing=...)`` given keys or :class:`MissingItem` s.
    ``missing`` is the tuple of keys; the message lists the labels in both
    languages.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "incomplete",
        }
    )

    def __init__(
        self,
        code: str = "incomplete",
        *,
        missing: Iterable[MissingItem | str] | None = None,
        **params: object,
    ) -> None:
        items = () if missing is None else tuple(missing)
        if missing is not None:
            params["missing"] = tuple(
                i.key if isinstance(i, MissingItem) else str(i) for i in items
            )
        if "missing_id" not in params or "missing_en" not in params:
            labelled = [i if isinstance(i, MissingItem) else MissingItem(key=str(i)) for i in items]
            pairs = [(i.label_id, i.label_en) for i in labelled]
            params.setdefault("missing_id", "; ".join(p[0] for p in pairs) or "-")
            params.setdefault("missing_en", "; ".join(p[1] for p in pairs) or "-")
        super().__init__(code, **params)

    @classmethod
    def from_completeness(cls, result: Completeness) -> ProfileIncomplete:
        """The error for an incomplete ``result`` (carries its ``percent`` too)."""
        return cls(missing=result.missing, percent=result.percent)

    @property
    def missing(self) -> tuple[str, ...]:
        """The keys of what is missing (``("photo", "skills")``)."""
        value = self.params.get("missing", ())
        return tuple(str(k) for k in value) if isinstance(value, tuple) else ()
