"""Roster exports: CSV (UTF-8 with a byte-order mark, so Excel shows Thai) and XLSX
(openpyxl). Cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from learningcity.dates import format_local

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> str:
    """A cell value as text, with a leading quote before what would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _header() -> list[str]:
    return [
        _("Status"),
        _("Waiting-list position"),
        _("Given name"),
        _("Family name"),
        _("Birth date"),
        _("Sex"),
        _("Subdistrict"),
        _("E-mail"),
        _("Phone"),
        _("Guardian"),
    ]


def _lines(rows) -> list[list[str]]:
    out = []
    for row in rows:
        p = row.participant
        out.append(
            [
                _safe(row.enrolment.get_status_display()),
                _safe(row.enrolment.waitlist_position or ""),
                _safe(p.given_name),
                _safe(p.family_name),
                _safe(format_local(p.birth_date)),
                _safe(p.get_sex_display()),
                _safe(p.district.name if p.district_id else _("Outside the city") if p.lives_outside_city else ""),
                _safe(row.email),
                _safe(row.phone),
                _safe(row.guardian),
            ]
        )
    return out


def _filename(course, ext: str) -> str:
    return f"roster-course-{course.pk}.{ext}"


def roster_csv_response(*, course, rows) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    writer.writerows(_lines(rows))
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(course, "csv")}"'
    response["Cache-Control"] = "private, no-store"
    return response


def roster_xlsx_response(*, course, rows) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Roster")[:31]
    sheet.append(_header())
    for line in _lines(rows):
        sheet.append(line)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(course, "xlsx")}"'
    response["Cache-Control"] = "private, no-store"
    return response
