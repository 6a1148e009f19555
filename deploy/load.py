"""Load over HTTP: many API clients filing applications and completing every task of them.

Used by the cluster tests (``tests/cluster``) and the HTTP benchmark
(``bench/http_throughput.py``). Clients are threads, each with its own HTTP
connection and bearer token, each working one lane the way staff do: read the
lane's task list, take one task, complete it with valid data. Two clients
taking the same task is normal: the loser gets 409 and takes another. Every
answer is recorded, so that the caller can compare what the clients saw with
what the database holds:

- ``completed``: task ids whose completion answered 200 (a task must not appear twice);
- ``uncertain``: task ids whose request got no answer (a killed worker, a
  restarted database): the completion may or may not have committed;
- ``errors``: any answer other than 200 and 409, and what it said.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine import Engine
from engine.catalogue import parse as parse_catalogue
from engine.definitions import load_definition
from engine.demo import DEMO_SEKSI, SAMPLE_DATA, sample_form_data
from engine.model import APPLICANT_LANE, SEKSI_LANE
from engine.store.models import Instance

# clients per lane, in proportion to the lane's share of the happy path's 11 tasks
LANE_CLIENTS = {APPLICANT_LANE: 14, "PTSP": 14, "Kepala Kantor": 9, "Kasubag": 5, "Kasi": 8}
RETURN_SHARE = 0.2  # step 4 finds the file incomplete this often: the applicant completes it (a loop)


@dataclass
class Tokens:
    staff: dict[str, str]  # lane -> bearer token
    applicants: list[str]


def prepare(database_url: str, *, applicants: int = 10, prefix: str = "load") -> Tokens:
    """Create one staff user per lane and ``applicants`` applicants, each with an API token."""
    engine = Engine(database_url)
    try:
        staff = {}
        for lane in LANE_CLIENTS:
            if lane == APPLICANT_LANE:
                continue
            login = f"{prefix}-{lane.lower().replace(' ', '-')}"
            # the Kasi works for the Seksi the sample service (form_data) is routed to
            seksi = DEMO_SEKSI["kasi"] if lane == SEKSI_LANE else None
            engine.add_user(login, [lane], name=f"Load {lane}", password="kata-sandi-beban", seksi=seksi)
            staff[lane] = engine.create_token(login, label="load")[0]
        people = []
        for n in range(applicants):
            login = f"{prefix}-warga-{n}"
            engine.add_user(login, [APPLICANT_LANE], name=f"Warga {n}", password="kata-sandi-beban")
            people.append(engine.create_token(login, label="load")[0])
        return Tokens(staff, people)
    finally:
        engine.close()


ROOT = Path(__file__).resolve().parent.parent


def _first_requirement() -> str:
    """A persyaratan item of the sample service (the one form_data applies for), from processes/."""
    catalogue = parse_catalogue((ROOT / "processes" / "services.yaml").read_bytes())
    service = catalogue.get(SAMPLE_DATA["jenis_layanan"])
    assert service is not None and service.persyaratan, "the sample service needs a checklist"
    return service.persyaratan[0].code


MISSING_ITEM = _first_requirement()


def form_data(xml: bytes) -> dict[str, dict[str, Any]]:
    """Valid data for every user task, by task name (what the task list shows)."""
    model = load_definition(xml).model
    return {task.name: sample_form_data(task.form, {}) for task in model.tasks.values()}


@dataclass
class LoadReport:
    started: list[int] = field(default_factory=list)
    completed: dict[str, float] = field(default_factory=dict)  # task id -> latency (ms)
    completed_twice: list[str] = field(default_factory=list)
    uncertain: set[str] = field(default_factory=set)
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # 5xx: the database away, a worker killed
    transport_errors: int = 0
    elapsed: float = 0.0
    finished: bool = False
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def tasks_per_second(self) -> float:
        return len(self.completed) / self.elapsed if self.elapsed else 0.0

    def latency(self, q: float) -> float:
        values = sorted(self.completed.values())
        return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

    def summary(self) -> str:
        return (
            f"{len(self.started)} applications, {len(self.completed)} tasks completed in {self.elapsed:.1f} s: "
            f"{self.tasks_per_second:.1f} tasks/s, p50 {self.latency(0.5):.0f} ms, p95 {self.latency(0.95):.0f} ms; "
            f"{self.conflicts} conflicts (409), {self.transport_errors} requests without an answer, "
            f"{len(self.server_errors)} server errors, {len(self.errors)} other errors"
        )


class Client:
    """One person at a keyboard: a connection, a token, a lane."""

    def __init__(
        self, base_url: str, token: str, lane: str, data: dict[str, dict[str, Any]], seed: int, place: int = 0
    ) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.lane = lane
        self.place = place
        self.data = data
        self.random = random.Random(seed)

    def start(self, report: LoadReport) -> None:
        response = self._call(report, "post", "/instances", json={"data": {}})
        if response is not None and response.status_code == 201:
            with report.lock:
                report.started.append(response.json()["id"])
        elif response is not None:
            with report.lock:
                failures = report.server_errors if response.status_code >= 500 else report.errors
                failures.append(f"start: {response.status_code} {response.text[:200]}")

    def _call(self, report: LoadReport, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        try:
            response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException:
            with report.lock:
                report.transport_errors += 1
            self.http.close()  # a fresh connection next time
            time.sleep(0.2)
            return None
        with report.lock:
            report.statuses[response.status_code] += 1
        return response

    def step(self, report: LoadReport) -> bool:
        """Complete one task of the lane; False when the lane had nothing to do."""
        query = {"limit": "20"} if self.lane == APPLICANT_LANE else {"lane": self.lane, "limit": "20"}
        listing = self._call(report, "get", "/tasks", params=query)
        if listing is None:
            return True
        if listing.status_code != 200:
            with report.lock:
                failures = report.server_errors if listing.status_code >= 500 else report.errors
                failures.append(f"list {self.lane}: {listing.status_code} {listing.text[:200]}")
            time.sleep(0.2)
            return True
        tasks = listing.json()["tasks"]
        if not tasks:
            return False
        # Staff of one lane spread over its list as people do (each has a place
        # in it); two of them still meet on the same task now and then.
        task = tasks[(self.place + self.random.randrange(2)) % len(tasks)]
        data = dict(self.data[task["name"]])
        if "berkas_lengkap" in data:
            data["berkas_lengkap"] = self.random.random() >= RETURN_SHARE
            if not data["berkas_lengkap"]:  # a returned file names what is missing, and why
                data["kekurangan"], data["catatan_kekurangan"] = [MISSING_ITEM], "Mohon dilengkapi"
        sent = time.perf_counter()
        response = self._call(report, "post", f"/tasks/{task['id']}/complete", json={"data": data})
        took = (time.perf_counter() - sent) * 1000
        with report.lock:
            if response is None:
                report.uncertain.add(task["id"])
            elif response.status_code == 200:
                if task["id"] in report.completed:
                    report.completed_twice.append(task["id"])
                report.completed[task["id"]] = took
            elif response.status_code == 409:
                report.conflicts += 1
            elif response.status_code == 404:
                report.conflicts += 1  # finished (and gone from the list) between reading and completing
            elif response.status_code >= 500:  # the commit may or may not have happened
                report.uncertain.add(task["id"])
                report.server_errors.append(f"complete: {response.status_code} {response.text[:200]}")
            else:
                report.errors.append(f"complete {task['name']}: {response.status_code} {response.text[:200]}")
        return True


def open_applications(database_url: str) -> int | None:
    """Applications still running (also those whose filing answer was lost); None while the database is away."""
    engine = Engine(database_url)
    try:
        with engine.db.reader() as session:
            return session.scalar(select(func.count()).select_from(Instance).where(Instance.status == "running")) or 0
    except OperationalError:
        return None
    finally:
        engine.close()


def run(
    base_url: str,
    database_url: str,
    tokens: Tokens,
    data: dict[str, dict[str, Any]],
    *,
    applications: int = 1000,
    clients: int = 50,
    time_limit: float = 600,
    during: Any = None,
) -> LoadReport:
    """File ``applications`` and complete all their tasks with ``clients`` concurrent clients.

    ``during(report)`` (optional) is called once from its own thread after the
    load starts: the fault tests kill and restart things there.
    """
    report = LoadReport()
    lanes = [lane for lane, n in LANE_CLIENTS.items() for _ in range(n)]
    lanes = (lanes * (clients // len(lanes) + 1))[:clients]
    people = [
        Client(
            base_url,
            tokens.applicants[i % len(tokens.applicants)] if lane == APPLICANT_LANE else tokens.staff[lane],
            lane,
            data,
            seed=i,
            place=lanes[:i].count(lane),
        )
        for i, lane in enumerate(lanes)
    ]
    begun = time.monotonic()
    stop = threading.Event()
    to_file = [applications]  # what is left to file; taken under ``filing``
    filing = threading.Lock()

    def work(client: Client) -> None:
        idle = 0
        while not stop.is_set():
            if client.lane == APPLICANT_LANE:
                with filing:
                    mine = to_file[0] > 0
                    to_file[0] -= mine
                if mine:
                    client.start(report)
                    continue
            if client.step(report):
                idle = 0
            else:
                idle += 1
                stop.wait(min(0.05 * idle, 0.5))

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in people]
    for t in threads:
        t.start()
    fault = threading.Thread(target=during, args=(report,), daemon=True) if during else None
    if fault:
        fault.start()
    try:
        while time.monotonic() - begun < time_limit:
            time.sleep(1)
            with filing:
                all_filed = to_file[0] == 0  # every application was at least attempted
            if all_filed and open_applications(database_url) == 0 and (fault is None or not fault.is_alive()):
                report.finished = True
                break
    finally:
        stop.set()
        for t in threads:
            t.join(90)
        if fault:
            fault.join(120)
        report.elapsed = time.monotonic() - begun
    return report
