"""manage.py load_demo [--if-empty]: the demo city and whatever each app adds to it.

Each installed app may have a `demo` module with `load_demo_data(stdout)`; they run in
INSTALLED_APPS order (lower layers first), in one transaction. The modules are found at run
time, so the city app never imports a higher layer. `make run` calls it with --if-empty."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from learningcity.city.models import City


def demo_hooks():
    """(app label, load_demo_data) for every installed app that has one, in order."""
    hooks = []
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "demo"):
            hook = getattr(import_module(f"{app_config.name}.demo"), "load_demo_data", None)
            if callable(hook):
                hooks.append((app_config.label, hook))
    return hooks


class Command(BaseCommand):
    help = "Load the demo city (Chiang Mai) with DEMO data and demo users. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the database already has a city.")

    def handle(self, *args, **options):
        if options["if_empty"] and City.objects.exists():
            self.stdout.write(_("A city exists already: no demo data loaded."))
            return
        with transaction.atomic():
            for label, hook in demo_hooks():
                self.stdout.write(self.style.MIGRATE_HEADING(_("Demo data: %(app)s") % {"app": label}))
                hook(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(_("Demo data loaded. Population figures are DEMO data, not official statistics."))
        )
