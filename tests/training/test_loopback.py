"""A local ``aisalesman train`` listens on loopback only, and keeps Ray's token authentication.

The run happens in a fresh interpreter with ``RAY_AUTH_MODE`` unset and ``HOME`` in a temporary
directory, as on a user's fresh machine (Ray reads the auth mode once per process, and the
test session sets it to ``disabled``). While the policy trains, the script lists the sockets
of every process of its Ray session: the driver and all its descendants (GCS, raylet with its
workers and agents, monitor, dashboard process), plus every process Ray's node records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray.rllib")

from tests.training.listening import beyond_loopback, is_loopback  # noqa: E402

ROOT = Path(__file__).parents[2]

# run as `python -c SCRIPT key=value ...`; prints one JSON line last
SCRIPT = r"""
import json, os, sys, time
from pathlib import Path

from tests.training.listening import listening, process_tree  # imports ray first

import ray
from aisalesman.core.config import load_config
from aisalesman.training.config import TrainConfig
from aisalesman.training.train import train

seen, snapshots = {}, 0


def session_pids():
    node = ray._private.worker._global_node
    return [info.process.pid for infos in node.all_processes.values() for info in infos]


def snapshot(row=None):
    global snapshots
    snapshots += 1
    for s in listening(process_tree(os.getpid(), *session_pids())):
        seen[(s["pid"], s["proto"], s["ip"], s["port"])] = s


lines = []
train(load_config(TrainConfig, overrides=sys.argv[1:]), progress=snapshot, log=lines.append)
# the agents write their ports to the session dir once bound: wait for them, then look again
session = Path(ray._private.worker._global_node.get_session_dir_path())
deadline = time.monotonic() + 30
while not list(session.glob("metrics_export_port_*")) and time.monotonic() < deadline:
    time.sleep(0.5)
task_pid = ray.get(ray.remote(lambda: os.getpid()).remote())
snapshot()
print(json.dumps({"sockets": list(seen.values()), "snapshots": snapshots, "log": lines, "task_pid": task_pid,
                  "tree": [p.pid for p in process_tree(os.getpid())], "auth_mode": os.environ.get("RAY_AUTH_MODE")}))
ray.shutdown()
"""

TINY = ["method=ppo", "env_steps=200", "ppo.train_batch_size=100", "ppo.minibatch_size=50", "ppo.num_epochs=1",
        "env_runners.num_env_runners=1", "env_runners.rollout_fragment_length=50", "eval.episodes=2",
        "eval.sampled=false", "checkpoint_every=100", "ray.num_cpus=2"]


def test_loopback_check_tells_loopback_from_the_rest() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.0.2.2", "::ffff:192.0.2.2", "fe80::1%eth0"]))
    found = beyond_loopback([{"pid": 1, "name": "gcs_server", "proto": "tcp", "ip": "::", "port": 6379},
                             {"pid": 2, "name": "raylet", "proto": "tcp", "ip": "::ffff:127.0.0.1", "port": 1}])
    assert found == ["gcs_server (pid 1) tcp :::6379"]


@pytest.mark.slow
@pytest.mark.train
def test_local_training_listens_on_loopback_only_with_token_auth(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_AUTH_MODE", "RAY_ADDRESS")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCRIPT, *TINY, f"out={tmp_path / 'run'}"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    sockets = report["sockets"]
    names = {s["name"] for s in sockets}
    # the listing saw Ray's servers (GCS, raylet, the driver's and the workers' gRPC servers) ...
    assert {"gcs_server", "raylet"} <= names, names
    assert report["snapshots"] >= 3 and report["task_pid"] in report["tree"]
    assert any(s["pid"] == report["task_pid"] for s in sockets), sockets
    # ... and none of them is reachable from another machine
    assert beyond_loopback(sockets) == [], "\n".join(beyond_loopback(sockets))
    assert any(line.startswith("Ray at 127.0.0.1:") for line in report["log"]), report["log"]

    # authentication stayed on: Ray's default token mode, its token written under HOME, no warning
    assert report["auth_mode"] == "token"
    assert (home / ".ray" / "auth_token").stat().st_size > 0
    assert "Token authentication" not in done.stderr and "RAY_AUTH_MODE" not in done.stderr, done.stderr[-3000:]
