"""``aisalesman train ray.address=auto`` joins a running Ray cluster (a local ``ray start --head``).

The head is the loopback-only one ``docs/clusters.md`` shows: on Linux ``ray start`` swaps
``--node-ip-address=127.0.0.1`` for the machine's routable IP (and then binds every server to
all interfaces) unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``.
"""

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

from aisalesman.core.config import load_config  # noqa: E402
from aisalesman.core.errors import ConfigError  # noqa: E402
from aisalesman.training.cluster import check_reachable, ray_init  # noqa: E402
from aisalesman.training.config import TrainConfig  # noqa: E402
from tests.training.listening import beyond_loopback, listening, process_tree  # noqa: E402

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


def test_check_reachable_names_the_bad_address() -> None:
    with pytest.raises(ConfigError, match=r"expected 'auto' or host:port, got 'head'"):
        check_reachable("head")
    port = _free_port()  # closed again: nothing listens there
    with pytest.raises(ConfigError, match=rf"ray.address='ray://127.0.0.1:{port}': no Ray cluster answers there"):
        check_reachable(f"ray://127.0.0.1:{port}", timeout=2)


@pytest.mark.parametrize("cause, hint", [
    ("ray.exceptions.AuthenticationError: RPC error: InvalidAuthToken: Authentication token is missing", True),
    ("TimedOut: Timed out while waiting for GCS to become available.", False),
])
def test_a_refused_join_says_why_and_a_refused_token_says_what_to_do(monkeypatch, cause: str, hint: bool) -> None:
    import ray

    def refuse(**kwargs):  # what ray.init raises (2.60): a ConnectionError from a RuntimeError naming the cause
        try:
            raise RuntimeError(f"Failed to connect to GCS. Last connection error: {cause}")
        except RuntimeError as e:
            raise ConnectionError("Failed to connect to Ray cluster at 127.0.0.1:6379") from e

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    with pytest.raises(ConfigError, match=r"^ray.address='auto': Failed to connect to Ray cluster at 127.0.0.1:6379") as err:
        ray_init(load_config(TrainConfig, overrides=["ray.address=auto"]))
    assert ("set RAY_AUTH_MODE=token" in str(err.value)) is hint


@pytest.fixture
def ray_head(tmp_path: Path):
    """A one-node cluster on 127.0.0.1, started as a user would (``ray start --head``), stopped after.

    Yields the GCS port and the pid of ``ray start`` (the parent of every process of the head).
    """
    port = _free_port()
    log = (tmp_path / "head.log").open("w")
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
                             f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
                             "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**ENV, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"})  # keep 127.0.0.1
    current = Path("/tmp/ray/ray_current_cluster")  # what ``auto`` reads
    deadline = time.monotonic() + 120
    try:
        while not (_answers(port) and current.exists() and current.read_text().strip().endswith(f":{port}")):
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start did not come up: {(tmp_path / 'head.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield port, head.pid
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
def test_train_joins_a_running_cluster_with_address_auto(ray_head: tuple[int, int], tmp_path: Path) -> None:
    port, head_pid = ray_head
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "aisalesman.cli", "train", "--config", str(ROOT / "configs/train/ppo.yaml"),
         "ray.address=auto", "env_runners.num_env_runners=1", "env_runners.rollout_fragment_length=50",
         "env_steps=400", "ppo.train_batch_size=200", "ppo.minibatch_size=100", "ppo.num_epochs=1",
         "eval.episodes=5", "eval.every=1", "--out", str(out), "--quiet"],
        capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    # it joined the cluster started above (not a fresh local Ray), whose one node has 2 CPUs
    assert re.search(rf"^Ray at 127\.0\.0\.1:{port}: 1 node, 2 CPUs$", done.stderr, re.M), done.stderr[-3000:]
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["env_steps"] >= 400 and rows[-1]["env_runner_restarts"] == 0  # sampled by the remote runner
    assert (out / "final").is_dir()
    # every server of the head (GCS, raylet, agents, any worker still up) listens on loopback only
    sockets = listening(process_tree(head_pid))
    assert {"gcs_server", "raylet"} <= {s["name"] for s in sockets}, sockets
    assert beyond_loopback(sockets) == [], "\n".join(beyond_loopback(sockets))
