"""HTTP to a registry on the engine's loopback, through the engine's API.

The kit's registry (:class:`dockerlab.registry.server.LocalRegistry`) listens on
``127.0.0.1`` of the **engine's** network. When the engine runs in a VM (Docker
Desktop, Colima...) that is not the notebook's ``127.0.0.1``; the engine's API is
the one thing the notebook always reaches. :class:`EngineRoute` is a ``requests``
transport adapter whose every request is one ``docker exec`` of busybox
``nc 127.0.0.1 PORT`` in a small helper container that shares the registry's
network (``network_mode="container:<registry>"``): the request goes in on the
exec's stdin, the registry's answer comes back on its stdout. So
:class:`~dockerlab.registry.api.RegistryClient` reads manifests, tags and blob sizes
(and deletes manifests) the same way in both topologies.

Example:
    >>> route = EngineRoute(helper, 5000)                           # doctest: +SKIP
    >>> session.mount("http://127.0.0.1:5000/", route)
"""

from __future__ import annotations

import http.client
import io
import struct
from urllib.parse import urlsplit

import docker.errors
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from dockerlab.core.containers import DemoContainer
from dockerlab.core.engine import client

#: Seconds an exchange may wait for the registry's answer when the caller gives no timeout.
READ_TIMEOUT = 30.0
#: Headers the route sets itself: one request per connection, no compressed answer.
_OWN_HEADERS = {"host", "connection", "accept-encoding"}


class _Answer:
    """What ``http.client.HTTPResponse`` reads a response from: bytes already received."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_args, **_kwargs) -> io.BytesIO:
        return io.BytesIO(self._data)


def request_bytes(request: requests.PreparedRequest, host: str) -> bytes:
    """The HTTP/1.1 request ``request`` as it goes on the wire to ``host`` (one request per
    connection: ``Connection: close``; no compression asked for)."""
    url = urlsplit(request.url or "/")
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    lines = [
        f"{request.method} {target} HTTP/1.1",
        f"Host: {host}",
        "Connection: close",
        "Accept-Encoding: identity",
    ]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in _OWN_HEADERS]
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + bytes(body)


def parse_response(data: bytes, request: requests.PreparedRequest) -> requests.Response:
    """A ``requests.Response`` from the raw bytes of an HTTP/1.1 answer to ``request``.

    Raises:
        requests.ConnectionError: The bytes are not an HTTP answer (nothing listened).
    """
    raw = http.client.HTTPResponse(_Answer(data), method=request.method)  # type: ignore[arg-type]
    try:
        raw.begin()
        body = raw.read()
    except (http.client.HTTPException, OSError) as e:
        raise requests.ConnectionError(
            f"No HTTP answer through the engine ({type(e).__name__}): "
            f"{data[:200].decode(errors='replace')!r}",
            request=request,
        ) from None
    response = requests.Response()
    response.status_code = raw.status
    response.reason = raw.reason
    response.headers = CaseInsensitiveDict(raw.getheaders())
    response._content = body
    response.encoding = get_encoding_from_headers(response.headers)
    response.url = request.url or ""
    response.request = request
    return response


class EngineRoute(BaseAdapter):
    """A ``requests`` adapter to ``127.0.0.1:PORT`` of the engine's network, through ``docker
    exec`` of ``nc`` in ``helper`` (a container sharing the registry's network).

    Args:
        helper: A running container with busybox ``nc`` (the course's Alpine), on the
            registry's network.
        port: The registry's port on the engine's loopback.
    """

    def __init__(self, helper: DemoContainer, port: int) -> None:
        super().__init__()
        self.helper = helper
        self.port = port

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        """Send ``request`` to the registry and return its answer (read whole).

        Raises:
            requests.ReadTimeout: No answer within the read timeout.
            requests.ConnectionError: Nothing answered (the registry or helper is gone).
        """
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        data = self.exchange(
            request_bytes(request, f"127.0.0.1:{self.port}"),
            read_timeout or READ_TIMEOUT,
            request,
        )
        return parse_response(data, request)

    def close(self) -> None:
        """Nothing to close: each request's exec ends with its answer."""

    def exchange(
        self, payload: bytes, timeout: float, request: requests.PreparedRequest | None = None
    ) -> bytes:
        """Run ``nc 127.0.0.1 PORT`` in the helper, write ``payload`` (an HTTP request), and
        return what it printed: the registry's whole answer. Closing the stream then ends
        ``nc``."""
        method = payload.split(b" ", 1)[0].decode("latin-1")
        api = client().api
        try:
            exec_id = api.exec_create(
                self.helper.id,
                ["nc", "127.0.0.1", str(self.port)],
                stdin=True,
                stdout=True,
                stderr=False,
            )["Id"]
            attached = api.exec_start(exec_id, socket=True)
        except docker.errors.APIError as e:
            raise requests.ConnectionError(
                f"The engine could not reach the registry: {e.explanation or e}", request=request
            ) from None
        sock = getattr(attached, "_sock", attached)
        try:
            sock.settimeout(timeout)
            sock.sendall(payload)
            return _stdout(sock, method)
        except TimeoutError:
            raise requests.ReadTimeout(
                f"No answer within {timeout:g} s through the engine.", request=request
            ) from None
        except OSError as e:
            raise requests.ConnectionError(str(e), request=request) from None
        finally:
            sock.close()
            attached.close()


def _stdout(sock, method: str) -> bytes:
    """What an attached exec's stream carries on stdout, until the HTTP answer in it is
    whole (``nc`` itself waits on for its stdin) or the stream ends. The engine frames each
    chunk: 1 byte stream (1: stdout), 3 zero bytes, 4 bytes length, then the data."""
    received = bytearray()
    out = bytearray()
    at = 0
    while chunk := sock.recv(65536):
        received += chunk
        while at + 8 <= len(received):
            kind, size = struct.unpack(">BxxxL", received[at : at + 8])
            if at + 8 + size > len(received):
                break
            if kind == 1:
                out += received[at + 8 : at + 8 + size]
            at += 8 + size
        if answer_complete(bytes(out), method):
            break
    return bytes(out)


def answer_complete(data: bytes, method: str) -> bool:
    """True once ``data`` holds a whole HTTP/1.1 answer to a ``method`` request: its
    headers, then as many bytes as ``Content-Length`` says (none for ``HEAD``, 204 or
    304), or a chunked body's last chunk. Without either, only the connection's end says.
    """
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ")
    code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
        return True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return body.endswith(b"0\r\n\r\n")
    if headers.get("content-length", "").isdigit():
        return len(body) >= int(headers["content-length"])
    return False


__all__ = ["READ_TIMEOUT", "EngineRoute", "answer_complete", "parse_response", "request_bytes"]
