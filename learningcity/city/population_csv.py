"""Reading and checking a population CSV file (docs/population-csv.md). No writes here:
services.population_import_csv() calls parse_population_csv() and writes only when it
reports no error.

The file is read as a stream of lines; each line is decoded on its own, so that bytes that
are not UTF-8 are reported with their line number instead of aborting the whole file. Only
the parsed cells (small tuples of ints) are kept in memory, never the text or model objects.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, NamedTuple

from django.utils.translation import gettext as _

from learningcity.city.models import Population

COLUMNS = ("district_code", "year", "sex", "age_from", "age_to", "count")
SEX_LABELS = {
    "female": Population.Sex.FEMALE,
    "f": Population.Sex.FEMALE,
    "หญิง": Population.Sex.FEMALE,
    "male": Population.Sex.MALE,
    "m": Population.Sex.MALE,
    "ชาย": Population.Sex.MALE,
}
MAX_AGE = 130  # the model's population_age_plausible constraint
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_COUNT = 2_147_483_647  # PositiveIntegerField
MAX_STORED_ERRORS = 10_000  # a garbage file must not fill the memory with messages
_COUNT_RE = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")  # 1234 or 1,234 (Excel's thousands separator)
_INT_RE = re.compile(r"^\d+$")


class UTF16Error(Exception):
    """Excel's "Unicode text" is UTF-16: refused as a whole, with advice."""


class Cell(NamedTuple):
    line: int
    district_id: int
    year: int
    sex: str
    age_from: int
    age_to: int | None
    count: int


@dataclass
class ParsedFile:
    cells: list[Cell] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append((line, message))


def shorten(value: str, limit: int = 40) -> str:
    """A cell as it may be echoed in a message: one line, at most `limit` characters."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def age_label(age_from: int, age_to: int | None) -> str:
    if age_to is None:
        return f"{age_from}+"
    return str(age_from) if age_from == age_to else f"{age_from}-{age_to}"


def _decoded_lines(file: IO[bytes] | Iterable[bytes | str], bad_lines: set[int]) -> Iterator[str]:
    """Each physical line as text. A line that is not valid UTF-8 is recorded in bad_lines
    and replaced by an empty line, so that the CSV reader's line numbers stay right."""
    for number, raw in enumerate(file, start=1):
        if isinstance(raw, str):
            text = raw
        else:
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if number == 1 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise UTF16Error
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.add(number)
                text = "\n"
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield text


def _records(file, parsed: ParsedFile) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each CSV record; undecodable and unreadable lines are
    reported in `parsed` and skipped."""
    bad_lines: set[int] = set()
    reader = csv.reader(_decoded_lines(file, bad_lines))
    previous_end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UTF16Error:
            parsed.error(1, _("The file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8 (comma delimited)”."))
            return
        except csv.Error as exc:
            line = previous_end + 1
            previous_end = reader.line_num
            parsed.error(line, _("The line cannot be read as CSV (%(reason)s).") % {"reason": exc})
            continue
        line = previous_end + 1
        previous_end = reader.line_num
        if line in bad_lines:
            parsed.error(line, _("The line is not UTF-8 text. Save the file as “CSV UTF-8”."))
            continue
        yield line, row


def _parse_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if _INT_RE.match(value) and len(value) <= 10 else None


def parse_population_csv(
    file: IO[bytes] | Iterable[bytes | str], *, district_ids: dict[str, int], year: int | None = None
) -> ParsedFile:
    """Check every line of the file; return the good cells and every error as (line, message),
    sorted by line. The header is line 1, as in a spreadsheet. `district_ids` maps the codes of
    the city's districts to their ids. With `year`, the year column may be left out, and every
    row must be of that year."""
    parsed = ParsedFile()
    records = _records(file, parsed)
    header: list[str] | None = None
    header_line = 1
    for line, row in records:
        if any(cell.strip() for cell in row):
            header_line, header = line, [cell.strip().lower() for cell in row]
            break
    if header is None:
        if parsed.error_count == 0:
            parsed.error(1, _("The file is empty."))
        return parsed
    if parsed.error_count:
        return parsed  # the header itself could not be read: the rest would only add noise
    required = [c for c in COLUMNS if not (c == "year" and year is not None)]
    missing = [c for c in required if c not in header]
    duplicated = sorted({c for c in header if c in COLUMNS and header.count(c) > 1})
    if missing or duplicated:
        if missing:
            parsed.error(
                header_line,
                _("The header row lacks the columns: %(missing)s. It must be: %(expected)s.")
                % {"missing": ", ".join(missing), "expected": ",".join(COLUMNS)},
            )
        if duplicated:
            parsed.error(
                header_line, _("The header row repeats the columns: %(columns)s.") % {"columns": ", ".join(duplicated)}
            )
        return parsed
    index = {name: header.index(name) for name in COLUMNS if name in header}
    width = len(header)

    for line, row in records:
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        if len(row) != width:
            parsed.error(
                line,
                _("Expected %(expected)s columns, found %(found)s.") % {"expected": width, "found": len(row)},
            )
            continue
        cell = _parse_row(line, row, index, district_ids, year, parsed)
        if cell is not None:
            parsed.cells.append(cell)
    if parsed.error_count == 0 and not parsed.cells:
        parsed.error(header_line, _("The file has no data rows."))
    _check_overlaps(parsed)
    parsed.errors.sort(key=lambda e: e[0])
    return parsed


def _parse_row(line, row, index, district_ids, year, parsed: ParsedFile) -> Cell | None:
    errors_before = parsed.error_count

    def value(name: str) -> str:
        return row[index[name]].strip()

    code = value("district_code")
    district_id = district_ids.get(code)
    if district_id is None:
        if code:
            parsed.error(line, _("Unknown district code “%(code)s”.") % {"code": shorten(code)})
        else:
            parsed.error(line, _("The district code is empty."))

    row_year: int | None = year
    if "year" in index:
        raw_year = value("year")
        row_year = _parse_int(raw_year)
        if row_year is None:
            parsed.error(line, _("The year “%(value)s” is not a number.") % {"value": shorten(raw_year)})
        elif 2400 <= row_year <= 2700:
            parsed.error(
                line,
                _("The year %(year)s looks like a Buddhist Era year: write it C.E. (%(ce)s).")
                % {"year": row_year, "ce": row_year - 543},
            )
            row_year = None
        elif not MIN_YEAR <= row_year <= MAX_YEAR:
            parsed.error(line, _("The year %(year)s is not plausible.") % {"year": row_year})
            row_year = None
        elif year is not None and row_year != year:
            parsed.error(
                line,
                _("The year %(found)s is not the year being imported (%(year)s).") % {"found": row_year, "year": year},
            )
            row_year = None

    raw_sex = value("sex")
    sex = SEX_LABELS.get(raw_sex.lower())
    if sex is None:
        parsed.error(
            line, _("Unknown sex “%(value)s”: write female or male (also หญิง/ชาย, F/M).") % {"value": shorten(raw_sex)}
        )

    raw_from = value("age_from")
    age_from = _parse_int(raw_from)
    if age_from is None or age_from > MAX_AGE:
        parsed.error(
            line,
            _("The age “%(value)s” must be a whole number from 0 to %(max)s.")
            % {"value": shorten(raw_from), "max": MAX_AGE},
        )
        age_from = None
    raw_to = value("age_to")
    age_to: int | None = None
    if raw_to:
        age_to = _parse_int(raw_to)
        if age_to is None or age_to > MAX_AGE:
            parsed.error(
                line,
                _("The age “%(value)s” must be a whole number from 0 to %(max)s.")
                % {"value": shorten(raw_to), "max": MAX_AGE},
            )
        elif age_from is not None and age_to < age_from:
            parsed.error(
                line,
                _("The age range ends (%(age_to)s) before it starts (%(age_from)s).")
                % {"age_to": age_to, "age_from": age_from},
            )

    raw_count = value("count")
    count = int(raw_count.replace(",", "")) if _COUNT_RE.match(raw_count) and len(raw_count) <= 13 else None
    if count is None or count > MAX_COUNT:
        parsed.error(
            line, _("The count “%(value)s” must be a whole number, 0 or more.") % {"value": shorten(raw_count)}
        )

    if parsed.error_count != errors_before:
        return None
    return Cell(line, district_id, row_year, sex, age_from, age_to, count)


def _check_overlaps(parsed: ParsedFile) -> None:
    """One district, year, sex and age_from appears once (a duplicate cell), and the age
    ranges of one district, year and sex do not overlap (0-4 and 3-9, or 80+ and 85)."""
    groups: dict[tuple[int, int, str], list[Cell]] = defaultdict(list)
    for cell in parsed.cells:
        groups[(cell.district_id, cell.year, cell.sex)].append(cell)
    for cells in groups.values():
        cells.sort(key=lambda c: (c.age_from, c.line))
        previous: Cell | None = None
        widest: Cell | None = None  # the earlier range reaching furthest
        for cell in cells:
            if previous is not None and previous.age_from == cell.age_from:
                parsed.error(cell.line, _("The same cell is already on line %(line)s.") % {"line": previous.line})
                continue
            if widest is not None and (widest.age_to is None or widest.age_to >= cell.age_from):
                parsed.error(
                    cell.line,
                    _("Ages %(ages)s overlap ages %(other)s on line %(line)s.")
                    % {
                        "ages": age_label(cell.age_from, cell.age_to),
                        "other": age_label(widest.age_from, widest.age_to),
                        "line": widest.line,
                    },
                )
            if widest is None or cell.age_to is None or (widest.age_to is not None and cell.age_to > widest.age_to):
                widest = cell
            previous = cell


def ranges_overlap(a_from: int, a_to: int | None, b_from: int, b_to: int | None) -> bool:
    a_end = MAX_AGE + 1 if a_to is None else a_to
    b_end = MAX_AGE + 1 if b_to is None else b_to
    return a_from <= b_end and b_from <= a_end
