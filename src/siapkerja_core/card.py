"""The card image under its documented path; it lives in :mod:`siapkerja_core.render.card`."""

from siapkerja_core.render import card as _card
from siapkerja_core.render.card import (
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
    "BULAN",  # noqa: F822 -- module __getattr__ reads it from the catalogue
    "CARD_HEIGHT_MM",
    "CARD_MAX_VERSION",
    "CARD_WIDTH_MM",
    "Card",
    "CardError",
    "CardImageError",
    "default_cache",
    "format_tanggal",
]


def __getattr__(name: str) -> object:
    # BULAN is read from the catalogues when asked for (see siapkerja_core.render.card).
    return getattr(_card, name)
