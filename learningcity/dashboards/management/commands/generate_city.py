"""`manage.py generate_city --scale tiny|small|medium|large [--seed N] [--replace] [--force]`:
load a synthetic city for benchmarks (bench/generator.py) with COPY, then VACUUM (ANALYZE).

An operator tool: its output is English. It refuses to write into a database that holds a
real (non-synthetic) city unless --force is given, and refuses to overwrite an existing
synthetic city of the same scale unless --replace is given (which deletes only that city)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from bench.generator import SCALES, CityGenerator, city_checksums, city_delete, digest
from learningcity.city.models import City


class Command(BaseCommand):
    help = "Generate a deterministic synthetic city (COPY-loaded) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="Delete this scale's synthetic city first.")
        parser.add_argument("--force", action="store_true", help="Run even though the database holds a real city.")
        parser.add_argument("--checksums", action="store_true", help="Print md5 checksums of the key tables.")

    def handle(self, *args, scale, seed, replace, force, checksums, **options):
        started = time.monotonic()
        slug = f"synthetic-{scale}"
        real = City.objects.exclude(slug__startswith="synthetic-").values_list("slug", flat=True)
        if real and not force:
            raise CommandError(
                f"This database holds a real city ({', '.join(real)}); use a separate database or pass --force."
            )
        if City.objects.filter(slug=slug).exists() and not replace:
            raise CommandError(f"The synthetic city {slug!r} exists already; pass --replace to regenerate it.")

        write = self.stdout.write
        write(f"Generating {slug} (seed {seed}): {SCALES[scale]}")
        with transaction.atomic():
            connection.ensure_connection()
            raw = connection.connection
            if replace:
                t = time.monotonic()
                city_delete(raw_connection=raw, scale=scale)
                write(f"  removed the previous {slug} in {time.monotonic() - t:.1f} s")
            generator = CityGenerator(scale=scale, seed=seed, raw_connection=raw, log=write)
            generator.run()
        t = time.monotonic()
        # A loaded city as a running one would be: VACUUM sets the hint bits and the visibility
        # map of the COPY-loaded pages (without it the first readers dirty every page they touch
        # and index-only scans visit the heap for every row; autovacuum would do it some time
        # later, if it is on), ANALYZE the statistics. Inside a transaction (tests), ANALYZE alone.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(command)
        write(f"  {command} {time.monotonic() - t:.1f} s")
        if checksums:
            sums = city_checksums(raw_connection=connection.connection, scale=scale)
            for name, value in sums.items():
                write(f"  md5 {name:<14} {value}")
            write(f"  md5 all            {digest(sums)}")
        write(self.style.SUCCESS(f"Done: {slug} in {time.monotonic() - started:.1f} s"))
