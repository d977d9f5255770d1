"""The holder's programmes page: "am I eligible?" for every public programme.

This module owns ``/program``: each public programme (JKP, BSU, Prakerja …)
with the holder's answer — eligible or not, and every requirement with its
outcome and reason in the page's language — and the programmes the holder
was admitted to. Nothing is changed here: the employment status a rule asks
for is set in the profile's biodata.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.i18n import select_language
from siapkerja_adapters.web.pages.forms import account_zone
from siapkerja_adapters.web.pages.site import Site, get_route
from siapkerja_core.views import Account

__all__ = ["ProgrammePages"]


class ProgrammePages:
    """*Program*: the holder's eligibility, programme by programme."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [get_route("/program", self.programmes, "programmes")]

    def _data(self, account: Account, lang: str) -> dict[str, Any]:
        svc = self.site.svc
        enrolled = {e.programme_id: e for e in svc.programmes.enrolments_of(account.id)}
        shown = []
        for programme in svc.programmes.all():
            answer = svc.programmes.check(programme.id, account.id)
            enrolment = enrolled.get(programme.id)
            shown.append(
                {
                    "id": programme.id,
                    "name": programme.name,
                    "description": programme.description,
                    "eligible": answer.eligible,
                    "enrolled": None if enrolment is None else enrolment.enrolled_at,
                    "results": [
                        {
                            "outcome": result.outcome.value,
                            "reason": result.reason(lang),
                        }
                        for result in answer.results
                    ],
                }
            )
        return {"programmes": shown, "zone": account_zone(svc, account)}

    async def programmes(self, request: Request) -> Response:
        site = self.site
        if (kept := await site.kept_page(request, "programmes.html")) is not None:
            return kept  # nothing committed since it was read: served unread
        found = await site.signed_in(request, self._data, select_language(request))
        if found is None:
            return site.to_login(request)
        account, data = found
        # Rendered again only when what it shows (read for this request) changed.
        context = {**data, "account": account}
        return site.render_shown(request, "programmes.html", context, (account, data))
