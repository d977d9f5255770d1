"""The profile page: every section's form, the list sections' entries, the photo upload.

This module owns ``/profil`` (the holder's profile with its completeness and
warnings, every entry of its list sections, and a village search for the
address forms with ``?desa=``), ``/profil/{section}`` (one of the page's own
forms: biodata, addresses, skills, visibility), ``/profil/foto`` (the photo,
read up to its size limit) and the list sections' entries, one page and one
form each, so that all of it works without JavaScript (post/redirect/get):

* ``GET/POST /profil/{slug}/baru`` — add an entry (``pekerjaan``,
  ``pendidikan``, ``sertifikat``, ``pencapaian``, ``bahasa``);
* ``GET/POST /profil/{slug}/{n}`` — the ``n``-th entry (from 1): edit it;
* ``GET/POST /profil/{slug}/{n}/hapus`` — remove it, after a confirmation;
* ``POST /profil/{slug}/{n}/pindah`` — move it up (``arah=naik``) or down.

Every per-entry form carries the fingerprint of the entry it was drawn for
(:func:`.profile_form.fingerprint`); when the entry at that place has changed
since (another tab, another device), the form is refused instead of changing
or removing the wrong entry. A refused change shows the form again with every
problem on its field, worded by the field's label and the entry's number
(:meth:`ProfilePages.refused`, also how the card page shows a profile not yet
complete enough for a card). The forms' values are :mod:`.profile_form`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import Translator, select_language
from siapkerja_adapters.web.pages.forms import GPA_PATTERN, MONTH_PATTERN, FormErrors, form_text
from siapkerja_adapters.web.pages.profile_form import (
    ENTRY_SECTIONS,
    MAX_SKILLS_TEXT,
    PUBLISHABLE,
    EntrySection,
    edited,
    end_required_error,
    entries_of,
    entry_changes,
    entry_summary,
    entry_values,
    fingerprint,
    missing_end,
    profile_changes,
    profile_values,
    section_by_slug,
    skills_error,
    stale_entry_error,
    submitted_values,
    too_many_error,
    with_problem,
    worded_entry_error,
)
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core import regions
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import CardError, SiapkerjaError
from siapkerja_core.i18n import is_english
from siapkerja_core.profile import MAX_ITEMS as ENTRY_LIMITS
from siapkerja_core.profile import (
    MAX_PHOTO_BYTES,
    MIN_PHOTO_BYTES,
    Address,
    EducationLevel,
    EmploymentStatus,
    LanguageLevel,
    MaritalStatus,
    Profile,
    ProfileError,
    Religion,
    Sex,
    Stakeholder,
)
from siapkerja_core.profile.dates import MAX_YEAR, MIN_YEAR
from siapkerja_core.profile.lengths import MAX_TERM_LENGTH
from siapkerja_core.views import Account

__all__ = ["ProfilePages"]

_MAX_QUERY_LENGTH: Final = 60
_VILLAGES_SHOWN: Final = 10


class ProfilePages:
    """*Profil*: the page, a section's form, the photo."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/profil", self.profile, "profile"),
            # Before /profil/{section}, which would take "foto" for a section.
            post_route("/profil/foto", self.photo_submit, "profile_photo", files=1),
            post_route("/profil/{section}", self.profile_submit, "profile_section"),
            get_route("/profil/{slug}/baru", self.entry_form, "profile_entry_new"),
            post_route("/profil/{slug}/baru", self.entry_submit, "profile_entry_add"),
            get_route("/profil/{slug}/{n:int}", self.entry_form, "profile_entry"),
            post_route("/profil/{slug}/{n:int}", self.entry_submit, "profile_entry_save"),
            get_route("/profil/{slug}/{n:int}/hapus", self.remove_form, "profile_entry_remove"),
            post_route("/profil/{slug}/{n:int}/hapus", self.remove_submit, "profile_entry_removed"),
            post_route("/profil/{slug}/{n:int}/pindah", self.move_submit, "profile_entry_move"),
        ]

    def _profile_data(self, account: Account, village_query: str) -> dict[str, Any]:
        svc = self.site.svc
        profile = svc.profile(account.id)
        completeness = svc.completeness(account.id)
        warnings = svc.profile_warnings(account.id)
        try:
            card = svc.card(account.id)
        except CardError:
            card = None
        villages: list[tuple[str, str]] = []
        if village_query:
            villages = [
                (region.code, Address(village_code=region.code).region_line)
                for region in regions.search(village_query, level="village", limit=_VILLAGES_SHOWN)
            ]
        return {
            "profile": profile,
            "completeness": completeness,
            "warnings": warnings,
            "has_card": card is not None,
            "villages": villages,
            "village_query": village_query,
            "region_lines": {
                "ktp": profile.ktp_address.region_line if profile.ktp_address else None,
                "dom": profile.domicile_address.region_line if profile.domicile_address else None,
            },
            "photo_uri": profile.photo.data_uri() if profile.photo else None,
        }

    @staticmethod
    def _lists(profile: Profile, lang: str) -> list[dict[str, Any]]:
        """Every list section with its entries as the list shows them."""
        return [
            {
                "section": section,
                "entries": [
                    {"n": index, "summary": entry_summary(entry, lang), "fp": fingerprint(entry)}
                    for index, entry in enumerate(entries_of(profile, section), start=1)
                ],
                "full": len(entries_of(profile, section)) >= section.limit,
            }
            for section in ENTRY_SECTIONS.values()
        ]

    @staticmethod
    def _profile_context(
        account: Account, data: Mapping[str, Any], values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        shown = profile_values(data["profile"])
        shown.update(values or {})
        return {
            **data,
            "account": account,
            "values": shown,
            "stakeholders": list(Stakeholder),
            "sexes": list(Sex),
            "marital_statuses": list(MaritalStatus),
            "religions": list(Religion),
            "employment_statuses": list(EmploymentStatus),
            "language_levels": list(LanguageLevel),
            "education_levels": list(EducationLevel),
            "publishable": PUBLISHABLE,
            "min_photo": MIN_PHOTO_BYTES,
            "max_photo": MAX_PHOTO_BYTES,
            "max_skills_text": MAX_SKILLS_TEXT,
            "max_skills": ENTRY_LIMITS["skills"],
            "max_skill_length": MAX_TERM_LENGTH,
        }

    async def profile(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        query = request.query_params.get("desa", "").strip()[:_MAX_QUERY_LENGTH]
        data = await site.call(self._profile_data, account, query)
        context = self._profile_context(account, data)
        context["lists"] = self._lists(data["profile"], select_language(request))
        return site.render(request, "profile.html", context)

    async def refused(
        self,
        request: Request,
        account: Account,
        error: SiapkerjaError,
        values: Mapping[str, Any] | None = None,
    ) -> Response:
        """The profile page again, ``error`` on its fields, the ``values`` as submitted."""
        data = await self.site.call(self._profile_data, account, "")
        context = self._profile_context(account, data, values)
        context["lists"] = self._lists(data["profile"], select_language(request))
        fields = {*context["values"], "photo", "visibility", "skills"}
        return self.site.form_error(request, "profile.html", error, context, form_fields=fields)

    async def profile_submit(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        section = request.path_params["section"]
        form = await request.form()
        profile = await site.call(site.svc.profile, account.id)
        changes = profile_changes(section, form, profile)
        try:
            await site.call(partial(site.svc.update_profile, account.id, **changes))
        except SiapkerjaError as error:
            if section == "skills" and isinstance(error, ProfileError):
                error = skills_error(error)
            submitted: dict[str, Any] = {
                key: value for key, value in form.items() if isinstance(value, str)
            }
            if section == "visibility":
                submitted["published"] = form.getlist("published")
            if section == "addresses":
                submitted.setdefault("same_address", "")
            submitted.pop("csrf_token", None)
            return await self.refused(request, account, error, submitted)
        site.flash_key(request, "success", "profile.saved")
        return site.redirect(request, "profile", fragment=section)

    async def photo_submit(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        upload = form.get("photo")
        if not isinstance(upload, UploadFile) or not upload.filename:
            data = await site.call(self._profile_data, account, "")
            errors = FormErrors()
            errors.add(Translator(select_language(request))("profile.photo_required"), "photo")
            context = {**self._profile_context(account, data), "errors": errors}
            context["lists"] = self._lists(data["profile"], select_language(request))
            return site.render(request, "profile.html", context, status=400)
        content = await upload.read(MAX_PHOTO_BYTES + 1)
        try:
            if len(content) > MAX_PHOTO_BYTES:
                raise ProfileError(
                    "photo_size",
                    field="photo",
                    size=upload.size or len(content),
                    min_size=MIN_PHOTO_BYTES,
                    max_size=MAX_PHOTO_BYTES,
                )
            await site.call(
                partial(site.svc.update_profile, account.id, photo={"content": content})
            )
        except SiapkerjaError as error:
            return await self.refused(request, account, error)
        site.flash_key(request, "success", "profile.saved")
        return site.redirect(request, "profile", fragment="photo")

    # --- the list sections, one entry at a time ----------------------------------------

    async def _entry_page(
        self, request: Request
    ) -> tuple[Account, EntrySection, Profile, int | None] | Response:
        """The account, the section, the profile and the entry's index (0-based; ``None``
        for a new one) a per-entry address names; the sign-in page when signed out."""
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        section = section_by_slug(request.path_params["slug"])
        profile = await site.call(site.svc.profile, account.id)
        n = request.path_params.get("n")
        return account, section, profile, None if n is None else int(n) - 1

    def _entry_context(
        self, section: EntrySection, index: int | None, count: int, lang: str
    ) -> dict[str, Any]:
        number = count if index is None else index
        entry_id, entry_en = section.entry_label(number)
        return {
            "section": section,
            "n": None if index is None else index + 1,
            "entry_label": entry_en if is_english(lang) else entry_id,
            "count": count,
            "limits": {"min_year": MIN_YEAR, "max_year": MAX_YEAR},
            "month_pattern": MONTH_PATTERN,
            "gpa_pattern": GPA_PATTERN,
            "options": {f.name: list(f.options) for f in section.fields if f.options is not None},
        }

    async def entry_form(self, request: Request) -> Response:
        """The add or edit form of one entry (404 for an entry that is not there)."""
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, profile, index = found
        entries = entries_of(profile, section)
        if index is not None and not 0 <= index < len(entries):
            raise HTTPException(status_code=404)
        lang = select_language(request)
        context = {
            **self._entry_context(section, index, len(entries), lang),
            "account": account,
            "values": entry_values(section, None if index is None else entries[index]),
            "full": index is None and len(entries) >= section.limit,
        }
        return self.site.render(request, "profile_entry.html", context)

    async def _entry_refused(
        self,
        request: Request,
        account: Account,
        section: EntrySection,
        index: int | None,
        count: int,
        error: SiapkerjaError,
        values: Mapping[str, Any],
    ) -> Response:
        """The entry form again: ``error`` on its fields, the ``values`` as sent."""
        lang = select_language(request)
        context = {
            **self._entry_context(section, index, count, lang),
            "account": account,
            "values": dict(values),
            "full": False,
        }
        fields = [section.form_name(n) for n in section.field_names]
        return self.site.form_error(
            request, "profile_entry.html", error, context, form_fields=fields
        )

    def _stale(self, request: Request, section: EntrySection) -> Response:
        """The list again, with word that the entry changed meanwhile."""
        self.site.flash_error(request, stale_entry_error())
        return self.site.redirect(request, "profile", fragment=section.key)

    @staticmethod
    def _current(request_fp: str, entries: tuple[object, ...], index: int) -> bool:
        """Whether the form's fingerprint is the one of the entry now at ``index``."""
        return 0 <= index < len(entries) and fingerprint(entries[index]) == request_fp

    async def entry_submit(self, request: Request) -> Response:
        """Add an entry (at the end) or save one, checked against a stale tab."""
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, profile, index = found
        site = self.site
        form = await request.form()
        values = submitted_values(section, form)
        entries: list[Any] = list(entries_of(profile, section))
        at = len(entries) if index is None else index
        problem: SiapkerjaError | None = None
        if index is None and len(entries) >= section.limit:
            problem = too_many_error(section)
        elif index is not None and not self._current(values["fp"], tuple(entries), index):
            problem = stale_entry_error()
        entry = entry_changes(section, form)
        if problem is None:
            if index is None:
                entries.append(entry)
            else:
                entries[index] = edited(entries[index], entry)
            # A forgotten end is the web's own question; the core's refusals come with it,
            # all at once (the entry is then only checked, not saved).
            forgotten = missing_end(section, entry, form)
            try:
                if forgotten:
                    await site.call(merge_profile, profile, {section.key: entries})
                else:
                    await site.call(
                        partial(site.svc.update_profile, account.id, **{section.key: entries})
                    )
            except ProfileError as error:
                problem = worded_entry_error(error, section)
            except SiapkerjaError as error:
                problem = error
            if forgotten:
                problem = with_problem(problem, end_required_error(section, at))
        if problem is not None:
            count = len(entries_of(profile, section))
            return await self._entry_refused(
                request, account, section, index, count, problem, values
            )
        site.flash_key(request, "success", "profile.saved")
        return site.redirect(request, "profile", fragment=f"{section.key}-{at + 1}")

    async def remove_form(self, request: Request) -> Response:
        """Without JavaScript, removing asks first: this page names the entry."""
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, profile, index = found
        entries = entries_of(profile, section)
        if index is None or not 0 <= index < len(entries):
            raise HTTPException(status_code=404)
        lang = select_language(request)
        context = {
            **self._entry_context(section, index, len(entries), lang),
            "account": account,
            "summary": entry_summary(entries[index], lang),
            "fp": fingerprint(entries[index]),
        }
        return self.site.render(request, "profile_remove.html", context)

    async def remove_submit(self, request: Request) -> Response:
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, profile, index = found
        site = self.site
        form = await request.form()
        entries = list(entries_of(profile, section))
        if index is None or not self._current(form_text(form, "fp"), tuple(entries), index):
            return self._stale(request, section)
        del entries[index]
        await site.call(partial(site.svc.update_profile, account.id, **{section.key: entries}))
        site.flash_key(request, "success", "profile_entry.removed")
        return site.redirect(request, "profile", fragment=section.key)

    async def move_submit(self, request: Request) -> Response:
        """Move an entry one place up (``arah=naik``) or down (``turun``)."""
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, profile, index = found
        site = self.site
        form = await request.form()
        entries = list(entries_of(profile, section))
        if index is None or not self._current(form_text(form, "fp"), tuple(entries), index):
            return self._stale(request, section)
        step = {"naik": -1, "turun": 1}.get(form_text(form, "arah"))
        if step is None:
            raise HTTPException(status_code=400)
        to = index + step
        if 0 <= to < len(entries):
            entries[index], entries[to] = entries[to], entries[index]
            await site.call(partial(site.svc.update_profile, account.id, **{section.key: entries}))
            site.flash_key(request, "success", "profile_entry.moved")
        return site.redirect(
            request, "profile", fragment=f"{section.key}-{max(0, min(to, len(entries) - 1)) + 1}"
        )
