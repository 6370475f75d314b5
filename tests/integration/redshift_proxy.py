"""A startup-packet proxy that lets AWS's redshift_connector talk to a stock PostgreSQL server.

The driver (1) asks for SSL, (2) sends Redshift-only startup parameters that PostgreSQL
rejects, and (3) parses ``server_version`` as a bare version number. The proxy declines
SSL, strips those parameters, rewrites ``server_version`` until the first ReadyForQuery,
then pipes bytes both ways. (Failure 4 of stack-notes, SCRAM, is avoided with md5 auth.)
"""

from __future__ import annotations

import socket
import struct
import threading

SSL_REQUEST = 80877103
REDSHIFT_ONLY = {b"client_protocol_version", b"driver_version", b"os_version", b"driver_discovery_version"}


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RedshiftProxy:
    def __init__(self, upstream_port: int, version: str = "15.18"):
        self.upstream = ("127.0.0.1", upstream_port)
        self.version = version.encode()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _startup(self, client: socket.socket) -> bytes:
        while True:
            length, code = struct.unpack("!ii", _read_exact(client, 8))
            body = _read_exact(client, length - 8)
            if code != SSL_REQUEST:
                break
            client.sendall(b"N")
        pairs = body.split(b"\0")
        kept = b""
        for key, value in zip(pairs[0::2], pairs[1::2]):
            if key and key not in REDSHIFT_ONLY:
                kept += key + b"\0" + value + b"\0"
        kept += b"\0"
        return struct.pack("!ii", len(kept) + 8, code) + kept

    def _handle(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream)
            server.sendall(self._startup(client))
            threading.Thread(target=_pipe, args=(client, server), daemon=True).start()
            while True:  # rewrite ParameterStatus(server_version) until ReadyForQuery
                kind = _read_exact(server, 1)
                length = struct.unpack("!i", _read_exact(server, 4))[0]
                payload = _read_exact(server, length - 4)
                if kind == b"S" and payload.startswith(b"server_version\0"):
                    payload = b"server_version\0" + self.version + b"\0"
                client.sendall(kind + struct.pack("!i", len(payload) + 4) + payload)
                if kind == b"Z":
                    break
            _pipe(server, client)
        except (OSError, ConnectionError):
            client.close()

    def stop(self) -> None:
        self._stopped = True
        self.listener.close()
