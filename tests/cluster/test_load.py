"""50 API clients complete tasks across 1,000 applications through gunicorn (4 workers) and 2 timer workers.

The clients file the 1,000 applications and then work every lane for a fixed
time (the run is bounded: on this 2-core machine finishing all 11,000-odd
tasks would take most of an hour). Time standards are cut to 20 seconds so
that the timer workers fire breaches all through the run, racing the clients
for the same applications. Afterwards the database must agree with what the
clients were told, and every application, finished or not, must re-execute
from its history to exactly its stored state, open tasks and timers.
"""

from __future__ import annotations

from deploy import load

from .conftest import assert_consistent

LOAD_SECONDS = 180


def test_fifty_clients_a_thousand_applications(cluster_factory) -> None:
    cluster = cluster_factory(web_workers=4, timer_workers=2, standard_seconds=20)
    tokens = load.prepare(cluster.database_url)
    data = load.form_data(cluster.bpmn.read_bytes())
    report = load.run(
        cluster.base_url, cluster.database_url, tokens, data, applications=1000, clients=50, time_limit=LOAD_SECONDS
    )
    print("\nload:", report.summary())
    assert len(report.started) == 1000
    assert report.transport_errors == 0 and not report.uncertain and not report.server_errors
    assert len(report.completed) > 1000  # work got done beyond filing, in every lane
    assert_consistent(cluster.database_url, report, finished=False)
    assert all(w.poll() is None for w in cluster.workers), "a timer worker died under load"
