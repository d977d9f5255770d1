#!/usr/bin/env python
"""Django's command-line utility for the example hub (a "Masuk dengan SIAPkerja" relying party).

Install what it needs (it does not import siapkerja), then configure and run
it as README.md beside this file says::

    pip install 'django>=4.2' 'authlib>=1.9' requests
    python manage.py migrate && python manage.py runserver 8002
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rpsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
