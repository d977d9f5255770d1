"""A Django job board with SIAPkerja-ID as an installed app."""
