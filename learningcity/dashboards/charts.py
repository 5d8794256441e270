"""Charts as server-side SVG: no script, no inline style (the CSP allows neither), colours as
SVG presentation attributes. Every chart has a <title> and a <desc> (role="img",
aria-labelledby) and a data table beside it on the page; suppressed cells draw no bar and are
labelled "<5".

- bar_chart:    horizontal bars, a label above each bar (long Thai labels fit a phone);
- column_chart: vertical bars for a series over time;
- choropleth:   districts' GeoJSON boundaries projected to SVG paths (equirectangular,
                x scaled by cos(latitude)), five classes of one blue, hatched where no value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from learningcity.dashboards.selectors import Table, format_value

WIDTH = 640
BLUES = ["#dbe9f6", "#a9cce3", "#5e9cc8", "#2a6fa6", "#0b4a75"]  # light to dark
BAR = "#0b5f8a"
TEXT = "#1b2430"
MUTED = "#4a5667"


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: Iterable[str]) -> SafeString:
    return mark_safe(  # noqa: S308 (every text below is escaped)
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Sarabun, Tahoma, sans-serif">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _series(table: Table, column: str) -> list[tuple[str, object, str]]:
    index = table.column_index(column)
    kind = table.columns[index].kind
    return [(str(row[0]), row[index], format_value(row[index], kind)) for row in table.shown_rows()]


def _describe(table: Table, column: str, series) -> str:
    label = table.columns[table.column_index(column)].label
    numbers = [(name, value) for name, value, _text in series if isinstance(value, int | float)]
    if not numbers:
        return _("%(measure)s: no figures to show.") % {"measure": label}
    top = max(numbers, key=lambda item: item[1])
    return _("%(measure)s for %(count)s rows; highest: %(name)s. The table beside the chart has every figure.") % {
        "measure": label,
        "count": len(series),
        "name": top[0],
    }


def bar_chart(table: Table, column: str | None = None, *, chart_id: str | None = None) -> SafeString:
    column = column or table.chart_column
    chart_id = chart_id or f"chart-{table.key}"
    series = _series(table, column)
    values = [v for _n, v, _t in series if isinstance(v, int | float)]
    peak = max([v for v in values if v > 0], default=1)
    row_h, top = 46, 8
    height = top + row_h * max(len(series), 1) + 8
    body = []
    for i, (name, value, text) in enumerate(series):
        y = top + i * row_h
        body.append(f'<text x="0" y="{y + 15}" font-size="15" fill="{TEXT}">{escape(name)}</text>')
        length = 0.0
        if isinstance(value, int | float) and value > 0:
            length = max(2.0, (WIDTH - 110) * value / peak)
            body.append(f'<rect x="0" y="{y + 21}" width="{length:.1f}" height="16" fill="{BAR}" rx="2"/>')
        body.append(f'<text x="{length + 6:.1f}" y="{y + 34}" font-size="14" fill="{MUTED}">{escape(text)}</text>')
    return _svg(chart_id, table.title, _describe(table, column, series), WIDTH, height, body)


def column_chart(table: Table, column: str | None = None, *, chart_id: str | None = None) -> SafeString:
    column = column or table.chart_column
    chart_id = chart_id or f"chart-{table.key}"
    series = _series(table, column)
    values = [v for _n, v, _t in series if isinstance(v, int | float)]
    peak = max([v for v in values if v > 0], default=1)
    height, base, left = 260, 220, 8
    n = max(len(series), 1)
    slot = (WIDTH - left) / n
    every = max(1, math.ceil(n / 8))
    body = [f'<line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>']
    body.append(f'<text x="{left}" y="14" font-size="13" fill="{MUTED}">{escape(format_value(peak, "count"))}</text>')
    for i, (name, value, text) in enumerate(series):
        x = left + i * slot
        if isinstance(value, int | float) and value > 0:
            h = max(1.0, (base - 24) * value / peak)
            body.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{BAR}"><title>{escape(name)}: {escape(text)}</title></rect>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{base + 18}" font-size="12" fill="{TEXT}" '
                f'text-anchor="middle">{escape(name)}</text>'
            )
    return _svg(chart_id, table.title, _describe(table, column, series), WIDTH, height, body)


# --- Choropleth ----------------------------------------------------------------------------


def _rings(geojson) -> list[list[tuple[float, float]]]:
    """Outer and inner rings of a Polygon/MultiPolygon (bare, in a Feature or a
    FeatureCollection) as [(lon, lat)]; anything else gives none."""
    if not isinstance(geojson, dict):
        return []
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        return [ring for feature in geojson.get("features") or [] for ring in _rings(feature)]
    if kind == "Feature":
        return _rings(geojson.get("geometry"))
    coordinates = geojson.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    out = []
    for polygon in polygons or []:
        for ring in polygon or []:
            try:
                points = [(float(p[0]), float(p[1])) for p in ring]
            except (TypeError, ValueError, IndexError):
                continue
            if len(points) >= 3:
                out.append(points)
    return out


def choropleth(districts: list[dict], values: dict[int, tuple[object, str]], *, title: str, chart_id: str):
    """An SVG map of the districts that have a boundary, coloured by value (5 equal-count
    classes). ``values``: {district id: (value or None/"<5", text)}. None when no district
    has a usable boundary."""
    shapes = [(d, _rings(d.get("boundary"))) for d in districts]
    shapes = [(d, rings) for d, rings in shapes if rings]
    if not shapes:
        return None
    lons = [x for _d, rings in shapes for ring in rings for x, _y in ring]
    lats = [y for _d, rings in shapes for ring in rings for _x, y in ring]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * kx, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    pad = 6
    scale = (WIDTH - 2 * pad) / span_x
    height = min(int(span_y * scale + 2 * pad), 900)
    scale = min(scale, (height - 2 * pad) / span_y)

    numbers = sorted(v for v, _t in values.values() if isinstance(v, int | float))
    breaks = [numbers[min(len(numbers) - 1, (len(numbers) * k) // 5)] for k in range(1, 5)] if numbers else []

    def colour(value) -> str:
        if not isinstance(value, int | float):
            return f"url(#{chart_id}-nodata)"
        return BLUES[sum(1 for b in breaks if value > b)]

    body = [
        f'<defs><pattern id="{chart_id}-nodata" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="#f4f6f8"/><path d="M0,6 L6,0" stroke="{MUTED}" stroke-width="1"/>'
        "</pattern></defs>"
    ]
    for district, rings in shapes:
        d = " ".join(
            "M"
            + " L".join(f"{pad + (x - min_lon) * kx * scale:.1f},{pad + (max_lat - y) * scale:.1f}" for x, y in ring)
            + " Z"
            for ring in rings
        )
        value, text = values.get(district["id"], (None, "—"))
        body.append(
            f'<path d="{d}" fill="{colour(value)}" fill-rule="evenodd" stroke="#ffffff" stroke-width="1">'
            f"<title>{escape(district['name'])}: {escape(text)}</title></path>"
        )
    desc = _("Map of %(count)s areas, darker where more residents take part; the sorted table has every figure.") % {
        "count": len(shapes)
    }
    legend = [
        (BLUES[i], ("≤ " if i < 4 else "> ") + format_value(breaks[min(i, 3)], "per1000")) for i in range(5) if breaks
    ]
    return {"svg": _svg(chart_id, title, desc, WIDTH, height, body), "legend": legend}


def swatch(colour: str) -> SafeString:
    """A legend's colour sample (decorative: the legend's text says what it means)."""
    return mark_safe(  # noqa: S308 (colour is one of ours)
        f'<svg class="chart-swatch" width="20" height="14" viewBox="0 0 20 14" aria-hidden="true" '
        f'focusable="false"><rect width="20" height="14" fill="{escape(colour)}"/></svg>'
    )
