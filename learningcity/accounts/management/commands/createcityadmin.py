"""createcityadmin: create a city administrator, or promote an existing user. Idempotent.

manage.py createcityadmin --email admin@example.org            # asks for the password
CITY_ADMIN_PASSWORD=... manage.py createcityadmin --email ... --no-input
manage.py createcityadmin --email ... --password ...           # visible in `ps`: avoid
"""

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from learningcity.accounts.services import AccountError, city_admin_ensure

PASSWORD_ENV = "CITY_ADMIN_PASSWORD"  # noqa: S105 (the name of a variable, not a password)


class Command(BaseCommand):
    help = "Create or promote a city administrator with a verified e-mail address (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The administrator's e-mail address (the login).")
        parser.add_argument(
            "--password",
            help=f"The password. Prefer the {PASSWORD_ENV} environment variable or the prompt.",
        )
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Never prompt. Without --password or {PASSWORD_ENV}, an existing password is kept "
            "and a new user must use 'forgot password'.",
        )

    def handle(self, *args, email: str, password: str | None, interactive: bool, **options):
        if password is None:
            password = os.environ.get(PASSWORD_ENV) or None
        if password is None and interactive and sys.stdin.isatty():
            password = self._prompt_password()
        try:
            user, created = city_admin_ensure(email=email, password=password)
        except AccountError as error:
            raise CommandError(str(error)) from error
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} city administrator {user.email}."))

    def _prompt_password(self) -> str | None:
        first = getpass.getpass("Password (leave empty to keep the current one): ")
        if not first:
            return None
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("The two passwords differ.")
        return first
