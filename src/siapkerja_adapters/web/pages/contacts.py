"""The holder's contacts, and recovery with the second contact when the phone is lost.

This module owns, signed in, ``/akun/kontak`` (the account's phone and e-mail,
masked, the second contact, and every change waiting for its code) with its
forms ``/akun/kontak/{target}`` (ask: a code goes to the new contact; ``target``
is ``hp``, ``email`` or ``kedua``), ``/akun/kontak/{target}/kode`` (confirm with
the code) and ``/akun/kontak/kedua/hapus``; and, from the sign-in page's
recovery, ``/pemulihan/kontak-kedua`` ("nomor hilang": a NIK, e-mail or phone;
the answer never says whether an account or a second contact exists) and
``/pemulihan/kontak-kedua/atur-ulang`` (the code sent to the second contact, a
new password and the new phone number, whose own code is then asked on
``/akun/kontak``). A confirmed phone or e-mail change ends the other sessions:
this browser is signed in again with the new one.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.errors import InputError, SiapkerjaError
from siapkerja_core.views import Account

__all__ = ["ContactPages"]

RECOVERY_SECOND_KEY: Final = "reset_second"
"""The session key of a recovery by the second contact under way (its request id)."""

# The address's word for each target, and the facade's name of it.
_TARGETS: Final = {"hp": "phone", "email": "email", "kedua": "second"}
_FIELD: Final = {"phone": "phone", "email": "email", "second": "contact"}


class ContactPages:
    """*Kontak*: change the phone and e-mail, keep a second contact; recover with it."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/akun/kontak", self.contacts, "contacts"),
            post_route("/akun/kontak/kedua/hapus", self.remove_second, "contacts_second_remove"),
            post_route("/akun/kontak/{target}", self.ask, "contacts_ask"),
            post_route("/akun/kontak/{target}/kode", self.confirm, "contacts_confirm"),
            get_route("/pemulihan/kontak-kedua", self.recovery, "recovery_second"),
            post_route("/pemulihan/kontak-kedua", self.recovery_submit, "recovery_second_submit"),
            get_route(
                "/pemulihan/kontak-kedua/atur-ulang", self.recovery_reset, "recovery_second_reset"
            ),
            post_route(
                "/pemulihan/kontak-kedua/atur-ulang",
                self.recovery_reset_submit,
                "recovery_second_reset_submit",
            ),
        ]

    # --- signed in: the account's contacts ------------------------------------------------

    def _data(self, account: Account) -> dict[str, Any]:
        contacts = self.site.svc.contacts
        second = contacts.second_contact(account.id)
        return {
            "phone_masked": account.phone_masked,
            "email_masked": account.email_masked,
            "second": None if second is None else second.masked,
            "pending": {t: contacts.pending(account.id, t) for t in ("phone", "email", "second")},
            "code_length": self.site.svc.policy.otp_length,
            "limits": {**INPUT_LIMITS, "contact": INPUT_LIMITS["email"]},
        }

    async def contacts(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        data = await site.call(self._data, account)
        return site.render(request, "contacts.html", {**data, "account": account})

    async def ask(self, request: Request) -> Response:
        site = self.site
        target = _TARGETS.get(request.path_params.get("target", ""))
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        if target is None:
            return site.redirect(request, "contacts")
        form = await request.form()
        field = _FIELD[target]
        value = form_text(form, field)
        contacts = site.svc.contacts
        ask = {
            "phone": contacts.request_phone_change,
            "email": contacts.request_email_change,
            "second": contacts.request_second_contact,
        }[target]
        try:
            if not value:
                raise InputError.of("required", field, f"contacts.field.{field}")
            pending = await site.call(ask, account.id, value)
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "contacts.html",
                error,
                {**(await site.call(self._data, account)), "account": account},
                form_fields=(field,),
                rename={"contact": field} if target == "second" else None,
            )
        site.flash_key(request, "success", "contacts.code_sent", contact=pending.masked)
        return site.redirect(request, "contacts", fragment=f"pending-{target}")

    async def confirm(self, request: Request) -> Response:
        site = self.site
        target = _TARGETS.get(request.path_params.get("target", ""))
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        if target is None:
            return site.redirect(request, "contacts")
        form = await request.form()
        code = form_text(form, "code")
        contacts = site.svc.contacts
        try:
            if target == "second":
                await site.call(contacts.confirm_second_contact, account.id, code)
            else:
                confirm = (
                    contacts.confirm_phone_change
                    if target == "phone"
                    else contacts.confirm_email_change
                )
                changed = await site.call(confirm, account.id, code)
                site.sign_in(request, changed)  # the other sessions ended
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "contacts.html",
                error,
                {**(await site.call(self._data, account)), "account": account},
                form_fields=("code",),
            )
        site.flash_key(request, "success", f"contacts.changed.{target}")
        return site.redirect(request, "contacts")

    async def remove_second(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        await request.form()
        await site.call(site.svc.contacts.remove_second_contact, account.id)
        site.flash_key(request, "success", "contacts.second_removed")
        return site.redirect(request, "contacts")

    # --- recovery with the second contact ---------------------------------------------------

    async def recovery(self, request: Request) -> Response:
        return self.site.render(request, "recovery_second.html", {"limits": INPUT_LIMITS})

    async def recovery_submit(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        identifier = form_text(form, "identifier")
        try:
            if not identifier:
                raise InputError.of("required", "identifier", "input.field.identifier")
            answer = await site.call(site.svc.contacts.request_recovery, identifier)
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "recovery_second.html",
                error,
                {"values": {"identifier": identifier}, "limits": INPUT_LIMITS},
                form_fields=("identifier",),
            )
        request.session[RECOVERY_SECOND_KEY] = answer.id
        site.flash_key(request, "success", "recovery_second.sent")
        return site.redirect(request, "recovery_second_reset")

    def _reset_context(self) -> dict[str, object]:
        return {"limits": INPUT_LIMITS, "code_length": self.site.svc.policy.otp_length}

    async def recovery_reset(self, request: Request) -> Response:
        if not isinstance(request.session.get(RECOVERY_SECOND_KEY), str):
            return self.site.redirect(request, "recovery_second")
        return self.site.render(request, "recovery_second_reset.html", self._reset_context())

    async def recovery_reset_submit(self, request: Request) -> Response:
        site = self.site
        request_id = request.session.get(RECOVERY_SECOND_KEY)
        if not isinstance(request_id, str):
            return site.redirect(request, "recovery_second")
        form = await request.form()
        code = form_text(form, "code")
        phone = form_text(form, "phone")
        password = form.get("new_password")
        try:
            account, pending = await site.call(
                site.svc.contacts.complete_recovery,
                request_id,
                code,
                password if isinstance(password, str) else "",
                phone,
            )
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "recovery_second_reset.html",
                error,
                {**self._reset_context(), "values": {"phone": phone}},
                form_fields=("code", "new_password", "phone"),
                rename={"password": "new_password"},
            )
        request.session.pop(RECOVERY_SECOND_KEY, None)
        site.sign_in(request, account)
        if pending is None:  # the phone is the same, or a sending cap holds: ask again here
            site.flash_key(request, "success", "recovery_second.done_later")
            return site.redirect(request, "contacts")
        site.flash_key(request, "success", "recovery_second.done")
        return site.redirect(request, "contacts", fragment="pending-phone")
