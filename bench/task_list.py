"""Lane task lists at 1k, 10k and 100k open applications: p95 latency and its growth.

    python -m bench.task_list [--sizes 1000,10000,100000] [--queries 300]

A few hundred real applications are taken to random steps through the
engine; the rows they produced (instance with its state, task and timer
projections) are then copied with new ids until the database holds each size
of open applications, spread over all steps and lanes like a busy office. Each
query is what a lane's list page asks: the first 50 ready tasks of a lane by
deadline, through ``Engine.tasks``. Target: p95 <= 10 ms at 100k, flat growth.
Set PTSP_BENCH_POSTGRES_URL to run the same on PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from engine.store.models import Counter, Instance, TaskRow, TimerRow

from .common import WHO, form_data_for, fresh_engine, percentile, postgres_url, scratch_postgres

LANES = ["Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi"]


def seed(engine, count: int, rng: random.Random) -> None:
    forms: dict = {}
    for _ in range(count):
        started = engine.start(as_user="warga")
        task = engine.tasks(instance=started.instance)[0]
        for _step in range(rng.randrange(0, 11)):
            data = form_data_for(engine, task.element, task.id, forms)
            result = engine.complete(task.id, as_user=WHO[task.lane], data=data)
            if not result.next_tasks:
                break
            task = result.next_tasks[0]


def grow(engine, target: int, rng: random.Random) -> None:
    """Copy open applications (with their rows) until ``target`` are open."""
    inst, tasks, timers = Instance.__table__, TaskRow.__table__, TimerRow.__table__
    with engine.db.engine.begin() as conn:
        owner = conn.execute(text("select id from users where login = 'warga'")).scalar()
        # copies are the seed applicant's; warga2 keeps exactly one application
        template = (
            conn.execute(select(inst).where(inst.c.status == "running", inst.c.owner_id == owner)).mappings().all()
        )
        open_now = conn.execute(select(func.count()).select_from(inst).where(inst.c.status == "running")).scalar()
        next_id = conn.execute(select(func.max(inst.c.id))).scalar() + 1
        task_rows = {
            r["instance_id"]: r for r in conn.execute(select(tasks).where(tasks.c.status == "ready")).mappings()
        }
        timer_rows = {r["instance_id"]: r for r in conn.execute(select(timers)).mappings()}
        batch_i, batch_t, batch_m = [], [], []
        while open_now < target:
            for row in template:
                if open_now >= target:
                    break
                new_id = next_id
                next_id += 1
                open_now += 1
                batch_i.append({**row, "id": new_id, "registration": f"PTSP/2026/{new_id:06d}"})
                task = task_rows[row["id"]]
                task_id = f"{new_id:08d}-0000-4000-8000-{task['id'][-12:]}"
                # real deadlines spread over the day; copies must not all tie
                jitter = timedelta(seconds=rng.randrange(-3600, 3600))
                due = task["due_at"] + jitter if task["due_at"] else None
                batch_t.append({**task, "id": task_id, "instance_id": new_id, "due_at": due})
                if row["id"] in timer_rows:
                    t = timer_rows[row["id"]]
                    batch_m.append(
                        {
                            **t,
                            "id": f"{new_id:08d}-1111-4000-8000-{t['id'][-12:]}",
                            "instance_id": new_id,
                            "task_id": task_id,
                            "due_at": due,
                        }
                    )
            if len(batch_i) >= 2000 or open_now >= target:
                conn.execute(insert(inst), batch_i)
                conn.execute(insert(tasks), batch_t)
                if batch_m:
                    conn.execute(insert(timers), batch_m)
                batch_i, batch_t, batch_m = [], [], []
        conn.execute(Counter.__table__.update().where(Counter.name == "registration:2026").values(value=next_id))
    if engine.db.dialect == "postgresql":
        with engine.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def measure(engine, queries: int, rng: random.Random) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"lane": [], "staff user": [], "applicant": []}
    for _ in range(queries):
        lane = rng.choice(LANES)
        t0 = time.perf_counter()
        engine.tasks(lane=lane, limit=50)
        results["lane"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        engine.tasks(as_user=rng.choice(["ptsp", "kepala", "kasubag", "kasi"]), limit=50)
        results["staff user"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        engine.tasks(as_user="warga2", limit=50)
        results["applicant"].append((time.perf_counter() - t0) * 1000)
    return results


def run(url: str | None, sizes: list[int], queries: int) -> None:
    rng = random.Random(7)
    engine, url = fresh_engine(url)
    engine.add_user("warga2", ["Pemohon"])  # an applicant with one application among many
    seed(engine, 300, rng)
    engine.start(as_user="warga2")
    print(f"\nLane task list, first page of 50, {engine.db.dialect} ({url.split('@')[-1]})")
    print(f"  {'open':>7}  {'query':<11} {'p50 ms':>7} {'p95 ms':>7}  growth of p95 vs first size")
    first: dict[str, float] = {}
    for size in sizes:
        grow(engine, size, rng)
        measure(engine, 20, rng)  # warm caches
        for name, values in measure(engine, queries, rng).items():
            p95 = percentile(values, 95)
            first.setdefault(name, p95)
            print(f"  {size:>7}  {name:<11} {percentile(values, 50):7.2f} {p95:7.2f}  {p95 / first[name]:5.2f}x")
    print("  target: lane list p95 <= 10 ms at 100k open applications, flat growth")
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    run(None, sizes, args.queries)
    if postgres_url():
        with scratch_postgres(postgres_url()) as url:
            run(url, sizes, args.queries)


if __name__ == "__main__":
    main()
