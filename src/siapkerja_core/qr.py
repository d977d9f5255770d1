"""QR drawing under its documented path; it lives in :mod:`siapkerja_core.render.qr`."""

from siapkerja_core.render.qr import (
    ALPHANUMERIC_CHARSET,
    FIXED_MASK,
    QrCache,
    QrError,
    QrKey,
    QrTooLarge,
    make_qr,
    qr_png,
    qr_svg,
    qr_svg_path,
    qr_terminal,
    segments_for,
)

__all__ = [
    "ALPHANUMERIC_CHARSET",
    "FIXED_MASK",
    "QrCache",
    "QrError",
    "QrKey",
    "QrTooLarge",
    "make_qr",
    "qr_png",
    "qr_svg",
    "qr_svg_path",
    "qr_terminal",
    "segments_for",
]
