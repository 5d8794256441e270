"""Demo data of the dashboards: build the summary tables from the demo city's enrolments and
attendance (load_demo runs this after the participants' demo), so `make run` shows figures."""

from django.utils.translation import gettext as _

from learningcity.dashboards.services import aggregates_rebuild


def load_demo_data(stdout) -> None:
    run = aggregates_rebuild()
    stdout.write(
        _("Dashboards: %(rows)s summary rows in %(seconds)s s.")
        % {"rows": run.rows_written, "seconds": f"{run.duration_ms / 1000:.1f}"}
    )
