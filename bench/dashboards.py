"""Benchmark 4, the dashboard pages: p50/p95 of each page, cold (cache cleared) and warm.

`python -m bench.dashboards --scale small`

Through gunicorn (bench.settings), one request at a time, signed in as a city administrator
(a superuser account of the synthetic city's e-mail domain, created once; its session is
written with Django's session store): the overview, equity, indicators and GNLC report pages,
each plain and with filters (area, age band, last year, grain), in Thai and English, and the
public page "Our learning city" anonymously. The summary tables are built first
(`aggregates_rebuild`) if no refresh has run yet.

- cold: the bench's Redis database is flushed (page data, sessions' cache, the city) before
  each round of all URLs; 3 rounds;
- warm: then every URL 10 more times.
Floor: the trivial view (/bench/trivial) one at a time on the same server.
The targets compare large with small: run both scales and compare the JSON files (the
docs table does)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from bench import common

PAGES = ("overview", "equity", "indicators", "gnlc")
TARGETS = {"warm_p50_ms": 50}


def prepare_admin(config) -> str:
    """The city administrator's session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.cached_db import SessionStore

    from learningcity.accounts.backends import SESSION_USER_BACKEND

    User = get_user_model()
    email = f"bench-city-admin@{config.scale}.synthetic.invalid"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, is_superuser=True, is_staff=True)
        user.set_unusable_password()
        user.save()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = SESSION_USER_BACKEND  # what a sign-in through allauth stores
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def ensure_aggregates(config) -> bool:
    from learningcity.dashboards.models import RefreshRun

    if RefreshRun.objects.exists():
        return False
    from bench.aggregation import run_job

    run_job(config, "rebuild")
    return True


def page_urls(config) -> list[tuple[str, str, bool]]:
    """(label, path, signed in)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from learningcity.city.models import District

    district = District.objects.filter(city__slug=config.city_slug).order_by("code").values_list("pk", flat=True)[0]
    variants = [{}, {"district": district, "band": "60+"}, {"period": "last_year", "grain": "month"}]
    urls = []
    # Reversed in the default language: an earlier benchmark's test client in this process may
    # have left English active, and reverse() would then give /en/... (and "/en" + that a 404).
    with translation.override(settings.LANGUAGE_CODE):
        bases = {page: reverse(f"dashboards:{page}") for page in (*PAGES, "public")}
    for page in PAGES:
        base = bases[page]
        for i, params in enumerate(variants):
            for prefix in ("", "/en"):
                query = f"?{urlencode(params)}" if params else ""
                urls.append((page, f"{prefix}{base}{query}", True))
                if i:
                    break  # filters in Thai only
    public = bases["public"]
    urls += [("public", public, False), ("public", f"/en{public}", False)]
    return urls


def requests_for(urls, session_cookie: str, repeat: int) -> list[dict]:
    out = []
    for _ in range(repeat):
        for label, path, signed_in in urls:
            headers = {"Cookie": session_cookie} if signed_in else {}
            out.append({"label": label, "method": "GET", "path": path, "headers": headers})
    return out


def run(config: common.BenchConfig, args) -> dict:
    from django.conf import settings

    common.django_setup(config)
    rebuilt = ensure_aggregates(config)
    urls = page_urls(config)
    cold_rounds, warm_rounds = (1, 2) if config.quick else (3, 10)
    with tempfile.TemporaryDirectory(prefix="lc-bench-") as tmp:
        work_dir = Path(tmp)
        with common.gunicorn(config, log_dir=work_dir) as server:
            common.warm_up(server, ["/bench/trivial", "/programmes/"])
            cold_rows = []
            for _ in range(cold_rounds):
                common.flush_redis(config)
                cookie = f"{settings.SESSION_COOKIE_NAME}={prepare_admin(config)}"
                outcome = common.run_load(
                    config,
                    port=server.port,
                    requests=requests_for(urls, cookie, 1),
                    concurrency=1,
                    work_dir=work_dir,
                    name="cold",
                    server=server,
                )
                cold_rows += outcome["results"]
            cold = {"elapsed_s": 0, "results": cold_rows}
            warm = common.run_load(
                config,
                port=server.port,
                requests=requests_for(urls, cookie, warm_rounds),
                concurrency=1,
                work_dir=work_dir,
                name="warm",
                server=server,
            )
            trivial = common.run_load(
                config,
                port=server.port,
                requests=[{"label": "trivial", "method": "GET", "path": "/bench/trivial"}] * 200,
                concurrency=1,
                work_dir=work_dir,
                name="trivial",
            )
    labels = [*PAGES, "public"]
    result = {"cold": {}, "warm": {}}
    for name, outcome in (("cold", cold), ("warm", warm)):
        for label in labels:
            s = common.load_summary(outcome, labels=[label])
            s.pop("req_per_s")
            result[name][label] = s
        s = common.load_summary(outcome)
        s.pop("req_per_s")
        result[name]["all"] = s
    floor = common.load_summary(trivial)
    errors = result["cold"]["all"]["errors"] + result["warm"]["all"]["errors"]
    payload = {
        "parameters": {
            "urls": len(urls),
            "cold_rounds": cold_rounds,
            "warm_rounds": warm_rounds,
            "rebuilt_aggregates_first": rebuilt,
        },
        **result,
        "floors": {"trivial": floor},
        "ratios": {
            "warm_p50_to_trivial_p50": common.ratio(
                result["warm"]["all"]["latency_ms"]["p50"], floor["latency_ms"]["p50"]
            ),
            "cold_p50_to_warm_p50": common.ratio(
                result["cold"]["all"]["latency_ms"]["p50"], result["warm"]["all"]["latency_ms"]["p50"]
            ),
        },
        "targets": {
            "warm_p50<=50ms": (result["warm"]["all"]["latency_ms"]["p50"] or 1e9) <= TARGETS["warm_p50_ms"],
            "no_errors": errors == 0,
            "within_20pct_of_small": "compare the small and large JSON (docs/benchmarks.md)",
        },
        "error_samples": [r for r in cold["results"] + warm["results"] if r[5]][:10],
    }
    report(payload)
    return payload


def report(p: dict) -> None:
    rows = []
    for label in [*PAGES, "public", "all"]:
        c, w = p["cold"][label], p["warm"][label]
        rows.append(
            [
                label,
                c["latency_ms"]["p50"],
                c["latency_ms"]["p95"],
                w["latency_ms"]["p50"],
                w["latency_ms"]["p95"],
                w["server_ms"]["p50"],
                w["queries"]["max"],
                c["queries"]["max"],
                c["errors"] + w["errors"],
            ]
        )
    f = p["floors"]["trivial"]
    rows.append(
        [
            "FLOOR trivial view",
            None,
            None,
            f["latency_ms"]["p50"],
            f["latency_ms"]["p95"],
            f["server_ms"]["p50"],
            0,
            0,
            f["errors"],
        ]
    )
    common.print_table(
        "Dashboards (one request at a time)",
        ["page", "cold p50", "cold p95", "warm p50", "warm p95", "warm server p50", "warm SQL", "cold SQL", "errors"],
        rows,
    )
    print("ratios:", ", ".join(f"{k}={v}" for k, v in p["ratios"].items()))
    print(
        "targets:",
        ", ".join(f"{k}: {v if isinstance(v, str) else 'met' if v else 'MISSED'}" for k, v in p["targets"].items()),
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    config = common.config_from_args(args)
    common.prepare(config, args)
    payload = run(config, args)
    common.write_result("dashboards", config, payload, machine=common.machine_facts(config))


if __name__ == "__main__":
    main()
