"""The profile photo: bytes checked by their magic numbers, type and size limits."""

from __future__ import annotations

from typing import Any, Final

import attrs
from attrs import Factory, field, frozen

from siapkerja_core.i18n import text
from siapkerja_core.profile.errors import ProfileError, _invalid_because

__all__ = [
    "MAX_PHOTO_BYTES",
    "MIN_PHOTO_BYTES",
    "PHOTO_MEDIA_TYPES",
    "THUMBNAIL_BOX",
    "THUMBNAIL_MAX_BYTES",
    "Photo",
    "sniff_image_type",
    "thumbnail_data_uri",
]

# --------------------------------------------------------------------------
# Photo
# --------------------------------------------------------------------------

MIN_PHOTO_BYTES: Final = 100
"""Smaller than this is no photo of a face (a real 3×4 JPEG is kilobytes)."""
MAX_PHOTO_BYTES: Final = 2 * 1024 * 1024
"""2 MiB: the upper bound for a profile photo."""
PHOTO_MEDIA_TYPES: Final = ("image/jpeg", "image/png", "image/webp")
"""The accepted formats. SVG is refused on purpose: it can carry scripts."""

_MEDIA_ALIASES: Final = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


def sniff_image_type(content: bytes) -> str | None:
    """The media type of ``content`` by its magic bytes: JPEG, PNG or WebP, else ``None``.

    PNG must also start with its ``IHDR`` chunk and WebP with a ``VP8``
    chunk, so a text file that happens to begin with the magic is not taken.
    """
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR":
        return "image/png"
    if (
        content[:4] == b"RIFF"
        and content[8:12] == b"WEBP"
        and content[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    ):
        return "image/webp"
    return None


def _to_bytes(value: bytes | bytearray | memoryview) -> bytes:
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


def _check_photo_content(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bytes):
        raise _invalid_because(attribute.name, "reason.bytes")
    if not MIN_PHOTO_BYTES <= len(value) <= MAX_PHOTO_BYTES:
        raise ProfileError(
            "photo_size",
            field=attribute.name,
            size=len(value),
            min_size=MIN_PHOTO_BYTES,
            max_size=MAX_PHOTO_BYTES,
        )
    if sniff_image_type(value) is None:
        raise ProfileError(
            "photo_type",
            field=attribute.name,
            reason_id=text("reason.photo_format", "id"),
            reason=text("reason.photo_format", "en"),
        )


def _detected_media_type(photo: Photo) -> str:
    content = photo.content
    found = sniff_image_type(content) if isinstance(content, bytes) else None
    return found or ""


def _to_media_type(value: str) -> str:
    try:
        cleaned = value.strip().lower()
    except AttributeError:
        return value
    return _MEDIA_ALIASES.get(cleaned, cleaned)


def _check_media_type(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    detected = _detected_media_type(instance)
    if value != detected:
        raise ProfileError(
            "photo_type",
            field=attribute.name,
            reason_id=text("reason.photo_declared", "id", declared=value, detected=detected),
            reason=text("reason.photo_declared", "en", declared=value, detected=detected),
            declared=str(value),
            detected=detected,
        )


@frozen(kw_only=True)
class Photo:
    """The profile photo: JPEG, PNG or WebP, 100 bytes to 2 MiB.

    ``media_type`` is read from the bytes' magic numbers when left out; a
    declared type that contradicts them is refused (``photo_type``), so a
    script renamed ``.jpg`` never reaches a browser as an image. The
    ``repr`` shows the type and size, never the bytes.
    """

    content: bytes = field(converter=_to_bytes, validator=_check_photo_content, repr=False)
    media_type: str = field(
        default=Factory(_detected_media_type, takes_self=True),
        converter=_to_media_type,
        validator=_check_media_type,
    )

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.content)

    def data_uri(self) -> str:
        """``data:image/jpeg;base64,…`` for an ``<img src>``."""
        import base64

        return f"data:{self.media_type};base64,{base64.b64encode(self.content).decode('ascii')}"


THUMBNAIL_BOX: Final = (96, 120)
"""The largest width and height, in pixels, of a photo's thumbnail in a notebook."""
THUMBNAIL_MAX_BYTES: Final = 32 * 1024
"""The largest image a notebook's HTML embeds as a data URI (a 2 MiB photo is not)."""


def thumbnail_data_uri(
    content: bytes, media_type: str, *, max_bytes: int = THUMBNAIL_MAX_BYTES
) -> str | None:
    """A small ``data:`` URI of the photo ``content`` for an HTML view, or ``None``.

    With Pillow (the ``card`` or ``notebook`` extra) the photo is scaled into
    :data:`THUMBNAIL_BOX` and re-encoded as JPEG; without it (or when Pillow
    cannot read it) the photo itself is used if it is small enough. ``None``
    when the result would exceed ``max_bytes``: a notebook never carries
    megabytes of base64 for a thumbnail.
    """
    import base64

    small = _thumbnail(content, max_bytes)
    if small is not None:
        content, media_type = small, "image/jpeg"
    if len(content) > max_bytes:
        return None
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def _thumbnail(content: bytes, max_bytes: int) -> bytes | None:
    """The photo scaled into the box as JPEG; ``None`` to keep the photo as it is."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # the card extra is not installed: the caller keeps the original
        return None
    import io

    try:
        with Image.open(io.BytesIO(content)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not readable by this Pillow (a WebP without libwebp …)
    fits = image.width <= THUMBNAIL_BOX[0] and image.height <= THUMBNAIL_BOX[1]
    if fits and len(content) <= max_bytes:
        return None  # already a thumbnail: keep its own format
    image.thumbnail(THUMBNAIL_BOX)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
