"""Every dashboard table as CSV (UTF-8 with a byte-order mark, so Excel shows Thai) and XLSX
(openpyxl), from the same Table the page shows (same filters, same suppression). Text cells
that a spreadsheet would run as a formula are neutralised with the roster exports' helper."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from learningcity.dashboards.selectors import Table
from participants.staff.exports import _safe as formula_safe

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(value, kind: str):
    """A number stays a number (rates as per cent, rounded); "<5" and labels are text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_safe(value)
    if kind == "rate":
        return round(value * 100, 2)
    if isinstance(value, float):
        return round(value, 3 if kind == "ratio" else 1)
    return value


def _header(table: Table) -> list[str]:
    return [formula_safe(c.label + (" (%)" if c.kind == "rate" else "")) for c in table.columns]


def _lines(table: Table) -> list[list]:
    kinds = [c.kind for c in table.columns]
    return [[_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in table.rows]


def _preamble(table: Table, meta: list[tuple[str, str]]) -> list[list[str]]:
    return [[formula_safe(table.title)], *([formula_safe(k), formula_safe(v)] for k, v in meta), []]


def table_csv_response(*, table: Table, meta: list[tuple[str, str]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_preamble(table, meta))
    writer.writerow(_header(table))
    writer.writerows(_lines(table))
    if table.note:
        writer.writerows([[], [formula_safe(table.note)]])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def table_xlsx_response(*, table: Table, meta: list[tuple[str, str]], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (formula_safe(table.key) or _("Table"))[:31]
    for line in _preamble(table, meta):
        sheet.append(line)
    sheet.append(_header(table))
    for line in _lines(table):
        sheet.append(line)
    if table.note:
        sheet.append([])
        sheet.append([formula_safe(table.note)])
    sheet.column_dimensions["A"].width = 40
    for column in sheet.iter_cols(min_col=2, max_col=max(2, len(table.columns))):
        sheet.column_dimensions[column[0].column_letter].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response
