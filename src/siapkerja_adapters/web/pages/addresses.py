"""The region picker: an address chosen province → regency/city → district → village.

This module owns

* ``/profil/alamat/ktp`` and ``/profil/alamat/domisili`` — the picker page of
  the address on the KTP and of the domicile address. Without JavaScript it is
  a cascade of ``<select>``\\ s driven by the page's query
  (``?provinsi=31&kabupaten=3173&kecamatan=317307&desa=3173071001``), a search
  by village name whose matches carry their full region line, then street,
  RT, RW and postal code. Its form posts back here: a *Pilih*/*Cari* button
  answers a 303 to the page with the next level filled. Only region codes and
  the search text go into that address; what the person typed (street, RT, RW,
  postal code) is personal data that would land in access logs and the
  browser's history, so it waits in the session instead, sealed, for this
  page's path (the address's kind) and half an hour at most: the form stash of
  :meth:`Site.stash`, which the page's render lays over its values (the CSRF
  token never goes into an address bar either); *Simpan* saves and goes back to
  ``/profil#addresses``. The domicile page offers *Sama dengan alamat KTP*.
* The search stays inside the deepest level already chosen (a province, a
  regency or a district), and says when it shows only the first of more matches
  ("10 pertama dari 128"), so the person knows to narrow it.
* ``/wilayah``, ``/wilayah/{code}/anak`` and ``/wilayah/cari?q=`` — the small
  JSON endpoints ``static/regions.js`` loads the levels and the search from.
  They hold no personal data and change only with a release's region data, so
  they are cacheable (``ETag``, ``Cache-Control``); bad input answers a
  problem document, never a crash.
* :func:`address_summary` — an address as the profile page's summary shows it.

A refusal names the part of the address in words, as the profile's other
forms do ("RT (alamat KTP): harus 1 sampai 3 angka", :func:`refusal`,
:func:`check_address`), never a document path such as ``ktp_address.rt``. A
profile whose village code is in no current list (a district renumbered since)
shows what is still known of it and asks for the current village.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, Final

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import ADDRESS_FIELDS, optional
from siapkerja_adapters.web.pages.profile_form import ProfileFieldError
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_adapters.web.problems import RequestError, problem_response
from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import both
from siapkerja_core.profile import Address, Profile, ProfileError
from siapkerja_core.views import Account

__all__ = [
    "KINDS",
    "MAX_QUERY_LENGTH",
    "AddressPages",
    "RegionChoices",
    "address_summary",
    "check_address",
    "refusal",
]

KINDS: Final[Mapping[str, tuple[str, str]]] = {
    "ktp": ("ktp_address", "ktp"),
    "domisili": ("domicile_address", "dom"),
}
"""The page's kind -> (the profile's section, the prefix of its catalogue keys)."""

MAX_QUERY_LENGTH: Final = 60
"""The longest search text: longer than any region name (the longest is 42)."""
_MIN_QUERY_LENGTH: Final = 3
_RESULTS: Final = 10
_CACHE_CONTROL: Final = "private, max-age=86400"
_MAX_SEARCHES: Final = 1024
"""Region search answers kept in memory (each under a few kB); past it, start again."""
"""The region data changes only with a release: a day in the browser's cache is safe. Not
``public``: the session middleware may renew the holder's cookie on any answer, and a
shared cache must never keep a ``Set-Cookie``."""

# The page's fields. The region levels are codes; the rest is what the person typed,
# carried through every step (clipped). Only the codes, the search text and the
# "same as KTP" box travel in a step's query (_QUERIED); the address itself (_KEPT)
# waits in the session's sealed form stash.
_LEVELS: Final = ("provinsi", "kabupaten", "kecamatan", "desa")
_LEVEL_LENGTHS: Final = {"provinsi": 2, "kabupaten": 4, "kecamatan": 6, "desa": 10}
_TYPED: Final = {"jalan": 200, "rt": 10, "rw": 10, "kode_pos": 10, "cari": MAX_QUERY_LENGTH}
_KEPT: Final = ("jalan", "rt", "rw", "kode_pos")
_FIELDS: Final = (*_LEVELS, *_TYPED, "sama")
_QUERIED: Final = tuple(name for name in _FIELDS if name not in _KEPT)
# The core's address attributes -> this form's fields, and the catalogue key naming each.
_FORM_FIELD: Final = {
    "village_code": "desa",
    "street": "jalan",
    "rt": "rt",
    "rw": "rw",
    "postal_code": "kode_pos",
}
_PART_LABEL: Final = {
    "village_code": "address.village_part",
    "street": "profile.street",
    "rt": "profile.rt",
    "rw": "profile.rw",
    "postal_code": "profile.postal_code",
}


def _digits(value: str, length: int) -> str:
    return value if len(value) == length and value.isascii() and value.isdigit() else ""


class RegionChoices:
    """What the picker's template asks of the region data, from the values shown.

    The template calls these rather than the page computing lists up front, so a
    form shown again after a refusal (its submitted values laid over the page's)
    lists the levels of the values it shows.
    """

    @staticmethod
    def state(values: Mapping[str, Any]) -> dict[str, str]:
        """The chosen code of each level, consistent from the province down.

        A level that is not inside the one above is dropped (the person chose
        another province: the old regency goes). A village alone (picked from the
        search, or the profile's) fills the levels above it. Retired codes are
        never chosen: they cannot be saved.
        """
        raw = {
            level: _digits(str(values.get(level) or ""), _LEVEL_LENGTHS[level]) for level in _LEVELS
        }
        if not raw["provinsi"] and raw["desa"]:
            raw.update(
                provinsi=raw["desa"][:2], kabupaten=raw["desa"][:4], kecamatan=raw["desa"][:6]
            )
        state: dict[str, str] = {}
        parent = ""
        for level in _LEVELS:
            code = raw[level]
            region = regions.lookup(code) if code and code.startswith(parent) else None
            if region is None or region.retired:
                state.update(dict.fromkeys(_LEVELS[len(state) :], ""))
                break
            state[level] = parent = code
        return state

    @staticmethod
    def children(code: str) -> list[tuple[str, str, str]]:
        """(code, option text, full label) of the current regions inside ``code``
        (``""``: the provinces).

        The option text starts with the name ("Dago (Kelurahan)", "Bandung (Kota)"), so
        typing a name's first letters in the list finds it; the full label ("Kelurahan
        Dago", "Kota Bandung") is the option's title. A province or a district is its
        name alone (the full label is ``""``: its list's label says the kind).
        """
        listed = []
        for region in regions.children(code):
            option = regions.option_name(region)
            full = "" if option == region.name else regions.label(region)
            listed.append((region.code, option, full))
        return listed

    @staticmethod
    def line(code: str) -> str:
        return regions.line(code)

    @staticmethod
    def search(text: str, state: Mapping[str, str]) -> tuple[str, list[tuple[str, str]], int]:
        """Where villages named like ``text`` were found, the first of them as (code, full
        line), and how many matched there in all.

        The search stays inside the deepest level already chosen — the district, else
        the regency, else the province (the first value is its line); when nothing
        matches there, or nothing is chosen, it covers all of Indonesia (the first
        value is ``""``). At most ten are listed: the count lets the page say that
        there are more and how to narrow them.
        """
        text = text.strip()[:MAX_QUERY_LENGTH]
        if len(text) < _MIN_QUERY_LENGTH:
            return "", [], 0
        scope = state.get("kecamatan") or state.get("kabupaten") or state.get("provinsi") or ""
        for within in dict.fromkeys((scope, "")):
            found = regions.find(text, level="village", within=within or None, limit=_RESULTS)
            if found.regions:
                listed = [(r.code, regions.line(r.code)) for r in found.regions]
                return regions.line(within) if within else "", listed, found.total
        return "", [], 0


def address_summary(address: Address | None) -> dict[str, Any] | None:
    """An address as the profile's summary shows it; ``None`` when there is none.

    ``line`` is the full region line; ``current`` is false for a village code
    in no current list (``line`` then holds what is still known above it).
    """
    if address is None:
        return None
    return {
        "line": regions.line(address.village_code),
        "current": regions.village(address.village_code) is not None,
        "code": address.village_code,
        "street": address.street or "",
        "rt": address.rt or "",
        "rw": address.rw or "",
        "postal_code": address.postal_code or "",
    }


def refusal(error: ProfileError, address_key: str) -> ProfileError:
    """``error`` (every problem of it) worded for the address ``address_key`` names."""
    return _gather(tuple(_worded(problem, address_key) for problem in error.errors))


def check_address(
    section: str, address_key: str, address: Mapping[str, str | None]
) -> ProfileError | None:
    """Every problem of ``address`` at once, worded, or ``None``.

    The core stops at an address's first problem; a person fixing a form wants
    them all. Each part is checked alone by the core's own converter and
    validator (:class:`~siapkerja_core.profile.Address`); a village not chosen
    is "wajib dipilih"; whether the village exists is left to the save.
    """
    problems = []
    if not address.get("village_code"):
        reason_id, reason_en = both("reason.required")
        missing = ProfileError(
            "invalid_field", field=f"{section}.village_code", reason=reason_en, reason_id=reason_id
        )
        problems.append(_worded(missing, address_key, reason="address.reason_required"))
    for name in ADDRESS_FIELDS:
        value = address.get(name)
        if name == "village_code" or value is None:
            continue
        attribute = getattr(attrs.fields(Address), name)
        try:
            converted = attribute.converter(value) if attribute.converter else value
            if attribute.validator is not None:
                attribute.validator(None, attribute, converted)
        except ProfileError as error:
            placed = ProfileError(error.code, **{**error.params, "field": f"{section}.{name}"})
            problems.append(_worded(placed, address_key))
    return _gather(tuple(problems)) if problems else None


def _gather(problems: tuple[ProfileError, ...]) -> ProfileError:
    first = problems[0]
    if len(problems) == 1:
        return first
    return type(first)(first.code, **{**first.params, "errors": problems})


def _worded(problem: ProfileError, address_key: str, reason: str | None = None) -> ProfileError:
    """One problem as the profile's forms word theirs: "RT (alamat KTP): harus …".

    The core's :class:`ProfileError` says where a problem is by path
    (``ktp_address.rt``), which a person cannot read; the worded error keeps that
    path (it ties the message to the form's field) and says the part in words.
    """
    part = (problem.field or "").rpartition(".")[2]
    if part not in _PART_LABEL:
        part = "village_code"
    if part == "village_code" and reason is None:
        # The person picks the village, never types its code: whatever the core
        # found wrong with it, the answer is to pick it again.
        reason = "address.reason_unknown_village"
    elif part == "postal_code" and problem.code == "invalid_field":
        reason = "address.reason_postal_code"  # the core's repeats "kode pos"
    if reason is not None:
        reason_id, reason_en = both(reason)
    else:
        reason_id = str(problem.params.get("reason_id") or problem.message("id"))
        reason_en = str(problem.params.get("reason") or problem.message("en"))
    label_id, label_en = both(_PART_LABEL[part])
    entry_id, entry_en = both(f"address.of_{address_key}")
    return ProfileFieldError(
        "entry_field",
        field=problem.field or "",
        label_id=label_id,
        label_en=label_en,
        entry_id=entry_id,
        entry_en=entry_en,
        reason_id=reason_id,
        reason=reason_en,
    )


class AddressPages:
    """The picker pages of both addresses, and the region data they load."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.choices = RegionChoices()
        # The region search's answers by (text, within): the regions are the package's
        # data, fixed for the process, so an answer never changes (bounded: the texts
        # are the visitors').
        self._searches: dict[tuple[str, str], tuple[bytes, str]] = {}
        # The picker's searches by (text, levels chosen), for the same reason.
        self._picked: dict[tuple[str, Any], tuple[str, list[tuple[str, str]], int]] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/profil/alamat/{kind}", self.page, "profile_address"),
            post_route("/profil/alamat/{kind}", self.submit, "profile_address_submit"),
            get_route("/wilayah", self.provinces, "regions_root"),
            # Before /wilayah/{code}/anak: "cari" is no code, but keep the order obvious.
            get_route("/wilayah/cari", self.search, "regions_search"),
            get_route("/wilayah/{code}/anak", self.children, "regions_children"),
        ]

    # --- the picker page --------------------------------------------------------------

    @staticmethod
    def _kind(request: Request) -> tuple[str, str, str]:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise HTTPException(status_code=404)
        section, key = KINDS[kind]
        return kind, section, key

    @staticmethod
    def _same(profile: Profile) -> bool:
        return profile.ktp_address is not None and profile.ktp_address == profile.domicile_address

    def _values(self, request: Request, profile: Profile, section: str) -> dict[str, str]:
        """The form's values: the query's when a step brought the person here, else the
        profile's address.

        A step's query carries the region codes and the search text only; what was
        typed comes back from the form stash, which :meth:`Site.render` lays over these
        values. Typed fields in a query (an old bookmark) are ignored.
        """
        query = request.query_params
        if any(name in query for name in _QUERIED):
            values = dict.fromkeys(_FIELDS, "")
            values.update({name: query.get(name, "").strip() for name in _QUERIED})
            values["cari"] = values["cari"][: _TYPED["cari"]]
            return values
        address: Address | None = getattr(profile, section)
        values = dict.fromkeys(_FIELDS, "")
        if address is not None:
            values.update(
                desa=address.village_code,
                jalan=address.street or "",
                rt=address.rt or "",
                rw=address.rw or "",
                kode_pos=address.postal_code or "",
            )
        values["sama"] = "1" if section == "domicile_address" and self._same(profile) else ""
        return values

    def _context(self, account: Account, profile: Profile, kind: str) -> dict[str, Any]:
        section, key = KINDS[kind]
        address: Address | None = getattr(profile, section)
        stale = None
        if address is not None and regions.village(address.village_code) is None:
            stale = {"code": address.village_code, "line": regions.line(address.village_code)}
        return {
            "account": account,
            "kind": kind,
            "address_key": key,
            "picker": self.choices,
            "stale": stale,
            "ktp": address_summary(profile.ktp_address),
            "found": None,
        }

    def _profile_of(self, account: Account) -> Profile:
        return self.site.svc.profile(account.id)

    async def page(self, request: Request) -> Response:
        site = self.site
        if (kept := await site.kept_page(request, "profile_address.html")) is not None:
            return kept  # nothing committed since it was read: served unread
        holder = await site.signed_in(request, self._profile_of)
        if holder is None:
            return site.to_login(request)
        account, profile = holder
        kind, section, _key = self._kind(request)
        context = self._context(account, profile, kind)
        values = context["values"] = self._values(request, profile, section)
        if values["cari"]:
            # Searching 84,000 villages takes a tenth of a second: not on the event loop.
            # (The template searches itself only for values laid over these, a refusal's.)
            # The answer depends on the text and the levels chosen alone (package data).
            state = self.choices.state(values)
            searched = (values["cari"], tuple(sorted(state.items())))
            found = self._picked.get(searched)
            if found is None:
                found = await site.call(self.choices.search, values["cari"], state)
                if len(self._picked) >= _MAX_SEARCHES:
                    self._picked.clear()
                self._picked[searched] = found
            scope, results, total = found
            context["found"] = {
                "query": values["cari"],
                "scope": scope,
                "results": results,
                "total": total,
            }
        # Rendered again only when what it shows changed: the holder, both addresses (the
        # page's values and lists come from them, the address and its query).
        shown = (account, profile.ktp_address, profile.domicile_address)
        return site.render_shown(request, "profile_address.html", context, shown)

    async def submit(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        kind, section, key = self._kind(request)
        form = await request.form()
        values = {
            name: value.strip()
            for name in (*_FIELDS, "hasil")
            if isinstance(value := form.get(name), str)
        }
        step = str(form.get("langkah") or "simpan")
        if step != "simpan":
            return self._step(request, kind, step, values)
        profile = await site.call(site.svc.profile, account.id)
        if kind == "domisili" and values.get("sama") == "1":
            if profile.ktp_address is None:
                site.flash_key(request, "error", "address.same_needs_ktp")
                return site.redirect(request, "profile_address", kind="ktp")
            changes: dict[str, Any] = {section: _as_changes(profile.ktp_address)}
        else:
            address = {
                "village_code": values.get("hasil") or values.get("desa", ""),
                "street": optional(values.get("jalan", "")),
                "rt": optional(values.get("rt", "")),
                "rw": optional(values.get("rw", "")),
                "postal_code": optional(values.get("kode_pos", "")),
            }
            refused = check_address(section, key, address)
            if refused is not None:
                return await self._refused(request, account, profile, kind, refused, values)
            changes = {section: address}
            # A domicile that was the KTP address follows it (the person said so before).
            if section == "ktp_address" and self._same(profile):
                changes["domicile_address"] = address
        try:
            await site.call(partial(site.svc.update_profile, account.id, **changes))
        except ProfileError as error:
            return await self._refused(request, account, profile, kind, refusal(error, key), values)
        site.flash_key(request, "success", "profile.saved")
        return site.redirect(request, "profile", fragment="addresses")

    def _step(self, request: Request, kind: str, step: str, values: dict[str, str]) -> Response:
        """A *Pilih*/*Cari* button: the page again with the next level, by GET.

        The region codes and the search text go into the query; the street, RT, RW and
        postal code into the sealed form stash for this page alone (never an address
        bar: access logs and the browser's history keep those).
        """
        typed = {name: values.get(name, "")[: _TYPED[name]] for name in _KEPT}
        target = self.site.url(request, "profile_address", kind=kind)
        if any(typed.values()):
            # False only when the session has no sealer or no room: the typing is then
            # lost rather than put in the address bar.
            self.site.stash(request, target, [], {k: v for k, v in typed.items() if v})
        query = {name: values.get(name, "") for name in _QUERIED}
        if step == "desa" and values.get("hasil"):
            # A village picked from the search: it fills the levels above it.
            query.update(provinsi="", kabupaten="", kecamatan="", desa=values["hasil"], cari="")
        elif step != "cari":
            query["cari"] = ""
        query = {name: value for name, value in query.items() if value}
        target = self.site.url(request, "profile_address", query=query, kind=kind)
        anchor = {"provinsi": "f-kabupaten", "kabupaten": "f-kecamatan", "kecamatan": "f-desa"}
        fragment = anchor.get(step, "f-jalan" if step == "desa" else "hasil-cari")
        return RedirectResponse(f"{target}#{fragment}", status_code=303)

    async def _refused(
        self,
        request: Request,
        account: Account,
        profile: Profile,
        kind: str,
        error: SiapkerjaError,
        values: Mapping[str, str],
    ) -> Response:
        context = self._context(account, profile, kind)
        shown = {name: values.get(name, "") for name in _FIELDS}
        if values.get("hasil"):
            shown.update(desa=values["hasil"], provinsi="", kabupaten="", kecamatan="")
        context["values"] = shown
        prefix = KINDS[kind][1]
        rename = {f"{prefix}_{name}": field for name, field in _FORM_FIELD.items()}
        return self.site.form_error(
            request,
            "profile_address.html",
            error,
            context,
            form_fields=_FORM_FIELD.values(),
            rename=rename,
        )

    # --- the JSON endpoints -----------------------------------------------------------

    async def provinces(self, request: Request) -> Response:
        return _cached(request, {"parent": None, "regions": _listed(regions.children())})

    async def children(self, request: Request) -> Response:
        code = request.path_params["code"]
        known = len(code) in (2, 4, 6) and _digits(code, len(code))
        parent = regions.lookup(code) if known else None
        if parent is None or parent.retired:  # a retired code is no choice any more
            return problem_response(RequestError("not_found"), select_language(request))
        found = await self.site.call(regions.children, parent.code)
        return _cached(request, {"parent": _region(parent), "regions": _listed(found)})

    async def search(self, request: Request) -> Response:
        text = request.query_params.get("q", "").strip()
        if len(text) > MAX_QUERY_LENGTH:
            # The language (the session's, else the browser's) only for a refusal: an
            # answer is the same in both, and its session cookie is then never read.
            lang = select_language(request)
            reason_id, reason_en = both("address.reason_query_length", limit=MAX_QUERY_LENGTH)
            error = RequestError(
                "invalid_parameter", field="q", reason_id=reason_id, reason=reason_en
            )
            return problem_response(error, lang)
        within = request.query_params.get("dalam", "")
        if len(within) not in (2, 4, 6) or not _digits(within, len(within)):
            within = ""
        answer = self._searches.get((text, within))
        if answer is None:
            if len(text) < _MIN_QUERY_LENGTH:
                found = regions.Found((), 0)
            else:
                found = await self.site.call(
                    partial(
                        regions.find, text, level="village", within=within or None, limit=_RESULTS
                    )
                )
            # "total": how many matched in all, so the script can say the list is cut.
            body = {"query": text, "regions": _listed(found.regions), "total": found.total}
            answer = _json_and_tag(body)
            if len(self._searches) >= _MAX_SEARCHES:
                self._searches.clear()
            self._searches[(text, within)] = answer
        return _answer(request, *answer)


def _as_changes(address: Address) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _region(region: regions.Region) -> dict[str, str]:
    return {
        "code": region.code,
        "name": region.name,
        "label": regions.label(region),
        "option": regions.option_name(region),
        "line": regions.line(region.code),
    }


def _listed(found: Iterable[regions.Region]) -> list[dict[str, str]]:
    return [_region(region) for region in found]


def _json_and_tag(body: Mapping[str, Any]) -> tuple[bytes, str]:
    """``body`` as JSON, and the ``ETag`` of its bytes."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _cached(request: Request, body: Mapping[str, Any]) -> Response:
    """``body`` as JSON with an ``ETag`` of its bytes; ``304`` when the client has it."""
    return _answer(request, *_json_and_tag(body))


def _answer(request: Request, content: bytes, etag: str) -> Response:
    """JSON ``content`` with its ``ETag``; ``304`` when the client has it."""
    headers = {"ETag": etag, "Cache-Control": _CACHE_CONTROL}
    sent = request.headers.get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)
