"""``python -m siapkerja_adapters.cli``: the ``siapkerja`` console script."""

from siapkerja_adapters.cli import main

if __name__ == "__main__":  # not on a mere import (tools that walk every module)
    main()
