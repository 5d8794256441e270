"""Benchmark 5, memory: peak RSS of a gunicorn web worker after the catalogue load, and of the
process running the dashboards' full rebuild (what a solo Celery worker does).

`python -m bench.memory --scale small [--requests N] [--no-rebuild]`

- web: gunicorn (bench.settings, the project's gunicorn.conf.py) serves the trivial view
  (floor: a worker with Django loaded) and then the catalogue mix of bench.catalogue; the
  workers' VmHWM (/proc/<pid>/status, the kernel's high-water mark of the resident set) is
  sampled every 0.25 s while the load runs (workers are recycled after about 1,000 requests,
  so reading only at the end could miss one);
- worker: the rebuild job of bench.aggregation in a process of its own (its VmHWM), against
  the same process that only sets Django up (floor).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import catalogue, common

TARGETS = {"web_worker_mb": 200, "celery_worker_mb": 300}


def run(config: common.BenchConfig, args) -> dict:
    from bench.aggregation import run_job

    common.django_setup(config)
    common.flush_redis(config)
    n = args.memory_requests or (60 if config.quick else 2000)
    mix = catalogue.build_mix(n=n, **catalogue.catalogue_inputs(config))
    with tempfile.TemporaryDirectory(prefix="lc-bench-") as tmp:
        work_dir = Path(tmp)
        with common.gunicorn(config, log_dir=work_dir) as server:
            trivial = [{"label": "trivial", "method": "GET", "path": "/bench/trivial"}] * 200
            common.run_load(
                config,
                port=server.port,
                requests=trivial,
                concurrency=8,
                work_dir=work_dir,
                name="trivial",
                server=server,
            )
            server.sample_memory()
            floor_kb = max(server.peak_worker_kb.values(), default=0)
            server.peak_worker_kb.clear()
            outcome = common.run_load(
                config, port=server.port, requests=mix, concurrency=8, work_dir=work_dir, name="mix", server=server
            )
            server.sample_memory()
            peaks = sorted(server.peak_worker_kb.values(), reverse=True)
            current = {pid: common.proc_status_kb(pid, "VmRSS") for pid in server.workers}
    web_peak = round((peaks[0] if peaks else 0) / 1024, 1)
    idle = run_job(config, "idle")
    rebuild = None if args.no_rebuild else run_job(config, "rebuild")
    payload = {
        "parameters": {"catalogue_requests": n, "concurrency": 8},
        "web_worker": {
            "peak_rss_mb": web_peak,
            "workers_seen": len(peaks),
            "peaks_mb": [round(kb / 1024, 1) for kb in peaks],
            "rss_at_end_mb": [round((kb or 0) / 1024, 1) for kb in current.values()],
            "errors": common.load_summary(outcome)["errors"],
        },
        "celery_worker": {
            "rebuild_peak_rss_mb": rebuild and rebuild["peak_rss_mb"],
            "rebuild_seconds": rebuild and rebuild["seconds"],
        },
        "floors": {"web_worker_after_trivial_mb": round(floor_kb / 1024, 1), "idle_process_mb": idle["peak_rss_mb"]},
        "ratios": {
            "web_peak_to_floor": common.ratio(web_peak, floor_kb / 1024),
            "worker_peak_to_floor": common.ratio(rebuild and rebuild["peak_rss_mb"], idle["peak_rss_mb"]),
        },
        "targets": {
            "web_worker<=200MB": web_peak <= TARGETS["web_worker_mb"],
            "celery_worker<=300MB": rebuild is not None and rebuild["peak_rss_mb"] <= TARGETS["celery_worker_mb"],
        },
    }
    report(payload)
    return payload


def report(p: dict) -> None:
    w, c, f = p["web_worker"], p["celery_worker"], p["floors"]
    common.print_table(
        "Memory (peak resident set)",
        ["process", "peak MB", "floor MB", "ratio"],
        [
            [
                "gunicorn web worker after the catalogue mix",
                w["peak_rss_mb"],
                f["web_worker_after_trivial_mb"],
                p["ratios"]["web_peak_to_floor"],
            ],
            [
                "worker running the full rebuild",
                c["rebuild_peak_rss_mb"],
                f["idle_process_mb"],
                p["ratios"]["worker_peak_to_floor"],
            ],
        ],
    )
    print("targets:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in p["targets"].items()))


def add_arguments(parser) -> None:
    parser.add_argument("--memory-requests", dest="memory_requests", type=int, default=0, help="default 2000; quick 60")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild (web worker only)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    config = common.config_from_args(args)
    common.prepare(config, args)
    payload = run(config, args)
    common.write_result("memory", config, payload, machine=common.machine_facts(config))


if __name__ == "__main__":
    main()
