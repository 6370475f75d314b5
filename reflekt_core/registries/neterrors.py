"""Connection failures in words ("connection refused"), not urllib3 object reprs."""

from __future__ import annotations

import errno
import socket
import ssl
from http.client import RemoteDisconnected

_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the server",
    errno.ECONNABORTED: "connection aborted",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out while connecting",
    errno.EPIPE: "connection closed while sending",
}


def _chain(exc: BaseException):
    """The exception, its arguments that are exceptions, causes and contexts, depth first."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            nested = getattr(item, attr, None)
            if isinstance(nested, BaseException):
                stack.append(nested)


def describe_connection_error(exc: BaseException) -> tuple[str, bool]:
    """``(reason in words, whether the request certainly never reached the server)``."""
    names = {type(e).__name__ for e in _chain(exc)}
    for item in _chain(exc):
        if isinstance(item, socket.gaierror):
            return "host name not found", True
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {item.verify_message or 'verification failed'}", True
        if isinstance(item, ssl.SSLError):
            return "TLS handshake failed", True
        if isinstance(item, RemoteDisconnected):
            return "the server closed the connection without answering", False
        if isinstance(item, OSError) and item.errno in _ERRNO_WORDS:
            before = item.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH) \
                or "NewConnectionError" in names
            return _ERRNO_WORDS[item.errno], before
    if "NewConnectionError" in names:
        return "could not open a connection", True
    if "ProtocolError" in names:
        return "the connection broke during the request", False
    return "the connection failed", False
