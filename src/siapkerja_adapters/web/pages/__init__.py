"""The HTML pages: the brief's screens over the service facade, one module per screen.

This package owns :class:`Pages`, which gathers the screens and their
routes over one shared :class:`~.site.Site` (the facade, the templates, the
session and CSRF glue, the language):

* :mod:`.login` — sign in (the home page) and sign out;
* :mod:`.registration` — *Daftar*, steps 1 and 2;
* :mod:`.verification` — step 3, the SMS code;
* :mod:`.recovery` — password reset;
* :mod:`.factors` — *Keamanan akun*: second factors, the sign-in's second step, reset by factor;
* :mod:`.contacts` — the holder's phone, e-mail and second contact; recovery with it;
* :mod:`.profile` (and :mod:`.profile_form`) — the profile and its forms;
* :mod:`.addresses` — the region picker of both addresses, and the region data it loads;
* :mod:`.card` — the SIAPkerja-ID card and its codes;
* :mod:`.scan` (and :mod:`.scan_view`) — the profile a link QR opens;
* :mod:`.history` — the access history and consents;
* :mod:`.privacy` — the holder's rights (download, restrict, withdraw, object, erase);
* :mod:`.officer` — the officer's open rights requests (``/petugas/hak``);
* :mod:`.gate` — the gate and class check-in screen for staff (``/petugas``);
* :mod:`.outbox` — the development SMS outbox;
* :mod:`.errors` — HTTP errors and the last-resort 500 page;
* :mod:`.forms` — typed errors as form fields and statuses.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute
from starlette.templating import Jinja2Templates

from siapkerja_adapters.web.pages.addresses import AddressPages
from siapkerja_adapters.web.pages.card import CardPages
from siapkerja_adapters.web.pages.contacts import ContactPages
from siapkerja_adapters.web.pages.disputes import DisputePages
from siapkerja_adapters.web.pages.errors import ErrorPages
from siapkerja_adapters.web.pages.factors import FactorPages
from siapkerja_adapters.web.pages.forms import FormErrors, error_fields, page_status, profile_field
from siapkerja_adapters.web.pages.gate import GatePages
from siapkerja_adapters.web.pages.history import HistoryPages
from siapkerja_adapters.web.pages.login import LoginPages
from siapkerja_adapters.web.pages.officer import OfficerPages, OfficerSignIn
from siapkerja_adapters.web.pages.outbox import OutboxPage
from siapkerja_adapters.web.pages.privacy import PrivacyPages
from siapkerja_adapters.web.pages.profile import ProfilePages
from siapkerja_adapters.web.pages.profile_form import profile_changes, profile_values
from siapkerja_adapters.web.pages.programmes import ProgrammePages
from siapkerja_adapters.web.pages.recovery import RecoveryPages
from siapkerja_adapters.web.pages.registration import RegistrationPages
from siapkerja_adapters.web.pages.scan import SCAN_HEADERS, ScanPage
from siapkerja_adapters.web.pages.scan_view import present_view
from siapkerja_adapters.web.pages.site import Site, link_form_pages
from siapkerja_adapters.web.pages.verification import VerificationPages
from siapkerja_adapters.web.threads import WorkerThreads
from siapkerja_core.service import Siapkerja

__all__ = [
    "SCAN_HEADERS",
    "FormErrors",
    "Pages",
    "Site",
    "error_fields",
    "page_status",
    "present_view",
    "profile_changes",
    "profile_field",
    "profile_values",
]


class Pages:
    """Every HTML page of the binding over one service.

    :param svc: the service facade.
    :param templates: the Jinja2 templates (autoescaped).
    :param dev: development mode (the SMS outbox page and banner).
    :param threads: the worker threads facade calls run in (a pool of its own if ``None``).
    :param scan_threads: the worker threads scans run in (default: ``threads``).
    :param secret_key: the session secret (the gate screen seals a station's key under
        a key derived from it); a random one when ``None``.
    :param image_origins: the origins a branded logo or favicon loads from (added to
        the ``img-src`` of the policies pages set themselves).
    """

    def __init__(
        self,
        svc: Siapkerja,
        templates: Jinja2Templates,
        *,
        dev: bool = False,
        threads: WorkerThreads | None = None,
        scan_threads: WorkerThreads | None = None,
        secret_key: str | None = None,
        image_origins: Sequence[str] = (),
    ) -> None:
        self.site = Site(
            svc,
            templates,
            dev=dev,
            threads=threads,
            scan_threads=scan_threads,
            image_origins=image_origins,
        )
        self.scan = ScanPage(self.site)
        self.errors = ErrorPages(self.site)
        profile = ProfilePages(self.site)
        officers = OfficerSignIn(self.site, secret_key)  # one sign-in for every officers' desk
        self._screens = (
            self.scan,  # first: the busiest route (every phone that reads a card)
            LoginPages(self.site),
            RegistrationPages(self.site),
            VerificationPages(self.site),
            RecoveryPages(self.site),
            FactorPages(self.site),
            profile,
            AddressPages(self.site),
            CardPages(self.site, profile),
            HistoryPages(self.site),
            PrivacyPages(self.site),
            ProgrammePages(self.site),
            GatePages(self.site, secret_key),
            OfficerPages(self.site, officers),
            DisputePages(self.site, officers),
            OutboxPage(self.site),
            ContactPages(self.site),
        )

    def routes(self) -> list[BaseRoute]:
        """Every screen's routes, GET and POST of one address side by side; each form
        knows its GET page (where a refusal goes back to: :func:`.site.link_form_pages`)."""
        routes = [route for screen in self._screens for route in screen.routes()]
        link_form_pages(routes)
        return routes
