"""Refuse early, with a clear message, when a port the stack needs is taken."""

from __future__ import annotations

import socket


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free(ports: dict[str, int], host: str = "127.0.0.1") -> None:
    taken = [f"{name} port {port}" for name, port in ports.items() if not port_is_free(host, port)]
    if taken:
        raise SystemExit(
            "cannot start: " + ", ".join(taken) + " already in use "
            "(stop the other process or set API_PORT / TEMPORAL_PORT / TEMPORAL_UI_PORT)"
        )


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False
