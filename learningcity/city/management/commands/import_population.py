"""manage.py import_population: population figures from a CSV file (docs/population-csv.md).

    manage.py import_population --city chiang-mai population-2025.csv [--year 2025] [--replace]

Every line is checked first; if any line is bad, every error is printed with its line number
(the header is line 1) and nothing is changed."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from learningcity.city.models import City
from learningcity.city.services import population_import_csv

MAX_PRINTED_ERRORS = 1_000


def years_label(years: tuple[int, ...]) -> str:
    if len(years) > 5:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


class Command(BaseCommand):
    help = "Import population figures (district, year, sex, age) from a UTF-8 CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--city", required=True, metavar="SLUG")
        parser.add_argument(
            "--year", type=int, help="Only this year: the year column may then be left out of the file."
        )
        parser.add_argument(
            "--replace", action="store_true", help="First delete the city's figures for the years in the file."
        )

    def handle(self, *args, **options):
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            raise CommandError(_("No city with the slug “%(slug)s”.") % {"slug": options["city"]})
        try:
            file = open(options["file"], "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": options["file"], "reason": exc.strerror}
            ) from exc
        with file:
            result = population_import_csv(city=city, file=file, replace=options["replace"], year=options["year"])
        if not result.ok:
            lines = [
                _("Line %(line)s: %(message)s") % {"line": line, "message": message}
                for line, message in result.errors[:MAX_PRINTED_ERRORS]
            ]
            if result.error_count > len(lines):
                lines.append(_("… and %(count)s more errors.") % {"count": result.error_count - len(lines)})
            header = ngettext(
                "The file was refused; nothing was changed. %(count)s error:",
                "The file was refused; nothing was changed. %(count)s errors:",
                result.error_count,
            ) % {"count": result.error_count}
            raise CommandError("\n".join([header, *lines]))
        self.stdout.write(
            _("Imported %(rows)s figures for %(years)s: %(created)s new, %(updated)s updated, %(deleted)s deleted.")
            % {
                "rows": result.rows,
                "years": years_label(result.years),
                "created": result.created,
                "updated": result.updated,
                "deleted": result.deleted,
            }
        )
