"""``python -m siapkerja_adapters.cli``: the ``siapkerja`` console script."""

from siapkerja_adapters.cli import main

main()
