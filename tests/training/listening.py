"""Which network addresses a process tree listens on (for the "nothing beyond loopback" tests).

Imported by the tests and by the scripts they run in a fresh interpreter (``import ray``
first there: psutil ships inside Ray, ``ray/thirdparty_files``).
"""

from __future__ import annotations

import ipaddress
import socket

import ray  # noqa: F401  (puts Ray's bundled psutil on sys.path)

# isort: split
import psutil


def process_tree(*roots: int) -> list[psutil.Process]:
    """``roots`` and all their descendants that are still alive."""
    found: dict[int, psutil.Process] = {}
    for pid in roots:
        try:
            root = psutil.Process(pid)
            for p in [root, *root.children(recursive=True)]:
                found[p.pid] = p
        except psutil.NoSuchProcess:
            continue
    return list(found.values())


def listening(processes: list[psutil.Process]) -> list[dict]:
    """Every listening TCP socket and every bound UDP socket of ``processes``, IPv4 and IPv6."""
    out = []
    for p in processes:
        try:
            name, conns = p.name(), p.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        for c in conns:
            tcp = c.type == socket.SOCK_STREAM
            if (tcp and c.status == psutil.CONN_LISTEN) or (not tcp and c.laddr):
                out.append({"pid": p.pid, "name": name, "proto": "tcp" if tcp else "udp",
                            "ip": c.laddr.ip, "port": c.laddr.port})
    return out


def is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback (``::ffff:127.0.0.1``); never a wildcard."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def beyond_loopback(sockets: list[dict]) -> list[str]:
    """The sockets of ``sockets`` that other machines could reach, one readable line each."""
    return [f"{s['name']} (pid {s['pid']}) {s['proto']} {s['ip']}:{s['port']}" for s in sockets if not is_loopback(s["ip"])]
