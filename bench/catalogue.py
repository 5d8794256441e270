"""Benchmark 1, the catalogue: gunicorn on loopback under a mix of real catalogue traffic.

`python -m bench.catalogue --scale small [--requests N] [--concurrency C]`

The mix (deterministic, seed 7): Thai searches (whole topic names and pieces of words, such
as สวน inside สวนครัว), English searches (with misspellings), filter combinations (age group,
district, category, format, free, weekend, evening, places left, dates, weekdays), pages
1-20 of the plain catalogue and of a search, programme detail pages, and htmx partial
requests (HX-Request: true). About a third in English (/en/...).

Floors, measured in the same run at the same concurrency:
- trivial: `/bench/trivial` on the same server (a view that does nothing, through the same
  middleware and gunicorn);
- sql: the catalogue's own SQL for the searches and filters of the mix (captured by running
  the same URLs through Django's test client), replayed with psycopg directly: the queries
  that read programmes (COUNT, the page, its categories).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import common
from bench import wordlists as W

LABELS = ("search_th", "search_en", "filter", "page", "detail", "htmx")
SEARCH_LABELS = ("search_th", "search_en", "filter", "htmx")  # "search and filters" of the targets
MIX = {"search_th": 25, "search_en": 15, "filter": 20, "page": 15, "detail": 15, "htmx": 10}

# Pieces of Thai words that the segmenter keeps inside longer words (substring search), and
# short words: what people type.
THAI_PIECES = [
    "สวน",
    "ภาษา",
    "อาหาร",
    "ดนตรี",
    "โยคะ",
    "ขนม",
    "ภาพ",
    "คอมพิวเตอร์",
    "ธุรกิจ",
    "ผู้สูงอายุ",
    "เด็ก",
    "ครอบครัว",
    "สุขภาพ",
    "ออนไลน์",
    "ศิลปะ",
    "การเงิน",
    "ชุมชน",
    "ญี่ปุ่น",
]
ENGLISH_EXTRA = [
    "fotografy",
    "englsh",
    "programing",
    "cookng",
    "yoga",
    "first aid",
    "thai cooking",
    "guitar",
    "older adults",
    "online",
    "mandarin",
    "watercolour",
]

TARGETS = {
    "search_server_p50_ms": 30,
    "search_server_p95_ms": 80,
    "req_per_s": 250,
    "queries_per_page": 10,
    "ratio_to_trivial": 3,
}


def _words(rng: random.Random) -> tuple[list[str], list[str]]:
    thai = [t[0] for t in W.TOPICS] + [lv[0] for lv in W.LEVELS] + [a[0] for a in W.AUDIENCES if a[0]] + THAI_PIECES
    english = [t[1].lower() for t in W.TOPICS] + ENGLISH_EXTRA
    for topic in W.TOPICS:  # single English words ("cooking", "photography")
        english.extend(w.lower() for w in topic[1].split() if len(w) > 4)
    return thai, english


def build_mix(*, n: int, slugs: list[str], districts: list[int], categories: list[str], today, seed: int = 7):
    """`n` requests: (label, path, headers)."""
    import datetime as dt

    rng = random.Random(seed)
    thai, english = _words(rng)
    labels = [label for label, weight in MIX.items() for _ in range(weight)]

    def filters(k: int) -> dict:
        options = [
            ("band", lambda: rng.choice(["0-5", "6-14", "15-24", "25-59", "60+"])),
            ("district", lambda: str(rng.choice(districts))),
            ("category", lambda: rng.choice(categories)),
            ("format", lambda: rng.choice(["in_person", "online", "hybrid"])),
            ("free", lambda: "1"),
            ("weekend", lambda: "1"),
            ("evening", lambda: "1"),
            ("places", lambda: "1"),
            ("day", lambda: str(rng.randint(1, 7))),
            ("date_from", lambda: today.isoformat()),
            ("date_to", lambda: (today + dt.timedelta(days=rng.choice([7, 30, 90]))).isoformat()),
            ("age", lambda: str(rng.randint(5, 80))),
        ]
        return {name: make() for name, make in rng.sample(options, k)}

    def catalogue(params: dict, english_page: bool) -> str:
        prefix = "/en" if english_page else ""
        return f"{prefix}/programmes/" + (f"?{urlencode(params)}" if params else "")

    out = []
    seen: set[tuple[str, bool]] = set()
    for _ in range(n):
        label = rng.choice(labels)
        en = rng.random() < 0.33
        headers = {}
        if label == "search_th":
            params = {"q": rng.choice(thai)}
            if rng.random() < 0.3:
                params |= filters(1)
            path = catalogue(params, en)
        elif label == "search_en":
            params = {"q": rng.choice(english)}
            if rng.random() < 0.3:
                params |= filters(1)
            path = catalogue(params, True if rng.random() < 0.7 else en)
        elif label == "filter":
            path = catalogue(filters(rng.randint(1, 3)), en)
        elif label == "page":
            params = {"page": str(rng.randint(1, 20))}
            if rng.random() < 0.3:
                params["q"] = rng.choice(thai + english)
            path = catalogue(params, en)
        elif label == "detail":
            path = ("/en" if en else "") + f"/programmes/{rng.choice(slugs)}/"
        else:  # htmx: what the filter form sends as people type and tick
            params = filters(rng.randint(0, 2))
            if rng.random() < 0.6:
                params["q"] = rng.choice(thai if rng.random() < 0.6 else english)
            path = catalogue(params, en)
            headers = {"HX-Request": "true", "HX-Current-URL": f"https://127.0.0.1{catalogue({}, en)}"}
        # The catalogue caches rendered results per URL (programmes/catalogue_cache.py): a URL
        # already in the mix may be served from the cache, so both kinds are reported apart.
        seen_key = (path, bool(headers))
        tag = "repeat" if seen_key in seen else "first"
        seen.add(seen_key)
        out.append({"label": label, "method": "GET", "path": path, "headers": headers, "tag": tag})
    return out


def catalogue_inputs(config) -> dict:
    """Published slugs, districts with venues and category slugs of the scale's city."""
    from django.utils import timezone

    from learningcity.city.models import City
    from programmes.models import Programme
    from programmes.selectors import catalogue_districts, category_list

    city = City.objects.get(slug=config.city_slug)
    slugs = list(
        Programme.objects.filter(provider__city=city, status=Programme.Status.PUBLISHED, provider__is_active=True)
        .order_by("pk")
        .values_list("slug", flat=True)[:5000]
    )
    return {
        "slugs": slugs,
        "districts": list(catalogue_districts(city=city).values_list("pk", flat=True)),
        "categories": list(category_list().values_list("slug", flat=True)),
        "today": timezone.localdate(),
    }


def capture_sql(paths: list[tuple[str, dict]]) -> tuple[list[list[str]], list[int]]:
    """Run each catalogue URL through Django's test client; return, per URL, the statements
    that read programmes (COUNT, page, categories), and the number of statements in all."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    statements, counts = [], []
    for path, headers in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, secure=True, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(ctx.captured_queries))
        statements.append([q["sql"] for q in ctx.captured_queries if "programmes_programme" in q["sql"]])
    return statements, counts


async def _sql_floor_async(url: str, work: list[list[str]], concurrency: int) -> dict:
    import psycopg
    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"].get("options", "")  # the app's planner settings
    queue = list(reversed(work))
    latencies: list[float] = []

    async def worker():
        async with await psycopg.AsyncConnection.connect(url, options=options, autocommit=True) as conn:
            while queue:
                statements = queue.pop()
                started = time.perf_counter()
                for sql in statements:
                    cur = await conn.execute(sql)
                    await cur.fetchall()
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms": common.summary(latencies),
    }


def sql_floor(url: str, work: list[list[str]], concurrency: int) -> dict:
    return asyncio.run(_sql_floor_async(url, work, concurrency))


def run(config: common.BenchConfig, args) -> dict:
    common.django_setup(config)
    common.flush_redis(config)
    inputs = catalogue_inputs(config)
    n = args.requests or (80 if config.quick else 3000)
    concurrency = args.concurrency
    mix = build_mix(n=n, **inputs)

    # The SQL of a sample of the mix's catalogue requests (also a cross-check of the counts).
    catalogue_requests = [r for r in mix if r["label"] in (*SEARCH_LABELS, "page")]
    sample = catalogue_requests[: (10 if config.quick else 150)]
    statements, client_counts = capture_sql([(r["path"], r["headers"]) for r in sample])
    floor_work = [statements[i % len(statements)] for i in range(len(catalogue_requests))]
    common.flush_redis(config)  # the capture above rendered (and cached) some of the mix's URLs

    with tempfile.TemporaryDirectory(prefix="lc-bench-") as tmp:
        work_dir = Path(tmp)
        with common.gunicorn(config, log_dir=work_dir) as server:
            workers = len(server.workers)
            common.warm_up(
                server,
                [
                    "/bench/trivial",
                    "/programmes/?" + urlencode({"q": "โยคะ"}),
                    "/en/programmes/?q=yoga",
                    f"/programmes/{inputs['slugs'][0]}/",
                ],
            )
            trivial_requests = [{"label": "trivial", "method": "GET", "path": "/bench/trivial"}] * n
            trivial = common.run_load(
                config,
                port=server.port,
                requests=trivial_requests,
                concurrency=concurrency,
                work_dir=work_dir,
                name="trivial",
                server=server,
            )
            worker_kb_after_trivial = max(server.peak_worker_kb.values(), default=0)
            outcome = common.run_load(
                config,
                port=server.port,
                requests=mix,
                concurrency=concurrency,
                work_dir=work_dir,
                name="mix",
                server=server,
            )
            server.sample_memory()
            peak_worker_kb = dict(server.peak_worker_kb)
            errors_sample = [r for r in outcome["results"] if r[5]][:10]
    sql = sql_floor(config.database_url, floor_work, concurrency)

    overall = common.load_summary(outcome)
    by_label = {label: common.load_summary(outcome, labels=[label]) for label in LABELS}
    search = common.load_summary(outcome, labels=SEARCH_LABELS)
    search_first = common.load_summary(outcome, labels=SEARCH_LABELS, tag="first")
    search_repeat = common.load_summary(outcome, labels=SEARCH_LABELS, tag="repeat")
    trivial_summary = common.load_summary(trivial)
    ratios = {
        "mix_p50_to_trivial_p50": common.ratio(overall["latency_ms"]["p50"], trivial_summary["latency_ms"]["p50"]),
        "search_p50_to_trivial_p50": common.ratio(search["latency_ms"]["p50"], trivial_summary["latency_ms"]["p50"]),
        "trivial_rps_to_mix_rps": common.ratio(trivial_summary["req_per_s"], overall["req_per_s"]),
        "search_server_p50_to_sql_p50": common.ratio(search["server_ms"]["p50"], sql["latency_ms"]["p50"]),
        "search_server_p95_to_sql_p95": common.ratio(search["server_ms"]["p95"], sql["latency_ms"]["p95"]),
    }
    max_queries = max((s["queries"]["max"] or 0) for s in by_label.values())
    targets = {
        "search_server_p50_ms<=30": search["server_ms"]["p50"] is not None and search["server_ms"]["p50"] <= 30,
        "search_server_p95_ms<=80": search["server_ms"]["p95"] is not None and search["server_ms"]["p95"] <= 80,
        "req_per_s>=250": (overall["req_per_s"] or 0) >= 250,
        "queries_per_page<=10": max_queries <= 10,
        "mix_within_3x_trivial": (ratios["mix_p50_to_trivial_p50"] or 99) <= 3,
        "no_errors": overall["errors"] == 0,
    }
    payload = {
        "parameters": {
            "requests": n,
            "concurrency": concurrency,
            "gunicorn_workers": workers,
            "mix_weights": MIX,
            "sql_sample_urls": len(sample),
        },
        "overall": overall,
        "search_and_filters": search,
        "search_and_filters_first_time": search_first,
        "search_and_filters_repeated_url": search_repeat,
        "by_label": by_label,
        "floors": {"trivial": trivial_summary, "sql": sql},
        "ratios": ratios,
        "queries_per_request_test_client": {
            "max": max(client_counts),
            "mean": round(sum(client_counts) / len(client_counts), 2),
        },
        "web_worker_peak_rss_mb": round(max(peak_worker_kb.values(), default=0) / 1024, 1),
        "web_worker_rss_after_trivial_mb": round(worker_kb_after_trivial / 1024, 1),
        "targets": targets,
        "error_samples": errors_sample,
    }
    report(payload)
    return payload


def report(p: dict) -> None:
    rows = []
    for name, s in [
        ("mix (all)", p["overall"]),
        ("search+filters", p["search_and_filters"]),
        ("  first time (computed)", p["search_and_filters_first_time"]),
        ("  URL seen before (cache)", p["search_and_filters_repeated_url"]),
        *p["by_label"].items(),
        ("FLOOR trivial view", p["floors"]["trivial"]),
    ]:
        rows.append(
            [
                name,
                s["requests"],
                s["req_per_s"],
                s["latency_ms"]["p50"],
                s["latency_ms"]["p95"],
                s["latency_ms"]["p99"],
                s["server_ms"]["p50"],
                s["server_ms"]["p95"],
                s["queries"]["max"],
                s["errors"],
            ]
        )
    sql = p["floors"]["sql"]
    rows.append(
        [
            "FLOOR bare SQL",
            sql["requests"],
            sql["req_per_s"],
            sql["latency_ms"]["p50"],
            sql["latency_ms"]["p95"],
            sql["latency_ms"]["p99"],
            None,
            None,
            None,
            0,
        ]
    )
    common.print_table(
        f"Catalogue ({p['parameters']['requests']} requests, concurrency {p['parameters']['concurrency']}, "
        f"{p['parameters']['gunicorn_workers']} gunicorn workers)",
        ["kind", "n", "req/s", "p50 ms", "p95 ms", "p99 ms", "server p50", "server p95", "max SQL", "errors"],
        rows,
    )
    print("ratios:", ", ".join(f"{k}={v}" for k, v in p["ratios"].items()))
    print(
        f"web worker peak RSS {p['web_worker_peak_rss_mb']} MB (after trivial only: "
        f"{p['web_worker_rss_after_trivial_mb']} MB)"
    )
    print("targets:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in p["targets"].items()))


def add_arguments(parser) -> None:
    parser.add_argument("--requests", type=int, default=0, help="requests in the mix (default 3000; quick 80)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent connections (default 8)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue", description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    config = common.config_from_args(args)
    common.prepare(config, args)
    payload = run(config, args)
    common.write_result("catalogue", config, payload, machine=common.machine_facts(config))


if __name__ == "__main__":
    main()
