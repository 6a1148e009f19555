"""The lane list page and GET /api/v1/tasks at 1k, 10k and 100k open applications.

    python -m bench.web_task_list [--sizes 1000,10000,100000] [--requests 200]

The database is grown as in ``bench.task_list``; each request goes through
the whole Flask stack (session or token, the engine query, rendering or JSON)
in process, so the figure is server time without the network. The baseline
printed beside it is the engine's own list query in the same run. Target:
p95 at most 50 ms at 100k, flat growth.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from .common import fresh_engine, percentile, postgres_url, scratch_postgres
from .task_list import grow, seed


def measure(engine, requests: int) -> dict[str, list[float]]:
    from webui import create_app

    os.environ.setdefault("PTSP_PASSWORD_PROFILE", "default")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench"})
    page = app.test_client()
    with page.session_transaction() as session:  # logged in as ptsp, as Flask-Login keeps it
        session["_user_id"] = "ptsp"
        session["_fresh"] = True
    token = engine.create_token("ptsp", label="bench")[0]
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, list[float]] = {"engine list": [], "lane page": [], "api tasks": []}
    for _ in range(requests):
        t0 = time.perf_counter()
        engine.tasks(lane="PTSP", as_user="ptsp", limit=26)
        out["engine list"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        response = page.get("/tugas/lajur/ptsp")
        out["lane page"].append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
        t0 = time.perf_counter()
        response = api.get("/api/v1/tasks?lane=PTSP", headers=headers)
        out["api tasks"].append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    return out


def run(url: str | None, sizes: list[int], requests: int) -> None:
    rng = random.Random(11)
    engine, url = fresh_engine(url)
    engine.add_user("warga2", ["Pemohon"])
    seed(engine, 300, rng)
    print(f"\nLane page and API task list, {engine.db.dialect}; server time in process, ms")
    print(f"  {'open':>7}  {'request':<12} {'p50':>7} {'p95':>7}  growth of p95")
    first: dict[str, float] = {}
    for size in sizes:
        grow(engine, size, rng)
        measure(engine, 10)  # warm up
        for name, values in measure(engine, requests).items():
            p95 = percentile(values, 95)
            first.setdefault(name, p95)
            print(f"  {size:>7}  {name:<12} {percentile(values, 50):7.2f} {p95:7.2f}  {p95 / first[name]:5.2f}x")
    print("  target: page and API p95 <= 50 ms at 100k open applications, flat growth")
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    run(None, sizes, args.requests)
    if postgres_url():
        with scratch_postgres(postgres_url()) as url:
            run(url, sizes, args.requests)


if __name__ == "__main__":
    main()
