"""`manage.py dashboards_rebuild`: rebuild the dashboards' summary tables from the raw data
(after a data fix, a bulk load or generate_city). Safe to run twice."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from learningcity.dashboards.services import aggregates_rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboards' summary tables (activity per day, learners per period) from the raw data."

    def handle(self, *args, **options):
        run = aggregates_rebuild()
        self.stdout.write(
            _("Dashboards rebuilt: %(rows)s rows written (%(days)s days, %(periods)s periods) in %(seconds)s s.")
            % {
                "rows": run.rows_written,
                "days": run.days_refreshed,
                "periods": run.periods_refreshed,
                "seconds": f"{run.duration_ms / 1000:.1f}",
            }
        )
