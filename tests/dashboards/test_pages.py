"""Dashboard pages: selectors against hand-computed values, who sees what, small-cell
suppression, exports, hostile filters, the cache and query counts.

The figures come from tests/dashboards/pages_world.py (summary rows inserted directly)."""

import csv
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _

from learningcity.dashboards import selectors as sel
from learningcity.dashboards.forms import Filters
from learningcity.dashboards.models import RefreshRun
from tests.dashboards.pages_world import build

pytestmark = pytest.mark.django_db

OVERVIEW = "/dashboards/"
EN_OVERVIEW = "/en/dashboards/"


@pytest.fixture
def world():
    return build()


def _filters(world, **kwargs):
    return Filters(start=world["start"], end=world["end"], **kwargs)


# --- Selectors ------------------------------------------------------------------------------


def test_activity_selectors_equal_hand_computed_sums(world):
    city = world["city"].pk
    totals = sel.activity_totals(city_id=city, f=_filters(world))
    assert totals["current"]["enrolments"] == 3 + 12 + 8 + 2
    assert totals["current"]["attendances"] == 12 + 30 + 20 + 4
    assert totals["current"]["learning_minutes"] == 1440 + 2700 + 1200 + 240
    assert totals["current"]["completions"] == 18
    assert totals["previous"]["enrolments"] == 10
    by = sel.activity_breakdowns(city_id=city, f=_filters(world))
    a, b = world["districts"]["A"].pk, world["districts"]["B"].pk
    assert by["district"][a]["enrolments"] == 23
    assert by["district"][b]["waitlist_unmet"] == 1
    assert by["age"][60]["attendances"] == 16
    assert by["sex"]["male"]["learning_minutes"] == 1200
    assert by["provider"][world["p1"].pk]["enrolments"] == 15
    assert by["category"][world["c2"].pk]["completions"] == 7
    assert by["format"]["online"]["attendances"] == 30
    older_in_a = sel.activity_breakdowns(city_id=city, f=_filters(world, district_id=a, band="60+"))
    assert older_in_a["sex"] == {"female": {**older_in_a["sex"]["female"], "enrolments": 3}}


def test_learner_selectors_equal_hand_computed_counts(world):
    city = world["city"].pk
    a = world["districts"]["A"].pk
    base = sel.learners_base(city_id=city, f=_filters(world))
    assert base["kind"] == "rolling12"
    assert base["total"] == 170
    assert base["residents"] == 163
    assert base["age"][60] == 28 and base["age"][65] == 13
    assert base["district"][a] == 20 + 10 + 6 + 3 + 40 + 30 + 15 + 15
    assert base["age_sex"][(60, "female")] == 22
    older_in_a = sel.learners_base(city_id=city, f=_filters(world, district_id=a, band="60+"))
    assert older_in_a["total"] == 39
    assert sel.learners_base(city_id=city, f=_filters(world, provider_id=world["p1"].pk))["total"] == 15
    # a provider and a category together: not stored
    assert sel.learners_base(city_id=city, f=_filters(world, provider_id=1, category_id=1)) is None
    dims = sel.learners_by_dimension(city_id=city, f=_filters(world))
    assert dims["block"] == {"2": 15, "4": 15, "6": 10}
    population = sel.population_cells(city=world["city"])
    assert population.year == 2025
    assert population.count() == 2250 + 1300
    assert population.count(groups=(60, 65), sex="female") == 300


def test_indicator_rows_match_hand_computed_rates(world):
    population = sel.population_cells(city=world["city"])
    districts = sel.district_lookup(city=world["city"])
    report = sel.indicator_rows(
        city=world["city"],
        month=world["end"].replace(day=1),
        scope=sel.Scope("city", True),
        districts=districts,
        population=population,
    )
    rows = {row[0]: row for row in report["tables"]["participation"].rows}
    # 60+: 41 resident learners of 550 residents; women 32/300, men 9/250
    assert rows["60+"][1] == 41 and rows["60+"][2] == 550
    assert rows["60+"][3] == pytest.approx(41 / 550)
    assert rows["60+"][4] == pytest.approx(32 / 300) and rows["60+"][5] == pytest.approx(9 / 250)
    assert rows["60+"][6] == pytest.approx((32 / 300) / (9 / 250))
    assert rows["60+"][7] == pytest.approx(1.6625)
    # 25-64 = groups 25 and 60: 92 + 28 = 120 of 1,600 + 280
    assert rows["25-64"][3] == pytest.approx(120 / 1880)
    r = (72 / 950) / (48 / 930)
    assert rows["25-64"][7] == pytest.approx(2 - 1 / r)
    # 15-24: 15/250 each: parity
    assert rows["15-24"][6] == pytest.approx(1.0)
    parity = report["tables"]["parity"].rows
    older = parity[1]
    r = (41 / 550) / (92 / 1600)
    assert older[3] == pytest.approx(r) and older[4] == pytest.approx(2 - 1 / r)
    district_b = next(row for row in parity if row[0].startswith("พระสิงห์") or row[0].startswith("Phra Sing"))
    r = (24 / 1300) / (163 / 3550)
    assert district_b[3] == pytest.approx(r) and district_b[4] == pytest.approx(r)  # r < 1: unadjusted


def test_equity_rows_put_under_served_cells_first(world):
    population = sel.population_cells(city=world["city"])
    districts = sel.district_lookup(city=world["city"])
    report = sel.equity_rows(
        city=world["city"], f=_filters(world), scope=sel.Scope("city", True), districts=districts, population=population
    )
    rows = report["tables"]["equity"].rows
    ratios = [row[7] for row in rows if row[7] is not None]
    assert ratios == sorted(ratios)
    older_label = str(_("Older adults (60+)"))  # in the active language, whatever it is
    b_older = next(row for row in rows if row[1].endswith(older_label) and row[0] in ("พระสิงห์", "Phra Sing"))
    assert b_older[2] == 2  # exact for administrators
    assert b_older[4] == pytest.approx(10.0)  # 2 of 200 residents
    assert b_older[5] == pytest.approx(41 / 550 * 1000)
    assert b_older[7] == pytest.approx(10.0 / (41 / 550 * 1000))
    assert report["population_year"] == 2025
    wait = {row[0]: row for row in report["tables"]["waitlist"].rows}
    assert wait["ศรีภูมิ"][1] == 2 and wait["ศรีภูมิ"][2] == 21


# --- Who sees what ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in (OVERVIEW, "/dashboards/equity/", "/dashboards/export/overview/time.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["editor", "resident"])
def test_editors_and_residents_get_403(client, world, who):
    client.force_login(world[who])
    for url in (
        OVERVIEW,
        "/dashboards/equity/",
        "/dashboards/indicators/",
        "/dashboards/gnlc-report/",
        "/dashboards/export/overview/time.csv",
    ):
        assert client.get(url).status_code == 403


def test_managers_get_403_on_city_wide_pages(client, world):
    client.force_login(world["manager"])
    for url in (
        "/dashboards/equity/",
        "/dashboards/indicators/",
        "/dashboards/gnlc-report/",
        "/dashboards/export/equity/equity.csv",
    ):
        assert client.get(url).status_code == 403


def _headline(response, key):
    return next(item for item in response.context["report"]["headline"] if item["key"] == key)


def test_city_admin_sees_exact_city_figures(client, world):
    client.force_login(world["admin"])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert _headline(response, "learners")["value"] == 170
    assert _headline(response, "learners")["change"] == pytest.approx(70.0)
    assert _headline(response, "enrolments")["value"] == 25
    assert _headline(response, "hours")["value"] == 93.0
    assert _headline(response, "rate")["value"] == pytest.approx(163 / 3550)
    older = response.context["report"]["tables"]["band"].rows[4]  # 0-5, 6-14, 15-24, 25-59, 60+
    assert older[1] == 41 and older[2] == 550  # learners, residents
    male = response.context["report"]["tables"]["sex"].rows[1]  # female, male, other, not stated
    assert male[1] == 66  # 6 + 3 + 30 + 15 + 12: every man, exact
    content = response.content.decode()
    assert "25" in content and str(world["city"].population_year + 543) in content  # B.E. in Thai
    assert 'role="img"' in content and "<title" in content  # the charts
    assert '<path d="M' in content  # the district map (boundaries loaded)


def test_manager_sees_only_own_provider_with_small_cells_suppressed(client, world):
    client.force_login(world["manager"])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert response.context["filters"].provider_id == world["p1"].pk
    assert _headline(response, "enrolments")["value"] == 15  # P1 only (the city has 25)
    assert _headline(response, "learners")["value"] == 15
    older = response.context["report"]["tables"]["band"].rows[4]
    assert older[1] == "<5"  # 3 older learners
    assert older[3] is None  # no rate from a suppressed count
    assert older[4] == "<5"  # 3 enrolments
    providers = [row[0] for row in response.context["report"]["tables"]["provider"].rows]
    assert providers == [world["p1"].name_th]
    assert world["p2"].name_th not in response.content.decode()


def test_manager_asking_for_another_provider_still_gets_own_slice(client, world):
    client.force_login(world["manager"])
    response = client.get(OVERVIEW, {"provider": world["p2"].pk})
    assert response.status_code == 200  # quietly their own provider
    assert response.context["filters"].provider_id == world["p1"].pk
    assert _headline(response, "enrolments")["value"] == 15  # not P2's 10
    csv_response = client.get("/dashboards/export/overview/provider.csv", {"provider": world["p2"].pk})
    text = csv_response.content.decode("utf-8-sig")
    assert world["p2"].name_th not in text and world["p1"].name_th in text


def test_other_manager_sees_other_slice(client, world):
    client.force_login(world["manager2"])
    response = client.get(OVERVIEW)
    assert _headline(response, "enrolments")["value"] == 10
    assert _headline(response, "learners")["value"] == 10


def test_admin_filters_to_older_adults_in_one_district(client, world):
    client.force_login(world["admin"])
    a = world["districts"]["A"].pk
    response = client.get(OVERVIEW, {"district": a, "band": "60+"})
    assert _headline(response, "learners")["value"] == 39
    assert _headline(response, "enrolments")["value"] == 3
    district_rows = response.context["report"]["tables"]["district"].rows
    assert [row[0] for row in district_rows] == ["ศรีภูมิ"]
    assert district_rows[0][3] == pytest.approx(39 / 350 * 1000)
    # htmx: only the results partial
    partial = client.get(OVERVIEW, {"district": a, "band": "60+"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b'id="h-headline"' in partial.content


def test_public_page_suppresses_small_cells(client, world):
    response = client.get("/en/our-learning-city/")
    assert response.status_code == 200
    assert _headline(response, "learners")["value"] == 170
    rows = response.context["report"]["tables"]["blocks"].rows
    assert [row[1] for row in rows] == [0, 15, 0, 15, 0, 10]
    content = response.content.decode()
    assert "Our learning city" in content and "Data as of" in content
    # a small learner count on the public page
    world_b = sel.learners_base(
        city_id=world["city"].pk, f=_filters(world, district_id=world["districts"]["B"].pk, band="60+")
    )
    assert world_b["total"] == 2


def test_public_and_manager_suppress_but_admin_does_not(client, world):
    b = world["districts"]["B"].pk
    client.force_login(world["admin"])
    admin = client.get(OVERVIEW, {"district": b, "band": "60+"})
    assert _headline(admin, "learners")["value"] == 2
    client.force_login(world["manager2"])
    manager = client.get(OVERVIEW, {"district": b, "band": "60+"})
    assert _headline(manager, "learners")["value"] == "<5"
    assert _headline(manager, "rate")["value"] is None
    assert "&lt;5" in manager.content.decode()


def test_equity_indicators_and_gnlc_pages_render_for_admins(client, world):
    client.force_login(world["admin"])
    for url, text in (
        ("/dashboards/equity/", "2568"),  # the population year in B.E.
        ("/dashboards/indicators/", "4.3.1"),
        ("/dashboards/gnlc-report/", "40.2"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode()
    gnlc = client.get("/dashboards/gnlc-report/")
    rows = gnlc.context["report"]["tables"]["gnlc"].rows
    assert rows[1][3] == 15 and rows[1][4] == pytest.approx(69.0)  # block 2: C1's 1440 + 2700 minutes


# --- Exports -------------------------------------------------------------------------------


def test_csv_has_bom_thai_text_and_the_same_filters(client, world):
    client.force_login(world["admin"])
    a = world["districts"]["A"].pk
    response = client.get("/en/dashboards/export/overview/district.csv", {"district": a, "band": "60+"})
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header_index = next(i for i, row in enumerate(rows) if len(row) > 2 and row[0] == "Area")
    data = rows[header_index + 1]
    assert data[0] == "Si Phum" and data[1] == "39"
    assert any(row[:2] == ["Age band", "Older adults (60+)"] for row in rows)
    thai = client.get("/dashboards/export/overview/district.csv", {"district": a, "band": "60+"})
    thai_rows = list(csv.reader(io.StringIO(thai.content.decode("utf-8-sig"))))
    assert any(row and row[0] == "ศรีภูมิ" and row[1] == "39" for row in thai_rows)
    assert any(row[:2] and row[1] == "เมืองเชียงใหม่" for row in thai_rows if len(row) > 1)


def test_xlsx_reads_back_with_thai_text_and_numbers(client, world):
    client.force_login(world["admin"])
    response = client.get("/dashboards/export/overview/district.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    si_phum = next(row for row in values if row[0] == "ศรีภูมิ")
    assert si_phum[1] == 139 and si_phum[2] == 2250
    assert values[1] == [next(v for v in values[1] if v), "เมืองเชียงใหม่"] + [None] * (len(values[1]) - 2)


def test_manager_export_is_suppressed(client, world):
    client.force_login(world["manager"])
    response = client.get("/en/dashboards/export/overview/band.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    older = next(row for row in rows if row and row[0] == "Older adults (60+)")
    assert older[1] == "<5"


def test_export_defuses_formulas(client, world):
    world["p1"].name_th = "=HYPERLINK(1)"
    world["p1"].save()
    client.force_login(world["admin"])
    response = client.get("/dashboards/export/overview/provider.csv")
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_a_long_provider_table_shows_the_busiest_and_the_download_has_every_provider(client, world):
    from learningcity.dashboards.models import ActivityDay
    from tests.factories import ProviderFactory

    extra = sel.PROVIDERS_SHOWN + 3
    providers = [ProviderFactory(city=world["city"], name_en=f"Extra provider {i:02d}") for i in range(extra)]
    ActivityDay.objects.bulk_create(
        ActivityDay(
            city=world["city"],
            day=world["start"],
            district=world["districts"]["A"],
            age_from=25,
            sex="female",
            provider=provider,
            category=world["c1"],
            format="online",
            enrolments=1,
            attendances=100 + i,  # the last extra provider is the busiest
        )
        for i, provider in enumerate(providers)
    )
    _rollups_follow()
    client.force_login(world["admin"])
    response = client.get(EN_OVERVIEW)
    table = next(t for t in response.context["tables"] if t.key == "provider")
    assert len(table.rows) == extra + 2
    names = [row[0] for row in table.display_rows()]
    assert len(names) == sel.PROVIDERS_SHOWN
    assert names[0] == f"Extra provider {extra - 1:02d}"
    assert "Extra provider 00" not in names  # among the least busy
    html = response.content.decode()
    assert f"{extra + 2 - sel.PROVIDERS_SHOWN} more rows are in the downloads below." in html
    assert "Extra provider 00" not in html.split('id="data-provider"')[1].split("</table>")[0]
    download = client.get("/en/dashboards/export/overview/provider.csv").content.decode("utf-8-sig")
    assert all(f"Extra provider {i:02d}" in download for i in range(extra))


def test_unknown_export_table_or_format_is_404(client, world):
    client.force_login(world["admin"])
    assert client.get("/dashboards/export/overview/nope.csv").status_code == 404
    assert client.get("/dashboards/export/overview/time.pdf").status_code == 404
    assert client.get("/dashboards/export/nope/time.csv").status_code == 404


# --- Hostile and malformed filters -------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"district": "abc"},
        {"district": "999999999999999999999999"},
        {"district": "1; DROP TABLE city_district"},
        {"band": "<script>alert(1)</script>"},
        {"category": "-1"},
        {"provider": "0x10"},
        {"period": "forever"},
        {"period": "custom", "date_from": "2026-02-30", "date_to": "2026-03-01"},
        {"period": "custom", "date_from": "9999-01-01", "date_to": "9999-12-31"},
        {"period": "custom", "date_from": "x" * 5000, "date_to": ""},
        {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-01-01"},
        {"period": "custom", "date_from": "2001-01-01", "date_to": "2026-01-01"},
        {"grain": "century"},
        {"month": "2026-13"},
        {"district": "\x00"},
    ],
)
def test_hostile_filters_give_a_translated_message_and_400(client, world, params):
    client.force_login(world["admin"])
    response = client.get(EN_OVERVIEW, params)
    assert response.status_code == 400
    assert response.context["notices"]
    assert "The default is shown instead" in response.content.decode()
    assert _headline(response, "enrolments")["value"] == 25  # the default figures
    export = client.get("/dashboards/export/overview/time.csv", params)
    assert export.status_code == 400


def test_empty_filter_values_are_the_defaults(client, world):
    client.force_login(world["admin"])
    response = client.get(OVERVIEW, {"district": "", "band": "", "period": "", "grain": ""})
    assert response.status_code == 200
    assert _headline(response, "enrolments")["value"] == 25


def test_buddhist_era_dates_are_understood(client, world):
    client.force_login(world["admin"])
    start, end = world["start"], world["end"]
    be = {
        "period": "custom",
        "date_from": f"{start.day:02d}/{start.month:02d}/{start.year + 543}",
        "date_to": f"{end.year + 543}-{end.month:02d}-{end.day:02d}",
    }
    response = client.get(OVERVIEW, be)
    assert response.status_code == 200
    assert response.context["filters"].start == start and response.context["filters"].end == end
    assert _headline(response, "learners")["value"] == 170


def test_htmx_request_with_a_bad_value_still_swaps_the_message(client, world):
    client.force_login(world["admin"])
    response = client.get(OVERVIEW, {"band": "bogus"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"message--warning" in response.content


# --- Cache and query counts -------------------------------------------------------------------


def test_cache_serves_until_a_refresh_lands(client, world):
    from django.core.cache import cache

    from learningcity.dashboards.models import ActivityDay

    client.force_login(world["admin"])
    assert _headline(client.get(OVERVIEW), "enrolments")["value"] == 25
    ActivityDay.objects.filter(enrolments=12).update(enrolments=112)
    _rollups_follow()
    assert _headline(client.get(OVERVIEW), "enrolments")["value"] == 25  # cached
    keys = cache._cache.get_client().keys("*dash:v1:overview:*")
    assert keys
    run = RefreshRun.objects.get()
    RefreshRun.objects.create(
        kind="incremental", started_at=run.started_at, finished_at=run.finished_at, days_refreshed=1
    )
    assert _headline(client.get(OVERVIEW), "enrolments")["value"] == 125  # new data version, new key


def test_warming_caches_the_default_view_of_every_page_in_every_language(client, world):
    from django.db.models import F

    from learningcity.dashboards import reports
    from learningcity.dashboards.models import ActivityTotal

    assert reports.reports_warm() == 10  # 4 pages + the public page, Thai and English
    # Figures changed behind the cache's back: the warmed pages still show what was computed.
    ActivityTotal.objects.update(enrolments=F("enrolments") + 1000)
    client.force_login(world["admin"])
    for url in (OVERVIEW, EN_OVERVIEW):
        assert _headline(client.get(url), "enrolments")["value"] == 25
    for url in ("/dashboards/equity/", "/en/dashboards/indicators/", "/dashboards/gnlc-report/"):
        assert client.get(url).status_code == 200
    client.logout()
    assert _headline(client.get("/en/our-learning-city/"), "enrolments")["value"] == 25
    # A view that was not warmed is computed from the tables.
    client.force_login(world["admin"])
    assert _headline(client.get(OVERVIEW, {"grain": "year"}), "enrolments")["value"] > 1000


def test_a_refresh_that_changed_data_warms_the_cache(world):
    from django.core.cache import cache
    from django.utils import timezone

    from learningcity.dashboards import tasks
    from learningcity.dashboards.models import DirtyDay

    cache.clear()
    DirtyDay.objects.create(day=timezone.localdate(), marked_at=timezone.now())
    tasks.aggregates_refresh.delay().get(timeout=60)  # eager in tests: the warm task runs too
    keys = cache._cache.get_client().keys("*dash:v1:*")
    assert {k.decode().split("dash:v1:")[1].split(":")[0] for k in keys} == {
        "overview",
        "equity",
        "indicators",
        "gnlc",
        "public",
    }


def test_a_run_that_changed_nothing_keeps_the_cache(client, world):
    client.force_login(world["admin"])
    from learningcity.dashboards.models import ActivityDay

    client.get(OVERVIEW)
    ActivityDay.objects.filter(enrolments=12).update(enrolments=112)
    _rollups_follow()
    run = RefreshRun.objects.get()
    RefreshRun.objects.create(kind="incremental", started_at=run.started_at, finished_at=run.finished_at)
    assert _headline(client.get(OVERVIEW), "enrolments")["value"] == 25


def _count(client, url, params=None):
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(queries)


PAGES = [
    (OVERVIEW, None),
    (OVERVIEW, {"grain": "week"}),
    ("/dashboards/equity/", None),
    ("/dashboards/indicators/", None),
    ("/dashboards/gnlc-report/", None),
    ("/dashboards/export/overview/district.xlsx", None),
]


def test_query_counts_are_bounded_and_do_not_grow_with_history(client, django_assert_max_num_queries):
    small = build()
    client.force_login(small["admin"])
    counts = {}
    for url, params in PAGES:
        with django_assert_max_num_queries(22):
            counts[(url, str(params))] = _count(client, url, params)
    # the public page and a manager's overview
    client.logout()
    with django_assert_max_num_queries(12):
        counts["public"] = _count(client, "/our-learning-city/")
    client.force_login(small["manager"])
    with django_assert_max_num_queries(22):
        counts["manager"] = _count(client, OVERVIEW)

    # Ten times more history: the same number of queries.
    from learningcity.dashboards.models import ActivityDay, LearnerPeriod

    before = ActivityDay.objects.count(), LearnerPeriod.objects.count()
    _more_history(small, 300)
    assert ActivityDay.objects.count() > before[0] + 200 and LearnerPeriod.objects.count() > before[1] + 200
    client.force_login(small["admin"])
    for url, params in PAGES:
        assert _count(client, url, params) == counts[(url, str(params))], url
    client.logout()
    assert _count(client, "/our-learning-city/") == counts["public"]


def test_a_cached_page_needs_fewer_queries(client, world, django_assert_max_num_queries):
    client.force_login(world["admin"])
    client.get(OVERVIEW)
    with django_assert_max_num_queries(10):
        client.get(OVERVIEW)


def _rollups_follow():
    """The monthly rollups follow the summary rows changed by hand (the refresh keeps both)."""
    from django.db import connection

    from learningcity.dashboards import aggregation

    with connection.cursor() as cursor:
        aggregation.rollups_from_tables(cursor)


def _more_history(world, n):
    import datetime as dt

    from learningcity.dashboards.indicators import add_months
    from learningcity.dashboards.models import ActivityDay, LearnerPeriod

    first = world["start"] - dt.timedelta(days=400)
    ActivityDay.objects.bulk_create(
        ActivityDay(
            city=world["city"],
            day=first - dt.timedelta(days=i),
            district=world["districts"]["A"],
            age_from=25,
            sex="female",
            provider=world["p1"],
            category=world["c1"],
            format="in_person",
            enrolments=1,
            attendances=2,
            learning_minutes=90,
        )
        for i in range(n)
    )
    month = add_months(world["start"], -13)
    LearnerPeriod.objects.bulk_create(
        LearnerPeriod(
            city=world["city"],
            kind="month",
            period_start=add_months(month, -i),
            period_end=add_months(month, -i + 1) - dt.timedelta(days=1),
            dimension="all",
            value="",
            district=world["districts"]["A"],
            age_from=25,
            sex="female",
            learners=3,
        )
        for i in range(n)
    )
    _rollups_follow()


def test_navigation_links(client, world):
    client.force_login(world["admin"])
    assert b'href="/dashboards/"' in client.get("/staff/").content
    client.force_login(world["manager"])
    assert b'href="/dashboards/"' in client.get("/staff/").content
    client.force_login(world["editor"])
    assert b'href="/dashboards/"' not in client.get("/staff/").content
    assert b'href="/our-learning-city/"' in client.get("/").content


def test_names_with_markup_are_escaped_in_tables_and_charts(client, world):
    """A provider named with HTML (staff input) shows as text in the table and the SVG chart."""
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    world["p1"].name_en = hostile
    world["p1"].name_th = hostile
    world["p1"].save(update_fields=["name_en", "name_th"])
    client.force_login(world["admin"])
    for url in ("/en/dashboards/", "/dashboards/"):
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body and "<img src=x" not in body
        assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # table row, chart label, filter option
        option = f'<option value="{world["p1"].pk}">&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x'
        assert option in body
    selected = client.get("/en/dashboards/", {"provider": world["p1"].pk}).content.decode()
    assert f'<option value="{world["p1"].pk}" selected>&lt;script&gt;' in selected
    assert '<select name="provider" id="id_provider"' in selected


# --- The provider filter: a long list drawn from one cached string --------------------------


def _provider_select(response) -> str:
    return re.search(r'<select[^>]*name="provider".*?</select>', response.content.decode(), re.S).group(0)


def test_the_provider_filter_lists_every_provider_and_marks_the_chosen_one(client, world):
    client.force_login(world["admin"])
    select = _provider_select(client.get(EN_OVERVIEW))
    assert '<option value="" selected>All providers</option>' in select
    assert f'<option value="{world["p1"].pk}">Elderly school</option>' in select
    chosen = _provider_select(client.get(EN_OVERVIEW, {"provider": world["p2"].pk}))
    assert f'<option value="{world["p2"].pk}" selected>City library</option>' in chosen
    assert '<option value="" selected>' not in chosen and chosen.count(" selected") == 1
    refused = client.get(EN_OVERVIEW, {"provider": "999999999"})
    assert refused.status_code == 400 and " selected" not in _provider_select(refused)
    assert 'aria-invalid="true"' in _provider_select(refused)


def test_a_managers_filter_offers_only_their_provider(client, world):
    client.force_login(world["manager"])
    select = _provider_select(client.get(EN_OVERVIEW, {"provider": world["p2"].pk}))
    assert select.count("<option") == 1 and f'<option value="{world["p1"].pk}">Elderly school</option>' in select


def test_a_provider_saved_since_appears_in_the_filter_with_its_name_escaped(client, world):
    client.force_login(world["admin"])
    client.get(EN_OVERVIEW)  # the list is kept for the next pages
    provider = world["p1"]
    provider.name_en = '<b>"Elderly" & school</b>'
    provider.save()  # moves the catalogue's generation
    select = _provider_select(client.get(EN_OVERVIEW))
    assert "&lt;b&gt;&quot;Elderly&quot; &amp; school&lt;/b&gt;" in select and "<b>" not in select
