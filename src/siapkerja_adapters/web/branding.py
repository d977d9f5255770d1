"""Branding of the web pages: template and static overrides, name, logo, colours, links.

This module owns how a deployment (a ministry, a regional portal) dresses the
pages without forking them, as Django and Flask users expect:

* templates: a Jinja ``ChoiceLoader`` searches the deployment's
  ``templates_dir`` (one or more directories) before the package's
  templates; the package's own stay reachable under the ``siapkerja/``
  prefix, so an override can ``{% extends "siapkerja/base.html" %}`` and
  change one block;
* static files: ``static_dir`` shadows the package's files of the same name;
* ``/static/theme.css``: the colours as CSS custom properties, built once
  from the settings (no inline ``<style>``: the CSP allows only the site's
  own stylesheets);
* :func:`image_origins`: the origins of a logo or favicon at an absolute
  address, which every page's Content-Security-Policy adds to ``img-src``
  (the policy otherwise allows images from this site only);
* Jinja globals: ``brand`` (the :class:`~siapkerja_core.settings.Branding`),
  ``brand_asset(url, name)`` and ``with_links(t, key, …)``, which puts the
  privacy-policy and terms links into a translated sentence.

The values are checked in the core (:func:`siapkerja_core.settings.branding`);
the directories, which the core does not look at, are checked here.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from siapkerja_adapters.web.security import web_origin
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.settings import Branding, Settings, branding

__all__ = [
    "PACKAGE_PREFIX",
    "branding_globals",
    "branding_loader",
    "deployment_branding",
    "image_origins",
    "static_files",
    "theme_route",
]

_HERE: Final = Path(__file__).resolve().parent
_MARK: Final = re.compile("\x00([0-9]+)\x00")
PACKAGE_PREFIX: Final = "siapkerja"
"""``{% extends "siapkerja/base.html" %}`` names the package's own template."""


def _directory(name: str, value: str | os.PathLike[str]) -> str:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ConfigurationError("no_directory", name=name, path=os.fspath(value))
    return os.fspath(path.resolve())


def deployment_branding(
    settings: Settings,
    *,
    dev: bool,
    templates_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    static_dir: str | os.PathLike[str] | None = None,
) -> Branding:
    """The settings' :class:`Branding`, with ``create_app``'s directories taking precedence.

    :raises ConfigurationError: the core's checks, and ``config.no_directory``
        for a templates or static directory that is not there.
    """
    look = branding(settings, dev=dev)
    if templates_dir is None:
        templates: Sequence[str | os.PathLike[str]] = look.templates_dirs
    elif isinstance(templates_dir, str | os.PathLike):
        templates = (templates_dir,)
    else:
        templates = tuple(templates_dir)
    static = static_dir if static_dir is not None else look.static_dir
    return attrs.evolve(
        look,
        templates_dirs=tuple(_directory("templates_dir", d) for d in templates),
        static_dir=None if static is None else _directory("static_dir", static),
    )


def image_origins(look: Branding) -> tuple[str, ...]:
    """The origins the logo and favicon load from, when set to an absolute address.

    Exactly those origins (``https://cdn.example.org``), not the whole scheme: the
    pages' ``img-src`` is widened for them and nothing else.

    :raises ConfigurationError: ``config.insecure_url`` for an absolute address whose
        host a policy cannot name (the browser would refuse the image).
    """
    origins: list[str] = []
    for name, value in (("logo", look.logo), ("favicon", look.favicon)):
        if "://" not in value:
            continue  # a path on this site or a static file: 'self' covers it
        origin = web_origin(value)
        if origin is None:
            raise ConfigurationError("insecure_url", name=name, value=value)
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def branding_loader(directories: Sequence[str]) -> jinja2.BaseLoader:
    """The deployment's directories, then the package's (also reachable as ``siapkerja/…``)."""
    package = jinja2.FileSystemLoader(_HERE / "templates")
    return jinja2.ChoiceLoader(
        [
            *(jinja2.FileSystemLoader(directory) for directory in directories),
            package,
            jinja2.PrefixLoader({PACKAGE_PREFIX: package}),
        ]
    )


class _LayeredStaticFiles(StaticFiles):
    """Static files looked up in several directories, the first that has the file wins."""

    def __init__(self, directories: Sequence[Path | str]) -> None:
        super().__init__(directory=directories[-1])
        self.all_directories = list(directories)


def static_files(look: Branding, package_static: Path) -> StaticFiles:
    """The package's static files, shadowed by the deployment's ``static_dir``."""
    if look.static_dir is None:
        return StaticFiles(directory=package_static)
    return _LayeredStaticFiles([look.static_dir, package_static])


def theme_route(look: Branding) -> Route:
    """``/static/theme.css``: the colours, made once; cached and revalidated by its ETag."""
    body = look.theme_css().encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    async def theme(request: Request) -> Response:
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/css", headers=headers)

    return Route("/static/theme.css", theme, methods=["GET", "HEAD"], name="theme_css")


def _is_address(value: str) -> bool:
    return value.startswith("/") or "://" in value


def branding_globals(look: Branding) -> dict[str, Any]:
    """The Jinja globals every template sees."""

    def brand_asset(url: Callable[..., Any], value: str) -> str:
        """An asset setting as a link: an address as it is, a file name under /static/."""
        return value if _is_address(value) else str(url("static", path=value))

    def with_links(
        t: Callable[..., str], key: str, **links: tuple[str, str | None] | str
    ) -> Markup:
        """The sentence ``key`` with each ``{name}`` replaced by its label, a link when set.

        ``links`` maps a placeholder to (the label's key, its URL or None), or to a
        plain text put in as it is (escaped): the operator's name.
        """
        texts = {name: value for name, value in links.items() if isinstance(value, str)}
        pairs = {name: value for name, value in links.items() if not isinstance(value, str)}
        names = list(pairs)
        marks = {name: f"\x00{index}\x00" for index, name in enumerate(names)}
        # Markup + str escapes the str: the translated text stays text, the links markup.
        result = Markup("")
        for index, piece in enumerate(_MARK.split(t(key, **marks, **texts))):
            if index % 2 == 0:
                result += piece
                continue
            label_key, href = pairs[names[int(piece)]]
            label = t(label_key)
            result += (
                Markup('<a href="{}" rel="noopener">{}</a>').format(href, label) if href else label
            )
        return result

    return {"brand": look, "brand_asset": brand_asset, "with_links": with_links}
