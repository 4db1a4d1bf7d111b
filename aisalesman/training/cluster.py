"""Where training runs: a Ray of our own on loopback, or a Ray cluster the user names.

A local Ray (``ray.address`` unset) listens on 127.0.0.1 only. Ray 2.60 binds its GCS,
raylet (node and object manager), workers, agents and metrics endpoints to loopback exactly
when the node's IP is ``127.0.0.1``, and otherwise to all interfaces (the runtime-env agent
and the dashboard agent's HTTP server to the node's IP). On Linux ``ray.init`` swaps a
loopback ``_node_ip_address`` for the machine's routable IP, except where Ray believes
clusters unsupported (macOS and Windows: ``ray._private.ray_constants.ENABLE_RAY_CLUSTER``).
:func:`ray_init` clears that flag for the duration of ``ray.init`` and then checks the
address Ray reports.

Joining a cluster (``ray.address=auto`` or ``host:port``) starts nothing but the driver,
whose gRPC server binds as the node it runs on does: the cluster's ``ray start`` decides
(``docs/clusters.md``). The same flag lets a driver join a head kept on loopback
(``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 ray start --head --node-ip-address=127.0.0.1``), whose
address Ray would otherwise swap for the routable IP, where nothing answers.

Authentication is Ray's business, not ours: we never touch ``RAY_AUTH_MODE``. With it unset,
Ray 2.60 turns token authentication on for a new local Ray (and sets ``RAY_AUTH_MODE=token``
in this process), writes a token to ``~/.ray/auth_token`` if none exists, and warns that it
did so; a local run hides that one warning. An explicit ``RAY_AUTH_MODE`` is honoured.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aisalesman.core.errors import ConfigError

if TYPE_CHECKING:
    from aisalesman.training.config import TrainConfig

__all__ = ["LOOPBACK", "check_reachable", "ray_init"]

LOOPBACK = "127.0.0.1"
_AUTH_SETUP_LOGGER = "ray._private.authentication.authentication_token_setup"
_DEFAULT_AUTH_NOTICE = "Token authentication is enabled for this Ray cluster"


def ray_init(cfg: TrainConfig) -> str:
    """Start a local Ray on loopback or join the cluster at ``cfg.ray.address``; describe what we got.

    Args:
        cfg: the run's config; only its ``ray`` section (``address``, ``num_cpus``) is read.

    Returns:
        One line: the GCS address, the live nodes and the CPUs.

    Raises:
        ConfigError: ``ray.address`` is malformed or nothing answers there.
    """
    import ray

    address = cfg.ray.address
    if address and address != "auto":
        check_reachable(address)
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            try:
                with _node_on_loopback():  # a head on 127.0.0.1 is joined there, not at the routable IP
                    ray.init(address=address, **kwargs)
            except ConnectionError as e:
                raise ConfigError(_join_failure(address, e)) from e
        else:
            _start_local(num_cpus=cfg.ray.num_cpus or os.cpu_count(), **kwargs)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = ray.cluster_resources().get("CPU", 0)
    return f"Ray at {ray.get_runtime_context().gcs_address}: {len(nodes)} node{'s' * (len(nodes) != 1)}, {cpus:g} CPUs"


def _start_local(**kwargs: Any) -> None:
    """A new Ray of our own (even when a ``ray start`` cluster runs on this machine), on loopback."""
    import ray

    with _node_on_loopback(), _quiet_default_auth_notice():
        ray.init(address="local", _node_ip_address=LOOPBACK, **kwargs)
    host = ray.get_runtime_context().gcs_address.rpartition(":")[0]
    if host != LOOPBACK:
        warnings.warn(f"the local Ray listens on {host}, not only on {LOOPBACK}: this Ray version "
                      "ignored the loopback setting (see aisalesman/training/cluster.py)", RuntimeWarning, stacklevel=3)


@contextlib.contextmanager
def _node_on_loopback() -> Iterator[None]:
    """Let ``ray.init`` keep 127.0.0.1 (as node IP or in the address), as it does on macOS and Windows.

    ``services.resolve_ip_for_localhost`` swaps a loopback address for the routable one
    unless ``ENABLE_RAY_CLUSTER`` is false; Ray reads that flag at call time. It is restored
    on exit: by then the node exists and Ray takes its IP from the node. Other addresses
    are left as they are.
    """
    from ray._private import ray_constants

    saved = getattr(ray_constants, "ENABLE_RAY_CLUSTER", True)  # gone in some later Ray: _start_local warns
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved


class _DropDefaultAuthNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_DEFAULT_AUTH_NOTICE)


@contextlib.contextmanager
def _quiet_default_auth_notice() -> Iterator[None]:
    """Hide Ray's "token authentication is enabled" notice, and only that, while a local Ray starts.

    With ``RAY_AUTH_MODE`` unset, Ray turns token authentication on for a new local Ray and
    announces it with a warning that also suggests ``RAY_AUTH_MODE=disabled``. Setting the
    mode to ``token`` ourselves instead would not do: Ray reads the mode once per process, so a
    mode set after ``import ray`` goes unseen by the driver, which then creates no token, and
    the GCS, which does see it, aborts for want of one.
    The warning Ray gives when authentication is *off* is left alone.
    """
    source = logging.getLogger(_AUTH_SETUP_LOGGER)
    drop = _DropDefaultAuthNotice()
    source.addFilter(drop)
    try:
        yield
    finally:
        source.removeFilter(drop)


def _join_failure(address: str, err: ConnectionError) -> str:
    """Ray's one-line "failed to connect", plus what to do when the reason is a token."""
    message = f"ray.address={address!r}: {str(err).splitlines()[0]}"
    if "InvalidAuthToken" in f"{err} {err.__cause__}":  # Ray's AuthenticationError, wrapped twice
        message += ("; the cluster refused this driver's token: set RAY_AUTH_MODE=token and give the cluster's "
                    "token as RAY_AUTH_TOKEN, in the file RAY_AUTH_TOKEN_PATH names, or in ~/.ray/auth_token")
    return message


def check_reachable(address: str, *, timeout: float = 5.0) -> None:
    """Fail fast (Ray itself retries for minutes) when nothing answers at ``[ray://]host:port``.

    Raises:
        ConfigError: ``address`` is not ``host:port`` or nothing accepts a TCP connection there.
    """
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"ray.address: expected 'auto' or host:port, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConfigError(f"ray.address={address!r}: no Ray cluster answers there ({e.strerror or e})") from e
