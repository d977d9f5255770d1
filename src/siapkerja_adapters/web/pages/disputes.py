"""Disputes over a NIK and identity re-proofing: claimant, holder and officer pages.

This module owns

* ``/klaim-nik`` — "NIK ini sudah terdaftar — ajukan klaim": the Dukcapil
  match, the new account's contacts and password; ``/verifikasi-identitas``
  — re-proofing for a holder who lost phone and e-mail; both go on to
  ``/klaim-nik/kode`` (the new phone's code) and ``/klaim-nik/status`` (the
  case as it stands). The case under way is kept in the (signed) session.
* ``/akun/sengketa`` — the signed-in holder's open disputes and their answer
  ("ini akun saya" / "saya tidak memakainya lagi").
* ``/petugas/sengketa`` — the officers' desk: an administrator's API key,
  typed once and kept sealed in the session (as the gate screen keeps a
  station's), the overdue and open cases, one case with its evidence and
  trail (``/petugas/sengketa/kasus/{case_id}``), the in-person check and the decision.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import INPUT_LIMITS, form_text
from siapkerja_adapters.web.pages.officer import OfficerSignIn
from siapkerja_adapters.web.pages.site import Site, get_route, post_route
from siapkerja_core.contact import mask_email, mask_phone
from siapkerja_core.disputes import OPEN, CaseKind, CaseRecord
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.views import mask_nik

__all__ = ["CASE_KEY", "DisputePages"]

CASE_KEY: Final = "dispute_case"
"""The session's case under way (its id): the signed cookie proves it was opened here."""


def _officer_view(case: CaseRecord, now: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind.value,
        "status": case.status_at(now).value,
        "nik": mask_nik(case.nik),
        "full_name": case.full_name,
        "phone": mask_phone(case.phone),
        "email": None if case.email is None else mask_email(case.email),
        "created_at": case.created_at,
        "due_at": case.due_at,
        "overdue": case.overdue(now),
        "answer": None if case.answer is None else case.answer.value,
        "evidence": case.evidence,
        "open": case.open,
        "decidable": case.kind is CaseKind.DISPUTE and case.open,
        "new_account_id": case.new_account_id,
    }


class DisputePages:
    """*Klaim NIK*, *Verifikasi identitas*, the holder's answer and the officers' desk."""

    def __init__(self, site: Site, officers: OfficerSignIn) -> None:
        self.site = site
        self.officers = officers  # one sign-in with the other officers' desks

    def routes(self) -> list[BaseRoute]:
        return [
            get_route("/klaim-nik", self.claim, "dispute_claim"),
            post_route("/klaim-nik", self.claim_submit, "dispute_claim_submit"),
            get_route("/verifikasi-identitas", self.reproofing, "reproofing"),
            post_route("/verifikasi-identitas", self.reproofing_submit, "reproofing_submit"),
            get_route("/klaim-nik/kode", self.code, "dispute_code"),
            post_route("/klaim-nik/kode", self.code_submit, "dispute_code_submit"),
            get_route("/klaim-nik/status", self.status, "dispute_status"),
            get_route("/akun/sengketa", self.holder, "holder_disputes"),
            post_route("/akun/sengketa", self.holder_answer, "holder_disputes_answer"),
            get_route("/petugas/sengketa", self.desk, "dispute_desk"),
            post_route("/petugas/sengketa", self.desk_signin, "dispute_desk_signin"),
            get_route("/petugas/sengketa/kasus/{case_id}", self.desk_case, "dispute_desk_case"),
            post_route("/petugas/sengketa/kasus/{case_id}", self.desk_act, "dispute_desk_act"),
        ]

    # --- the claimant (and the holder re-proofing) ---------------------------------------

    def _open_context(self, kind: str) -> dict[str, Any]:
        return {"limits": INPUT_LIMITS, "kind": kind}

    async def claim(self, request: Request) -> Response:
        return self.site.render(request, "dispute_open.html", self._open_context("dispute"))

    async def reproofing(self, request: Request) -> Response:
        return self.site.render(request, "dispute_open.html", self._open_context("reproofing"))

    async def claim_submit(self, request: Request) -> Response:
        return await self._open(request, CaseKind.DISPUTE)

    async def reproofing_submit(self, request: Request) -> Response:
        return await self._open(request, CaseKind.REPROOFING)

    async def _open(self, request: Request, kind: CaseKind) -> Response:
        site = self.site
        form = await request.form()
        values = {name: form_text(form, name) for name in ("nik", "full_name", "email", "phone")}
        mother_name = form_text(form, "mother_name")
        raw_password = form.get("password")
        password = raw_password if isinstance(raw_password, str) else ""
        disputes = site.svc.disputes
        try:
            if kind is CaseKind.DISPUTE:
                view = await site.call(
                    lambda: disputes.open_claim(
                        values["nik"],
                        values["full_name"],
                        mother_name,
                        email=values["email"],
                        phone=values["phone"],
                        password=password,
                    )
                )
            else:
                view = await site.call(
                    lambda: disputes.start_reproofing(
                        values["nik"],
                        values["full_name"],
                        mother_name,
                        phone=values["phone"],
                        email=values["email"] or None,
                        password=password or None,
                    )
                )
        except SiapkerjaError as error:
            return site.form_error(
                request,
                "dispute_open.html",
                error,
                {**self._open_context(kind.value), "values": values},
                form_fields=("nik", "full_name", "mother_name", "email", "phone", "password"),
            )
        request.session[CASE_KEY] = view.id
        site.flash_key(request, "success", "dispute.code_sent")
        return site.redirect(request, "dispute_code")

    def _case_id(self, request: Request) -> str | None:
        held = request.session.get(CASE_KEY)
        return held if isinstance(held, str) else None

    async def code(self, request: Request) -> Response:
        if self._case_id(request) is None:
            return self.site.redirect(request, "dispute_claim")
        context = {"code_length": self.site.svc.policy.otp_length}
        return self.site.render(request, "dispute_code.html", context)

    async def code_submit(self, request: Request) -> Response:
        site = self.site
        case_id = self._case_id(request)
        if case_id is None:
            return site.redirect(request, "dispute_claim")
        form = await request.form()
        try:
            if form_text(form, "action") == "resend":
                await site.call(site.svc.disputes.resend_code, case_id)
                site.flash_key(request, "success", "dispute.code_sent")
                return site.redirect(request, "dispute_code")
            await site.call(site.svc.disputes.confirm, case_id, form_text(form, "code"))
        except SiapkerjaError as error:
            context = {"code_length": site.svc.policy.otp_length}
            return site.form_error(
                request, "dispute_code.html", error, context, form_fields=("code",)
            )
        return site.redirect(request, "dispute_status")

    async def status(self, request: Request) -> Response:
        site = self.site
        case_id = self._case_id(request)
        if case_id is None:
            return site.redirect(request, "dispute_claim")
        try:
            view = await site.call(site.svc.disputes.view, case_id)
        except SiapkerjaError:
            request.session.pop(CASE_KEY, None)
            return site.redirect(request, "dispute_claim")
        return site.render(request, "dispute_status.html", {"case": view})

    # --- the holder of a disputed account --------------------------------------------------

    async def holder(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        cases = await site.call(site.svc.disputes.holder_cases, account.id)
        return site.render(request, "dispute_holder.html", {"cases": cases, "account": account})

    async def holder_answer(self, request: Request) -> Response:
        site = self.site
        account = await site.current_account(request)
        if account is None:
            return site.to_login(request)
        form = await request.form()
        try:
            await site.call(
                site.svc.disputes.answer,
                account.id,
                form_text(form, "case_id"),
                form_text(form, "answer"),
            )
        except SiapkerjaError as error:
            site.flash_error(request, error)
            return site.redirect(request, "holder_disputes")
        site.flash_key(request, "success", "dispute.answered")
        return site.redirect(request, "holder_disputes")

    # --- the officers' desk ------------------------------------------------------------------

    async def _officer(self, request: Request) -> Any:
        return await self.officers.current(request)

    async def desk(self, request: Request) -> Response:
        site = self.site
        officer = await self._officer(request)
        if officer is None:
            return site.render(request, "dispute_desk.html", {"officer": None})
        svc = site.svc
        now = svc.now()
        overdue = await site.call(svc.disputes.overdue)
        cases = []
        for status in sorted(OPEN):  # the open ones, however many closed cases there are
            cases += await site.call(lambda s=status: svc.disputes.cases(status=s))
        context = {
            "officer": officer,
            "overdue": [_officer_view(c, now) for c in overdue],
            "cases": [_officer_view(c, now) for c in sorted(cases, key=lambda c: c.created_at)],
        }
        return site.render(request, "dispute_desk.html", context)

    async def desk_signin(self, request: Request) -> Response:
        site = self.site
        form = await request.form()
        if form_text(form, "action") == "signout":
            self.officers.sign_out(request)
            return site.redirect(request, "dispute_desk")
        try:
            await self.officers.sign_in(request, form_text(form, "admin_key"))
        except SiapkerjaError as error:
            return site.form_error(
                request, "dispute_desk.html", error, {"officer": None}, form_fields=("admin_key",)
            )
        return site.redirect(request, "dispute_desk")

    async def desk_case(self, request: Request) -> Response:
        site = self.site
        officer = await self._officer(request)
        if officer is None:
            return site.redirect(request, "dispute_desk")
        case_id = str(request.path_params["case_id"])
        try:
            case = await site.call(site.svc.disputes.get, case_id)
            trail = await site.call(site.svc.disputes.trail, case_id)
        except SiapkerjaError as error:
            site.flash_error(request, error)
            return site.redirect(request, "dispute_desk")
        context = {
            "officer": officer,
            "case": _officer_view(case, site.svc.now()),
            "trail": trail,
        }
        return site.render(request, "dispute_case.html", context)

    async def desk_act(self, request: Request) -> Response:
        site = self.site
        officer = await self._officer(request)
        if officer is None:
            return site.redirect(request, "dispute_desk")
        form = await request.form()
        case_id = str(request.path_params["case_id"])
        actor = f"verifier:{officer.id}"
        disputes = site.svc.disputes
        try:
            if form_text(form, "action") == "check":
                documents = [d for d in form_text(form, "documents").split(",") if d.strip()]
                await site.call(
                    lambda: disputes.record_check(
                        case_id,
                        officer_id=form_text(form, "officer_id"),
                        office=form_text(form, "office"),
                        documents=documents,
                        party=form_text(form, "party") or "claimant",
                        passed=form_text(form, "passed") != "no",
                        actor=actor,
                    )
                )
                site.flash_key(request, "success", "dispute.checked")
            else:
                upheld = form_text(form, "action") == "uphold"
                await site.call(
                    lambda: disputes.decide(
                        case_id, upheld=upheld, reason=form_text(form, "reason"), actor=actor
                    )
                )
                site.flash_key(request, "success", "dispute.decided")
        except (SiapkerjaError, ValueError) as error:
            if isinstance(error, SiapkerjaError):
                site.flash_error(request, error)
            return site.redirect(request, "dispute_desk_case", case_id=case_id)
        return site.redirect(request, "dispute_desk_case", case_id=case_id)
