"""Test-only network guard: any connection to anything but loopback or a unix socket fails.

The test suite puts this folder on ``PYTHONPATH`` and sets ``REFLEKT_NETGUARD_LOG``, so every
Python process it starts (the ``reflekt`` CLI, dbt, Dagster) installs the guard at startup;
``tests/conftest.py`` installs it in the test processes too. A blocked attempt raises
:class:`NetworkBlocked` (an ``OSError``, so code sees an ordinary connection failure) and is
appended to the log file, which the suite checks after every test: code that swallowed
the error still fails the test.
"""

from __future__ import annotations

import ipaddress
import os
import socket

ENV = "REFLEKT_NETGUARD_LOG"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlocked(ConnectionRefusedError):
    """Raised instead of opening a non-local connection in the test suite."""


def _is_local_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost") or name == socket.gethostname().lower():
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def _record(what: str) -> None:
    path = os.environ.get(ENV)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()} {what}\n")
        except OSError:
            pass


def _refuse(what: str) -> None:
    _record(what)
    raise NetworkBlocked(f"network access blocked in the test suite: {what}")


def _check_address(family: int, address: object) -> None:
    if family == getattr(socket, "AF_UNIX", object()):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local_host(host):
        _refuse(f"connect to {address!r}")


def install() -> None:
    """Patch the socket module once; idempotent."""
    if getattr(socket, "_reflekt_netguard", False):
        return
    socket._reflekt_netguard = True
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_getaddrinfo = socket.socket.sendto, socket.getaddrinfo

    def connect(self, address):
        _check_address(self.family, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check_address(self.family, address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        _check_address(self.family, args[-1] if args else None)
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local_host(host):
            _refuse(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    socket.getaddrinfo = getaddrinfo


if os.environ.get(ENV):
    install()
