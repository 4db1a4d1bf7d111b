"""``aisalesman train ray.address=auto`` joins a running Ray cluster (a local ``ray start --head``)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray.rllib")

ROOT = Path(__file__).parents[2]
ENV = {**os.environ, "RAY_AUTH_MODE": "disabled", "HF_HUB_OFFLINE": "1"}
ENV.pop("RAY_ADDRESS", None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def ray_head(tmp_path: Path):
    """A one-node cluster on 127.0.0.1, started as a user would (``ray start --head``), stopped after."""
    port = _free_port()
    log = (tmp_path / "head.log").open("w")
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
                             f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
                             "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True)
    current = Path("/tmp/ray/ray_current_cluster")  # what ``auto`` reads
    deadline = time.monotonic() + 120
    try:
        while not (_answers(port) and current.exists() and current.read_text().strip().endswith(f":{port}")):
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start did not come up: {(tmp_path / 'head.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield port
    finally:
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(head.pid, sig)
                head.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()
        # as ``ray stop`` does: a stale record would send later ``ray.init()`` calls to a dead cluster
        if current.exists() and current.read_text().strip().endswith(f":{port}"):
            current.unlink()


@pytest.mark.slow
def test_train_joins_a_running_cluster_with_address_auto(ray_head: int, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "aisalesman.cli", "train", "--config", str(ROOT / "configs/train/ppo.yaml"),
         "ray.address=auto", "env_runners.num_env_runners=1", "env_runners.rollout_fragment_length=50",
         "env_steps=400", "ppo.train_batch_size=200", "ppo.minibatch_size=100", "ppo.num_epochs=1",
         "eval.episodes=5", "eval.every=1", "--out", str(out), "--quiet"],
        capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    # it joined the cluster started above (not a fresh local Ray), whose one node has 2 CPUs
    assert re.search(rf"^Ray at [\w.-]+:{ray_head}: 1 node, 2 CPUs$", done.stderr, re.M), done.stderr[-3000:]
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["env_steps"] >= 400 and rows[-1]["env_runner_restarts"] == 0  # sampled by the remote runner
    assert (out / "final").is_dir()
