"""manage.py load_districts: the city and its reporting districts from geothai.

    manage.py load_districts --city chiang-mai --province 50 --district 5001 --kind city_municipality
    manage.py load_districts --city chiang-mai-province --province 50 --level district
    manage.py load_districts --city chiang-mai --province 50 --district 5001 --boundaries tambon.geojson

See docs/city-data.md."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from learningcity.city.models import City, District
from learningcity.city.services import (
    BOUNDARY_CODE_PROPERTIES,
    CityDataError,
    city_ensure,
    district_boundaries_attach,
    districts_load_from_geothai,
)


class Command(BaseCommand):
    help = "Create or update a city and load its reporting districts from the geothai package."

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, metavar="SLUG", help="The city's slug (created if new).")
        parser.add_argument("--province", required=True, metavar="CODE", help="DOPA province code, e.g. 50.")
        parser.add_argument(
            "--district", metavar="CODE", help="DOPA district code, e.g. 5001: load only its subdistricts."
        )
        parser.add_argument(
            "--level",
            choices=District.Level.values,
            default=District.Level.SUBDISTRICT,
            help="Reporting level: subdistricts (tambon/khwaeng, default) or districts (amphoe/khet).",
        )
        parser.add_argument(
            "--kind",
            choices=City.Kind.values,
            help="Kind of city, for a new city: default city_municipality with --district, else province.",
        )
        parser.add_argument("--name-th", default="", help="Thai name (a new city defaults to the province's).")
        parser.add_argument("--name-en", default="", help="English name (a new city defaults to the province's).")
        parser.add_argument(
            "--boundaries",
            metavar="FILE.geojson",
            help="GeoJSON FeatureCollection of Polygon/MultiPolygon features with a code property "
            f"({', '.join(BOUNDARY_CODE_PROPERTIES)}).",
        )

    def handle(self, *args, **options):
        kind = options["kind"]
        if kind is None and not City.objects.filter(slug=options["city"]).exists():
            kind = City.Kind.CITY_MUNICIPALITY if options["district"] else City.Kind.PROVINCE
        try:
            with transaction.atomic():
                city, created = city_ensure(
                    slug=options["city"],
                    province_code=options["province"],
                    kind=kind,
                    name_th=options["name_th"],
                    name_en=options["name_en"],
                )
                result = districts_load_from_geothai(
                    city=city,
                    province_code=options["province"],
                    district_code=options["district"],
                    level=options["level"],
                )
                boundaries = None
                if options["boundaries"]:
                    try:
                        with open(options["boundaries"], "rb") as file:
                            boundaries = district_boundaries_attach(city=city, file=file)
                    except OSError as exc:
                        raise CityDataError(
                            _("Cannot read %(path)s: %(reason)s")
                            % {"path": options["boundaries"], "reason": exc.strerror}
                        ) from exc
        except CityDataError as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc

        self.stdout.write(
            (_("City %(slug)s (%(name)s): created.") if created else _("City %(slug)s (%(name)s): updated."))
            % {"slug": city.slug, "name": city.name_th}
        )
        self.stdout.write(
            _("Districts: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
        if boundaries is not None:
            self.stdout.write(
                _("Boundaries: %(attached)s attached, %(ignored)s features of other areas ignored.")
                % {"attached": boundaries.attached, "ignored": boundaries.ignored}
            )
