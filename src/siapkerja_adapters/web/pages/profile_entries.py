"""The profile's list sections edited one entry at a time, each on a page of its own.

This module owns the pages of the entries of the profile's list sections —
languages, work experience, education, certificates, achievements
(:data:`~.profile_form.ENTRY_SECTIONS`) — so that all of it works without
JavaScript (post/redirect/get, back to ``/profil#work-2``):

* ``GET/POST /profil/{slug}/baru`` — add an entry (``bahasa``, ``pekerjaan``,
  ``pendidikan``, ``sertifikat``, ``pencapaian``), at the end;
* ``GET/POST /profil/{slug}/{n}`` — the ``n``-th entry (from 1): edit it;
* ``GET/POST /profil/{slug}/{n}/hapus`` — remove it, after a confirmation page
  (with JavaScript, a dialog: ``static/profile.js``);
* ``POST /profil/{slug}/{n}/pindah`` — move it up (``arah=naik``) or down.

Every per-entry form carries the fingerprint of the entry it was drawn for
(:func:`.profile_form.fingerprint`); when the entry at that place has changed
since (another tab, another device), the form is refused rather than applied
to whichever entry sits there now. A refused entry shows its form again with
every problem on its field, worded by the field's label and the entry's
number ("IPK (Pendidikan 2): …", :func:`.profile_form.worded_entry_error`).
The list itself is drawn on the profile page (:func:`entry_lists`).

The check is made again inside the save (:meth:`Siapkerja.edit_profile`: the
list is read in the write that changes it), so two saves at the same instant
from two tabs neither both pass the check nor drop each other's entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import (
    GPA_MAX_LENGTH,
    GPA_PATTERN,
    MONTH_PATTERN,
    YEAR_DIGITS,
    YEAR_PATTERN,
    form_text,
)
from siapkerja_adapters.web.pages.profile_form import (
    ENTRY_SECTIONS,
    EntrySection,
    ProfileFieldError,
    edited,
    end_required_error,
    entries_of,
    entry_changes,
    entry_summary,
    entry_values,
    fingerprint,
    missing_end,
    section_by_slug,
    stale_entry_error,
    submitted_values,
    too_many_error,
    with_problem,
    worded_entry_error,
)
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.converter import merge_profile
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import is_english
from siapkerja_core.profile import Profile, ProfileError
from siapkerja_core.profile.dates import MAX_YEAR, MIN_YEAR
from siapkerja_core.views import Account

__all__ = ["ProfileEntryPages", "entry_lists"]


def entry_lists(profile: Profile) -> list[dict[str, Any]]:
    """Every list section with its entries (``n`` from 1, the entry, its fingerprint), for
    the profile page; the template words each with ``entry_summary(entry, lang)``."""
    return [
        {
            "section": section,
            "entries": [
                {"n": n, "entry": entry, "fp": fingerprint(entry)}
                for n, entry in enumerate(entries_of(profile, section), start=1)
            ],
            "full": len(entries_of(profile, section)) >= section.limit,
        }
        for section in ENTRY_SECTIONS.values()
    ]


class ProfileEntryPages:
    """The list sections' entries: add, edit, move, remove."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/profil/{slug}/baru", self.entry_form, "profile_entry_new"),
            post_route("/profil/{slug}/baru", self.entry_submit, "profile_entry_add"),
            get_route("/profil/{slug}/{n:int}", self.entry_form, "profile_entry"),
            post_route("/profil/{slug}/{n:int}", self.entry_submit, "profile_entry_save"),
            get_route("/profil/{slug}/{n:int}/hapus", self.remove_form, "profile_entry_remove"),
            post_route("/profil/{slug}/{n:int}/hapus", self.remove_submit, "profile_entry_removed"),
            # Its buttons are on the profile page: a refusal goes back there.
            post_route(
                "/profil/{slug}/{n:int}/pindah",
                self.move_submit,
                "profile_entry_move",
                page="profile",
            ),
        ]

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
            "gpa_length": GPA_MAX_LENGTH,
            "year_pattern": YEAR_PATTERN,
            "year_length": YEAR_DIGITS,
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

            def apply(current: Profile) -> dict[str, Any]:
                """The section as stored now, with the entry added or saved (checked again)."""
                now: list[Any] = list(entries_of(current, section))
                if index is None:
                    if len(now) >= section.limit:
                        raise too_many_error(section)
                    return {section.key: [*now, entry]}
                if not self._current(values["fp"], tuple(now), index):
                    raise stale_entry_error()
                now[index] = edited(now[index], entry)
                return {section.key: now}

            try:
                if forgotten:
                    await site.call(merge_profile, profile, {section.key: entries})
                else:
                    await site.call(site.svc.edit_profile, account.id, apply)
            except ProfileFieldError as error:
                problem = error  # the web's own refusals (a stale tab, a full list): worded
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

    async def _rearrange(
        self,
        account: Account,
        section: EntrySection,
        index: int,
        fp: str,
        change: Callable[[list[Any]], None],
    ) -> bool:
        """Apply ``change`` to the section's list as stored now, if the entry at ``index``
        is still the one the form was drawn for (checked inside the write); whether it was."""

        def edit(current: Profile) -> dict[str, Any]:
            now: list[Any] = list(entries_of(current, section))
            if not self._current(fp, tuple(now), index):
                raise stale_entry_error()
            change(now)
            return {section.key: now}

        try:
            await self.site.call(self.site.svc.edit_profile, account.id, edit)
        except ProfileFieldError:
            return False
        return True

    async def remove_submit(self, request: Request) -> Response:
        found = await self._entry_page(request)
        if isinstance(found, Response):
            return found
        account, section, _profile, index = found
        site = self.site
        form = await request.form()

        if index is None:
            return self._stale(request, section)
        at = index

        def remove(entries: list[Any]) -> None:
            del entries[at]

        if not await self._rearrange(account, section, at, form_text(form, "fp"), remove):
            return self._stale(request, section)
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
        count = len(entries_of(profile, section))
        step = {"naik": -1, "turun": 1}.get(form_text(form, "arah"))
        if index is None or not 0 <= index < count:
            return self._stale(request, section)
        if step is None:
            raise HTTPException(status_code=400)
        to = index + step

        def move(entries: list[Any]) -> None:
            if 0 <= to < len(entries):  # the first cannot go up, nor the last down
                entries[index], entries[to] = entries[to], entries[index]

        if not await self._rearrange(account, section, index, form_text(form, "fp"), move):
            return self._stale(request, section)
        if 0 <= to < count:
            site.flash_key(request, "success", "profile_entry.moved")
        return site.redirect(
            request, "profile", fragment=f"{section.key}-{max(0, min(to, count - 1)) + 1}"
        )
