"""Writes to the city's geography: the city, its districts (from the geothai package),
their boundaries, and population figures. Each function checks everything first and writes
in one transaction, so that a refused input changes nothing."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import geothai
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from learningcity.city.models import City, District, Population
from learningcity.city.population_csv import age_label, parse_population_csv, ranges_overlap, shorten
from learningcity.city.selectors import city_current_forget


class CityDataError(Exception):
    """Refused input, with a translated message for the person who gave it."""

    def __init__(self, message: str, *, details: Iterable[str] = ()):
        self.message = message
        self.details = list(details)
        super().__init__("\n".join([message, *self.details]))


# --- City --------------------------------------------------------------------------------


def city_ensure(
    *,
    slug: str,
    province_code: str,
    kind: str | None = None,
    name_th: str = "",
    name_en: str = "",
    gnlc_member_since: int | None = None,
    area_km2=None,
) -> tuple[City, bool]:
    """The city with this slug, created if new (its names default to the province's in
    geothai), updated with the values given. Returns (city, created)."""
    province_code = str(province_code).strip()
    province = geothai.province(province_code)
    if province is None:
        raise CityDataError(_("Unknown province code “%(code)s”.") % {"code": shorten(province_code)})
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise CityDataError(_("“%(slug)s” is not a valid slug.") % {"slug": shorten(slug)}) from exc
    if kind is not None and kind not in City.Kind.values:
        raise CityDataError(_("Unknown kind of city “%(kind)s”.") % {"kind": shorten(kind)})

    with transaction.atomic():
        city = City.objects.select_for_update().filter(slug=slug).first()
        if city is None:
            city = City.objects.create(
                slug=slug,
                province_code=province_code,
                kind=kind or City.Kind.PROVINCE,
                name_th=name_th or province.name_th,
                name_en=name_en or province.name_en,
                gnlc_member_since=gnlc_member_since,
                area_km2=area_km2,
            )
            transaction.on_commit(city_current_forget)
            return city, True
        if city.province_code != province_code:
            raise CityDataError(
                _("The city “%(slug)s” is in province %(city_province)s, not %(code)s.")
                % {"slug": slug, "city_province": city.province_code, "code": province_code}
            )
        wanted = {"kind": kind, "name_th": name_th, "name_en": name_en, "gnlc_member_since": gnlc_member_since}
        if area_km2 is not None:
            wanted["area_km2"] = area_km2
        changed = [name for name, value in wanted.items() if value not in (None, "") and getattr(city, name) != value]
        for name in changed:
            setattr(city, name, wanted[name])
        if changed:
            city.save(update_fields=changed)
            transaction.on_commit(city_current_forget)
        return city, False


# --- Districts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictLoadResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _geothai_areas(province_code: str, district_code: str | None, level: str) -> list[tuple[str, str, str, str]]:
    """(code, name_th, name_en, parent_code) of the areas to load, or CityDataError."""
    if level not in District.Level.values:
        raise CityDataError(_("Unknown district level “%(level)s”.") % {"level": shorten(level)})
    if geothai.province(province_code) is None:
        raise CityDataError(_("Unknown province code “%(code)s”.") % {"code": shorten(province_code)})
    if district_code:
        district = geothai.district(district_code)
        if district is None or district.province_code != province_code:
            raise CityDataError(
                _("Unknown district code “%(code)s” in province %(province)s.")
                % {"code": shorten(district_code), "province": province_code}
            )
        if level == District.Level.DISTRICT:
            raise CityDataError(_("A district code selects that district's subdistricts: use the subdistrict level."))
        return [(s.code, s.name_th, s.name_en, s.district_code) for s in geothai.subdistricts(district_code)]
    if level == District.Level.DISTRICT:
        return [(d.code, d.name_th, d.name_en, "") for d in geothai.districts(province_code)]
    return [
        (s.code, s.name_th, s.name_en, s.district_code)
        for d in geothai.districts(province_code)
        for s in geothai.subdistricts(d.code)
    ]


def districts_load_from_geothai(
    *, city: City, province_code: str, district_code: str | None = None, level: str = District.Level.SUBDISTRICT
) -> DistrictLoadResult:
    """Load the city's reporting districts from geothai: the subdistricts of one district
    (district_code), or of a whole province, or the province's districts (level=district).
    Idempotent: existing districts keep their ids; their names follow geothai. Districts
    of the city that are not in this load are left alone (people and venues point to them)."""
    province_code = str(province_code).strip()
    district_code = str(district_code).strip() if district_code else None
    if city.province_code != province_code:
        raise CityDataError(
            _("The city “%(slug)s” is in province %(city_province)s, not %(code)s.")
            % {"slug": city.slug, "city_province": city.province_code, "code": shorten(province_code)}
        )
    areas = _geothai_areas(province_code, district_code, level)
    fields = ("name_th", "name_en", "level", "parent_code")
    with transaction.atomic():
        existing = {
            d.code: d for d in District.objects.select_for_update().filter(city=city, code__in=[a[0] for a in areas])
        }
        new, changed = [], []
        for code, name_th, name_en, parent_code in areas:
            values = {"name_th": name_th, "name_en": name_en, "level": level, "parent_code": parent_code}
            district = existing.get(code)
            if district is None:
                new.append(District(city=city, code=code, **values))
            elif any(getattr(district, f) != values[f] for f in fields):
                for f in fields:
                    setattr(district, f, values[f])
                changed.append(district)
        District.objects.bulk_create(
            new, update_conflicts=True, unique_fields=["city", "code"], update_fields=list(fields)
        )
        District.objects.bulk_update(changed, list(fields))
    return DistrictLoadResult(created=len(new), updated=len(changed), unchanged=len(areas) - len(new) - len(changed))


# --- Boundaries --------------------------------------------------------------------------

# Property names that may carry a feature's DOPA code, compared without regard to case.
# ADM2_PCODE / ADM3_PCODE are the OCHA (HDX) administrative boundary files: "TH5001", "TH500101".
BOUNDARY_CODE_PROPERTIES = ("code", "district_code", "subdistrict_code", "tambon_code", "adm3_pcode", "adm2_pcode")
BOUNDARY_GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
MAX_BOUNDARY_ERRORS = 50


@dataclass(frozen=True)
class BoundaryResult:
    attached: int
    ignored: int  # features whose code is not one of the city's districts


def _feature_code(properties: dict[str, Any]) -> str | None:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    for name in BOUNDARY_CODE_PROPERTIES:
        value = lowered.get(name)
        if isinstance(value, bool) or value in (None, ""):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip().upper()
        return text.removeprefix("TH")
    return None


def _is_position(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (2, 3)
        and all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
    )


def _polygon_error(polygon) -> str | None:
    if not isinstance(polygon, list) or not polygon:
        return _("a polygon must be a list of rings")
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4 or not all(_is_position(p) for p in ring):
            return _("a ring must be a list of at least 4 positions [longitude, latitude]")
        if ring[0][:2] != ring[-1][:2]:
            return _("a ring must end where it starts")
        if not all(-180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in ring):
            return _("coordinates must be longitude and latitude (WGS 84), not projected metres")
    return None


def _geometry_error(geometry) -> str | None:
    if not isinstance(geometry, dict) or geometry.get("type") not in BOUNDARY_GEOMETRY_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        return _("the geometry must be a Polygon or MultiPolygon, not %(type)s") % {"type": shorten(str(kind))}
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        return _polygon_error(coordinates)
    if not isinstance(coordinates, list) or not coordinates:
        return _("a MultiPolygon must be a list of polygons")
    for polygon in coordinates:
        error = _polygon_error(polygon)
        if error:
            return error
    return None


def district_boundaries_attach(*, city: City, file: IO[bytes]) -> BoundaryResult:
    """Attach GeoJSON boundaries to the city's districts by code. The file is a
    FeatureCollection; each feature has a code property (BOUNDARY_CODE_PROPERTIES) and a
    Polygon or MultiPolygon geometry in longitude/latitude. Features of other areas are
    ignored (a whole-country file works). Any malformed feature refuses the whole file."""
    try:
        data = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CityDataError(
            _("The boundary file is not valid JSON (%(reason)s).") % {"reason": shorten(str(exc), 80)}
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise CityDataError(_("The boundary file must be a GeoJSON FeatureCollection."))

    districts = {d.code: d for d in District.objects.filter(city=city)}
    errors: list[str] = []
    matched: dict[str, tuple[int, dict]] = {}
    ignored = 0
    for number, feature in enumerate(data["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(_("Feature %(number)s: not a GeoJSON Feature.") % {"number": number})
            continue
        properties = feature.get("properties")
        code = _feature_code(properties) if isinstance(properties, dict) else None
        if code is None:
            errors.append(
                _("Feature %(number)s: no code property (one of: %(names)s).")
                % {"number": number, "names": ", ".join(BOUNDARY_CODE_PROPERTIES)}
            )
            continue
        if code not in districts:
            ignored += 1
            continue
        error = _geometry_error(feature.get("geometry"))
        if error:
            errors.append(
                _("Feature %(number)s (%(code)s): %(error)s.") % {"number": number, "code": code, "error": error}
            )
        elif code in matched:
            errors.append(
                _("Feature %(number)s: code %(code)s is already on feature %(other)s.")
                % {"number": number, "code": code, "other": matched[code][0]}
            )
        else:
            matched[code] = (number, feature["geometry"])
    if errors:
        raise CityDataError(
            _("The boundary file was refused; nothing was changed."),
            details=errors[:MAX_BOUNDARY_ERRORS],
        )
    with transaction.atomic():
        changed = []
        for code, (_number, geometry) in matched.items():
            district = districts[code]
            district.boundary = geometry
            changed.append(district)
        District.objects.bulk_update(changed, ["boundary"])
    return BoundaryResult(attached=len(matched), ignored=ignored)


# --- Population --------------------------------------------------------------------------

POPULATION_BATCH_SIZE = 5_000
POPULATION_UNIQUE_FIELDS = ["district", "year", "sex", "age_from"]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    years: tuple[int, ...] = ()
    errors: list[tuple[int, str]] = field(default_factory=list)
    error_count: int = 0  # may exceed len(errors) for a file of garbage

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def population_cells_upsert(*, cells: Iterable[Population]) -> int:
    """Insert or update population cells (by district, year, sex, age_from) in batches."""
    batch: list[Population] = []
    written = 0
    for cell in cells:
        batch.append(cell)
        if len(batch) >= POPULATION_BATCH_SIZE:
            written += _upsert(batch)
            batch = []
    if batch:
        written += _upsert(batch)
    return written


def _upsert(batch: list[Population]) -> int:
    Population.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=POPULATION_UNIQUE_FIELDS,
        update_fields=["age_to", "count", "is_demo"],
    )
    return len(batch)


def city_population_year_refresh(*, city: City) -> None:
    """City.population_year := the latest year with figures (None when there are none)."""
    latest = Population.objects.filter(district__city=city).aggregate(latest=Max("year"))["latest"]
    if city.population_year != latest:
        city.population_year = latest
        city.save(update_fields=["population_year"])
        transaction.on_commit(city_current_forget)


def population_import_csv(
    *, city: City, file: IO[bytes], replace: bool = False, year: int | None = None
) -> ImportResult:
    """Import population figures from a CSV file (docs/population-csv.md). Every line is
    checked first; if any is bad, nothing is written and the result lists (line, message)
    for each. Good files are upserted (importing twice changes nothing); with replace, the
    city's figures for the years in the file are deleted first, in the same transaction.
    Without replace, a figure already stored whose age range overlaps a new one is an error."""
    district_ids = dict(District.objects.filter(city=city).values_list("code", "id"))
    parsed = parse_population_csv(file, district_ids=district_ids, year=year)
    result = ImportResult(errors=parsed.errors, error_count=parsed.error_count)
    if parsed.error_count:
        return result
    cells = parsed.cells
    years = sorted({c.year for c in cells})

    with transaction.atomic():
        City.objects.select_for_update().filter(pk=city.pk).first()  # one import per city at a time
        stored: dict[tuple[int, int, str], dict[int, int | None]] = defaultdict(dict)
        if replace:
            result.deleted, _by_model = Population.objects.filter(district__city=city, year__in=years).delete()
        else:
            for district_id, y, sex, age_from, age_to in Population.objects.filter(
                district__city=city, year__in=years
            ).values_list("district_id", "year", "sex", "age_from", "age_to"):
                stored[(district_id, y, sex)][age_from] = age_to
            _check_stored_overlaps(cells, stored, result)
            if result.error_count:
                result.errors.sort(key=lambda e: e[0])
                return result
        population_cells_upsert(
            cells=(
                Population(
                    district_id=c.district_id,
                    year=c.year,
                    sex=c.sex,
                    age_from=c.age_from,
                    age_to=c.age_to,
                    count=c.count,
                    is_demo=False,
                )
                for c in cells
            )
        )
        city_population_year_refresh(city=city)
    result.rows = len(cells)
    result.updated = sum(1 for c in cells if c.age_from in stored.get((c.district_id, c.year, c.sex), ()))
    result.created = result.rows - result.updated
    result.years = tuple(years)
    return result


def _check_stored_overlaps(cells, stored, result: ImportResult) -> None:
    """A stored figure that this file does not overwrite (another age_from) must not overlap
    any range of the file: 0-4 in the file and single years 0..4 stored would both count."""
    by_group: dict[tuple[int, int, str], list] = defaultdict(list)
    for c in cells:
        by_group[(c.district_id, c.year, c.sex)].append(c)
    for key, group in by_group.items():
        if key not in stored:
            continue
        starts = {c.age_from for c in group}
        remaining = [(a, b) for a, b in stored[key].items() if a not in starts]
        for c in group:
            for a, b in remaining:
                if ranges_overlap(c.age_from, c.age_to, a, b):
                    result.error_count += 1
                    result.errors.append(
                        (
                            c.line,
                            _(
                                "Ages %(ages)s overlap the stored figure for ages %(stored)s; "
                                "import with “replace” to replace that year's figures."
                            )
                            % {"ages": age_label(c.age_from, c.age_to), "stored": age_label(a, b)},
                        )
                    )
                    break
