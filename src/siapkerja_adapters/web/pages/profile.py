"""The profile page: every section's form and the photo upload.

This module owns ``/profil`` (the holder's profile with its completeness and
warnings; the addresses are a summary, edited on the region picker's pages,
:mod:`.addresses`), ``/profil/{section}`` (one of the page's own forms:
biodata, skills, visibility; ``addresses`` still takes both addresses' fields
at once, as earlier pages and scripts post them) and ``/profil/foto`` (the
photo, read up to its size limit). A refused change shows the page again with
every problem on its field (:meth:`ProfilePages.refused`, also how the card
page shows a profile not yet complete enough for a card). The forms' values
are :mod:`.profile_form`; the list sections (languages, work, education,
certificates, achievements) list every entry here, each edited on a page of
its own (:mod:`.profile_entries`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from functools import partial
from typing import Any

import attrs
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.addresses import address_summary
from siapkerja_adapters.web.pages.profile_entries import ProfileEntryPages, entry_lists
from siapkerja_adapters.web.pages.profile_form import (
    MAX_SKILLS_TEXT,
    PUBLISHABLE,
    biodata_error,
    entry_summary,
    profile_changes,
    profile_values,
    skills_error,
)
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.profile import (
    MAX_ITEMS,
    MAX_PHOTO_BYTES,
    MIN_PHOTO_BYTES,
    EducationLevel,
    EmploymentStatus,
    LanguageLevel,
    MaritalStatus,
    Photo,
    ProfileError,
    Religion,
    Sex,
    Stakeholder,
)
from siapkerja_core.profile.lengths import MAX_TERM_LENGTH
from siapkerja_core.views import Account

__all__ = ["ProfilePages", "photo_tag"]


def photo_tag(photo: Photo) -> str:
    """A strong validator of the photo: a hash of its bytes and media type."""
    digest = hashlib.blake2b(photo.content, digest_size=12, person=b"siapkerja-foto")
    digest.update(photo.media_type.encode("ascii"))
    return digest.hexdigest()


def _matches(header: str | None, tag: str) -> bool:
    """``If-None-Match`` names ``tag`` (or ``*``)."""
    if not header:
        return False
    wanted = f'"{tag}"'
    return any(item.strip() in (wanted, "*", "W/" + wanted) for item in header.split(","))


class ProfilePages:
    """*Profil*: the page, a section's form, the photo."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/profil", self.profile, "profile"),
            # Before /profil/{section}, which would take "foto" for a section.
            get_route("/profil/foto", self.photo_image, "profile_photo_image"),
            post_route("/profil/foto", self.photo_submit, "profile_photo", files=1, page="profile"),
            post_route("/profil/{section}", self.profile_submit, "profile_section"),
            *ProfileEntryPages(self.site).routes(),
        ]

    def _profile_data(self, account: Account) -> dict[str, Any]:
        return self._overview_data(account)[1]

    def _overview_data(self, account: Account) -> tuple[Hashable, dict[str, Any]]:
        """What the page shows, compared to know whether its cached render still holds
        (the account, the overview with the photo as its tag), and the page's data."""
        overview = self.site.svc.profile_overview(account.id)  # one read-only unit of work
        profile = overview.profile
        tag = photo_tag(profile.photo) if profile.photo else None
        shown = (account, attrs.evolve(overview, profile=attrs.evolve(profile, photo=None)), tag)
        return shown, {
            "profile": profile,
            "completeness": overview.completeness,
            "warnings": overview.warnings,
            "has_card": overview.has_card,
            "addresses": {
                "ktp": address_summary(profile.ktp_address),
                "dom": address_summary(profile.domicile_address),
                "same": profile.ktp_address is not None
                and profile.ktp_address == profile.domicile_address,
            },
            # The photo by its own URL (cached by the browser), not inlined on every render:
            # it was most of the page's bytes. The tag changes with the photo.
            "photo_tag": tag,
            "lists": entry_lists(profile),
            "entry_summary": entry_summary,
        }

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
            "max_skills": MAX_ITEMS["skills"],
            "max_skill_length": MAX_TERM_LENGTH,
        }

    async def profile(self, request: Request) -> Response:
        site = self.site
        if (kept := await site.kept_page(request, "profile.html")) is not None:
            return kept  # nothing committed since it was read: served unread
        found = await site.signed_in(request, self._overview_data)
        if found is None:
            return site.to_login(request)
        account, (shown, data) = found
        # Rendered again only when what it shows changed (the 26 kB page is most of its time).
        context = self._profile_context(account, data)
        return site.render_shown(request, "profile.html", context, shown)

    async def refused(
        self,
        request: Request,
        account: Account,
        error: SiapkerjaError,
        values: Mapping[str, Any] | None = None,
    ) -> Response:
        """The profile page again, ``error`` on its fields, the ``values`` as submitted."""
        data = await self.site.call(self._profile_data, account)
        context = self._profile_context(account, data, values)
        fields = {*context["values"], "languages", "photo", "visibility", "skills"}
        return self.site.form_error(
            request,
            "profile.html",
            error,
            context,
            form_fields=fields,
            redirect_to=self.site.url(request, "profile"),  # also the card page's refusal
        )

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
                error = skills_error(error)  # "Keahlian (ke-2): …", not skills[1]
            elif section == "biodata" and isinstance(error, ProfileError):
                error = biodata_error(error)  # "Tanggal lahir: …", not biodata.birth_date
            submitted: dict[str, Any] = {
                key: value for key, value in form.items() if isinstance(value, str)
            }
            if section == "visibility":
                submitted["published"] = form.getlist("published")
            submitted.pop("csrf_token", None)
            return await self.refused(request, account, error, submitted)
        site.flash_key(request, "success", "profile.saved")
        return site.redirect(request, "profile", fragment=section)

    async def photo_image(self, request: Request) -> Response:
        """The holder's own photo: private to the browser, revalidated by its ETag."""
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        profile = await site.call(site.svc.profile, account.id)
        photo = profile.photo
        if photo is None:
            return Response(status_code=404)
        tag = photo_tag(photo)
        # The page links ?v=<tag>: that URL names this photo only and may be kept a day.
        # Any other URL (an old tag, none) is revalidated on every use.
        fresh = request.query_params.get("v") == tag
        headers = {
            "ETag": f'"{tag}"',
            "Cache-Control": "private, max-age=86400" if fresh else "private, no-cache",
        }
        if _matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        return Response(photo.content, media_type=photo.media_type, headers=headers)

    async def photo_submit(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        upload = form.get("photo")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return site.refuse(request, "profile.photo_required", "photo")
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
