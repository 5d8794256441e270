"""The benchmark runner: `python -m bench run --scale small [--only catalogue,enrolment] [--quick]`.

Prepares the scale's database once (lc_bench_<scale>: created with a UTF-8 ctype, migrated,
the synthetic city generated when missing; static files collected for the production
storage), then runs the chosen benchmarks in order, each printing its table and writing
bench/results/<name>-<scale>-<timestamp>.json. `make bench SCALE=... [BENCH=...]` calls this.
Each benchmark also runs alone: `python -m bench.<name> --scale small`."""

from __future__ import annotations

import argparse
import sys
import time

from bench import aggregation, catalogue, common, dashboards, enrolment, memory

BENCHMARKS = {
    "catalogue": catalogue,
    "enrolment": enrolment,
    "aggregation": aggregation,
    "dashboards": dashboards,
    "memory": memory,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run benchmarks")
    common.add_common_arguments(run)
    run.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated, of: {', '.join(BENCHMARKS)}")
    for module in (catalogue, enrolment, memory):
        module.add_arguments(run)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    config = common.config_from_args(args)
    common.prepare(config, args)
    machine = None
    failed = []
    for name in names:
        started = time.monotonic()
        print(f"\n=== {name} ({config.scale}) ===", flush=True)
        try:
            payload = BENCHMARKS[name].run(config, args)
        except Exception as exc:  # report and go on with the next benchmark
            print(f"{name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
            continue
        machine = machine or common.machine_facts(config)
        payload["wall_clock_s"] = round(time.monotonic() - started, 1)
        common.write_result(name, config, payload, machine=machine)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
