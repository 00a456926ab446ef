"""`bench/storm.py --cluster`, small: 60 callers arriving over 20 s through nginx to two web nodes,
two worker nodes with their engines, one PostgreSQL and one Redis; web-a is SIGKILLed at 40% of
the window and worker-a with engine-a at 60%. What the bench fails on, this test fails on: a
report lost, a call with two incidents, an attempt dialled twice, an incident never paged, a
recording not stored. Nothing here is timed: the kills fall between arrivals by construction, and
the storm waits for every report to settle (up to four minutes) before judging.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.storm_cluster import failures, report, storm_on_cluster
from tests.support.cluster import require_nginx

CALLS, SECONDS = 60, 20.0


@pytest.mark.slow
@pytest.mark.timeout(900)  # the cluster's start on two shared cores, the storm, the settle
def test_cluster_storm_loses_and_doubles_nothing_when_a_web_node_and_a_worker_node_die(tmp_path: Path) -> None:
    require_nginx()
    storm, logs = storm_on_cluster(tmp_path, CALLS, SECONDS, kill_web_at=0.4, kill_worker_at=0.6, settle=240)
    print("\n" + "\n".join(report(storm)))
    assert set(storm.kills) == {"web-a", "worker-a"}
    assert storm.after_kills >= CALLS // 3  # the calls after the kills went to the nodes that were left
    assert failures(storm) == [], logs
    assert storm.expected, "no caller reported"
    assert len(storm.db["incidents"]) == len(storm.expected)  # one incident per reporting call, no more
