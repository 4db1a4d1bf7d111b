"""Pool workers of ``run_episodes`` die on SIGTERM whatever handler the command line installed."""

from __future__ import annotations

import signal

from aisalesman.evaluation import runner


def _sigterm_disposition(spec) -> str:
    return "default" if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else "handled"


def test_pool_workers_restore_the_default_sigterm_action(monkeypatch):
    def cli_handler(signum, frame):  # what `aisalesman` installs: SIGTERM becomes KeyboardInterrupt
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, cli_handler)
    try:
        monkeypatch.setattr(runner, "_run_to_json", _sigterm_disposition)
        seen = list(runner.run_episodes(list(range(6)), workers=2))
    finally:
        signal.signal(signal.SIGTERM, previous)
    # Pool.terminate sends SIGTERM at the end of every run: a worker that turned it into an
    # exception while holding the task queue's lock left the other waiting, and the run hung
    assert seen == ["default"] * 6
