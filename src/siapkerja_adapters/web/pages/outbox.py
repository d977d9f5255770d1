"""The development SMS outbox: what the console or memory SMS sender "sent".

This module owns ``/dev/outbox``, routed in development mode only
(``create_app(dev=True)``): the messages newest first, so that a developer
can read an OTP without a phone. A sender that keeps no copy says so.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from siapkerja_adapters.web.pages.forms import national_phone
from siapkerja_adapters.web.pages.site import Site, get_route

__all__ = ["OutboxPage"]


class OutboxPage:
    """The SMS outbox (development mode)."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        return [get_route("/dev/outbox", self.outbox, "dev_outbox")] if self.site.dev else []

    async def outbox(self, request: Request) -> Response:
        """The SMS the console or memory sender "sent", newest first (development mode only)."""
        site = self.site
        if not site.dev:  # not even routed outside dev mode; kept as a second lock
            raise HTTPException(status_code=404)
        kept = getattr(site.svc.sms, "messages", None)
        messages = None
        if kept is not None:
            messages = [
                {"to": national_phone(m.to), "at": m.sent_at, "text": m.text}
                for m in reversed(list(kept))
            ]
        account = await site.current_account(request)
        return site.render(
            request,
            "outbox.html",
            {
                "messages": messages,
                "sender": site.svc.settings.adapter_name("sms"),
                "account": account,
            },
        )
