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


def require_free(ports: dict[str, tuple[int, str]], host: str = "127.0.0.1") -> None:
    """Exit with one message naming every taken port and the setting that moves it.

    `ports` maps a name to (port, setting); a port is checked on `host` and on every interface,
    since a server listening on 0.0.0.0 takes it for loopback too."""
    taken = [
        (name, port, setting)
        for name, (port, setting) in ports.items()
        if not (port_is_free(host, port) and port_is_free("0.0.0.0", port))
    ]
    if taken:
        names = ", ".join(f"{name} port {port}" for name, port, _ in taken)
        settings = sorted({setting for _, _, setting in taken if setting})
        how = f" or set {' / '.join(settings)}" if settings else ""
        raise SystemExit(f"cannot start: {names} already in use (another studyflow stack? stop the other process{how})")


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
