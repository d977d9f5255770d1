"""The card image under its documented path; it lives in :mod:`siapkerja_core.render.card`."""

from siapkerja_core.render.card import (
    BULAN,
    CARD_HEIGHT_MM,
    CARD_MAX_VERSION,
    CARD_WIDTH_MM,
    Card,
    CardError,
    CardImageError,
    default_cache,
    format_tanggal,
)

__all__ = [
    "BULAN",
    "CARD_HEIGHT_MM",
    "CARD_MAX_VERSION",
    "CARD_WIDTH_MM",
    "Card",
    "CardError",
    "CardImageError",
    "default_cache",
    "format_tanggal",
]
