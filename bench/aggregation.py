"""Benchmark 3, aggregation: the dashboards' summary tables built from the raw rows.

`python -m bench.aggregation --scale small`

Measured, in this order, each job in a fresh process of its own that sets Django up and runs
the job's service (`learningcity.dashboards.services`), as a solo Celery worker would: its
time inside the service and its peak RSS (VmHWM of /proc/self/status, the process's high-water mark):
1. full rebuild (`aggregates_rebuild`);
2. incremental refresh (`aggregates_refresh`) after 10,000 new attendance rows (inserted with
   one SQL statement: present marks of seat holders at the most recent past sessions that
   have none; the database triggers write them as activity changes);
3. the same refresh again with nothing new.
The 10,000 rows are deleted afterwards and the summary refreshed again (not timed).

Floors: the hand-written INSERT ... SELECT ... GROUP BY over the same raw rows (enrolments
and present marks by day x district x age group x sex x provider x category x format, into
a plain table without indexes), run before and after the rebuild (the faster counts); and the
peak RSS of the same process doing nothing but set Django up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

from bench import common

NEW_ATTENDANCE = 10_000

FLOOR_SQL = """
CREATE TABLE bench_floor_activity (day date, city_id bigint, district_id bigint, age_from smallint,
    sex varchar(16), provider_id bigint, category_id bigint, format varchar(16),
    enrolments int, attendances int, learning_minutes bigint);
INSERT INTO bench_floor_activity
SELECT ev.day, pr.city_id, CASE WHEN p.lives_outside_city THEN NULL ELSE p.district_id END,
       CASE WHEN p.birth_date <= (ev.day - interval '65 years')::date THEN 65
            WHEN p.birth_date <= (ev.day - interval '60 years')::date THEN 60
            WHEN p.birth_date <= (ev.day - interval '25 years')::date THEN 25
            WHEN p.birth_date <= (ev.day - interval '15 years')::date THEN 15
            WHEN p.birth_date <= (ev.day - interval '6 years')::date THEN 6 ELSE 0 END,
       p.sex, pr.id, fc.category_id, pg.format,
       sum(ev.enrolments), sum(ev.attendances), sum(ev.minutes)
  FROM (
        SELECT (e.created_at AT TIME ZONE 'Asia/Bangkok')::date AS day, e.participant_id, e.course_id,
               1 AS enrolments, 0 AS attendances, 0::bigint AS minutes
          FROM participants_enrolment e
        UNION ALL
        SELECT (s.starts_at AT TIME ZONE 'Asia/Bangkok')::date, a.participant_id, s.course_id, 0, 1,
               floor(extract(epoch FROM s.ends_at - s.starts_at) / 60)::bigint
          FROM participants_attendance a JOIN programmes_session s ON s.id = a.session_id
         WHERE a.status = 'present' AND NOT s.is_cancelled
       ) ev
  JOIN participants_participant p ON p.id = ev.participant_id
  JOIN programmes_course c ON c.id = ev.course_id
  JOIN programmes_programme pg ON pg.id = c.programme_id
  JOIN programmes_provider pr ON pr.id = pg.provider_id
  LEFT JOIN (SELECT programme_id, min(category_id) AS category_id FROM programmes_programme_categories
              GROUP BY programme_id) fc ON fc.programme_id = pg.id
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
"""

INSERT_ATTENDANCE = """
INSERT INTO participants_attendance (session_id, participant_id, enrolment_id, status, marked_at, note)
SELECT s.id, e.participant_id, e.id, 'present', now(), 'bench'
  FROM programmes_session s
  JOIN participants_enrolment e ON e.course_id = s.course_id AND e.status = 'confirmed'
 WHERE s.starts_at < now() AND s.starts_at > now() - interval '120 days' AND NOT s.is_cancelled
   AND NOT EXISTS (SELECT 1 FROM participants_attendance a WHERE a.session_id = s.id
                   AND a.participant_id = e.participant_id)
 ORDER BY s.starts_at DESC, s.id, e.id
 LIMIT %(n)s
"""

TARGETS = {"rebuild_ratio_to_floor": 1.5, "incremental_s": 2.0, "nothing_new_s": 0.2, "worker_rss_mb": 300}


# --- the child process: one job, its time and its peak memory -------------------------------------
def child(job: str) -> None:
    import django

    django.setup()
    result = {"job": job}
    if job != "idle":
        from learningcity.dashboards import services

        service = {"rebuild": services.aggregates_rebuild, "refresh": services.aggregates_refresh}[job]
        started = time.perf_counter()
        run = service()
        result.update(
            seconds=round(time.perf_counter() - started, 3),
            duration_ms=run.duration_ms,
            days_refreshed=run.days_refreshed,
            periods_refreshed=run.periods_refreshed,
            rows_written=run.rows_written,
        )
    # VmHWM, not getrusage's ru_maxrss: ru_maxrss survives execve, so a child forked from a
    # big parent would report the parent's size.
    result["peak_rss_mb"] = round((common.proc_status_kb(os.getpid(), "VmHWM") or 0) / 1024, 1)
    print("BENCH-RESULT " + json.dumps(result))


STEP = re.compile(r"dashboards step (\d+) ms, (-?\d+) rows: (.{0,90})")


def run_job(config, job: str) -> dict:
    """Run `job` in a child process; its result, with the slowest statements of the run (the
    services log each statement's time at DEBUG)."""
    done = subprocess.run(
        [common.PYTHON, "-m", "bench.aggregation", "--child", job],
        cwd=common.ROOT,
        env=config.env(LOG_LEVEL="DEBUG"),
        capture_output=True,
        text=True,
    )
    steps = [(int(m[1]), int(m[2]), m[3].replace("\\n", " ")) for m in STEP.finditer(done.stdout + done.stderr)]
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line.removeprefix("BENCH-RESULT "))
            result["slowest_statements"] = [
                {"ms": ms, "rows": rows, "statement": text} for ms, rows, text in sorted(steps, reverse=True)[:12]
            ]
            return result
    raise RuntimeError(f"aggregation job {job} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def floor(config) -> float:
    import psycopg

    with psycopg.connect(config.database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_activity")
        conn.execute("SET LOCAL work_mem = '128MB'")  # as the refresh jobs do
        started = time.perf_counter()
        conn.execute(FLOOR_SQL)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_floor_activity")
        conn.commit()
    return round(seconds, 3)


def insert_attendance(config, n: int) -> tuple[int, float]:
    import psycopg

    with psycopg.connect(config.database_url) as conn:
        started = time.perf_counter()
        cur = conn.execute(INSERT_ATTENDANCE, {"n": n})
        conn.commit()
        return cur.rowcount, round(time.perf_counter() - started, 3)


def delete_inserted(config) -> int:
    import psycopg

    with psycopg.connect(config.database_url) as conn:
        cur = conn.execute("DELETE FROM participants_attendance WHERE note = 'bench'")
        conn.commit()
        return cur.rowcount


def run(config: common.BenchConfig, args) -> dict:
    config.apply_env()
    n_new = 200 if config.quick else NEW_ATTENDANCE
    delete_inserted(config)  # a run that was interrupted
    floor_before = floor(config)
    idle = run_job(config, "idle")
    rebuild = run_job(config, "rebuild")
    floor_after = floor(config)
    inserted, insert_seconds = insert_attendance(config, n_new)
    incremental = run_job(config, "refresh")
    nothing_new = run_job(config, "refresh")
    removed = delete_inserted(config)
    run_job(config, "refresh")  # back to the summary of the generated city

    floor_s = min(floor_before, floor_after)
    ratio = common.ratio(rebuild["seconds"], floor_s)
    peak = max(rebuild["peak_rss_mb"], incremental["peak_rss_mb"])
    targets = {
        "rebuild_within_1.5x_floor": ratio is not None and ratio <= TARGETS["rebuild_ratio_to_floor"],
        "incremental<=2s": incremental["seconds"] <= TARGETS["incremental_s"],
        "nothing_new<=0.2s": nothing_new["seconds"] <= TARGETS["nothing_new_s"],
        "worker_rss<=300MB": peak <= TARGETS["worker_rss_mb"],
        "new_rows_inserted": inserted == n_new and removed == inserted,
    }
    payload = {
        "parameters": {"new_attendance_rows": n_new, "inserted": inserted, "insert_seconds": insert_seconds},
        "rebuild": rebuild,
        "incremental": incremental,
        "nothing_new": nothing_new,
        "floors": {"insert_select_group_by_s": floor_s, "runs_s": [floor_before, floor_after], "idle_process": idle},
        "ratios": {
            "rebuild_to_floor": ratio,
            "worker_peak_rss_to_idle": common.ratio(rebuild["peak_rss_mb"], idle["peak_rss_mb"]),
        },
        "worker_peak_rss_mb": peak,
        "targets": targets,
    }
    report(payload)
    return payload


def report(p: dict) -> None:
    rows = []
    for name in ("rebuild", "incremental", "nothing_new"):
        j = p[name]
        rows.append(
            [name, j["seconds"], j["days_refreshed"], j["periods_refreshed"], j["rows_written"], j["peak_rss_mb"]]
        )
    f = p["floors"]
    rows.append(["FLOOR INSERT..SELECT..GROUP BY", f["insert_select_group_by_s"], None, None, None, None])
    rows.append(["FLOOR idle process (Django set up)", None, None, None, None, f["idle_process"]["peak_rss_mb"]])
    common.print_table(
        f"Aggregation (then {p['parameters']['inserted']} new attendance rows, inserted in "
        f"{p['parameters']['insert_seconds']} s)",
        ["job", "seconds", "days", "periods", "rows", "peak RSS MB"],
        rows,
    )
    print("ratios:", ", ".join(f"{k}={v}" for k, v in p["ratios"].items()))
    print("targets:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in p["targets"].items()))


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.aggregation", description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    args = parser.parse_args(argv)
    config = common.config_from_args(args)
    common.prepare(config, args)
    payload = run(config, args)
    common.write_result("aggregation", config, payload, machine=common.machine_facts(config))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
