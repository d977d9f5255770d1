"""``manage.py addlocaluser EMAIL PASSWORD [NAME]``: a local account (one the hub had
before it offered SIAPkerja), to try the linking rule with."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a local user with an e-mail and a password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("password")
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.create_user(
            username=options["email"],
            email=options["email"],
            password=options["password"],
            first_name=options["name"][:150],
        )
        self.stdout.write(f"created user {user.pk}")
