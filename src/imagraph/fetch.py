"""Fetching a submission by URL, under strict rules (the server must not be usable as a proxy
into its own network):

- http and https only, default ports or explicitly given ones, no credentials in the URL;
- every address the host name resolves to must be public: no loopback, private, link-local
  (which includes cloud metadata at 169.254.169.254), multicast, reserved or unspecified
  addresses, for IPv4 and IPv6;
- redirects are followed by hand, at most five, each target checked again;
- the connection is made to an address that was checked, never to a second lookup's answer
  (against DNS rebinding), and never through a proxy from the environment;
- the body is read in chunks up to a size limit, with a time limit on the whole fetch.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions

from .errors import BadInputError, FetchRefusedError, InputTooLargeError

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(text: str) -> tuple[Network, ...]:
    """The networks of ``IMAGRAPH_FETCH_ALLOW_NETWORKS`` (CIDR blocks separated by spaces)."""
    try:
        return tuple(ipaddress.ip_network(n, strict=False) for n in text.split())
    except ValueError as err:
        raise BadInputError(f"IMAGRAPH_FETCH_ALLOW_NETWORKS: {err}") from None


def _check_address(host: str, address: str, allow: tuple[Network, ...] = ()) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allow):
        return
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        raise FetchRefusedError(
            f"refusing to fetch from {host} ({ip}): not a public address "
            "(loopback, private, link-local and metadata addresses are never fetched)"
        )


def _resolve(host: str, port: int, allow: tuple[Network, ...]) -> list[str]:
    """Every address ``host`` resolves to, each checked (all must be allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as err:
        raise FetchRefusedError(f"cannot resolve {host}: {err.strerror}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        _check_address(host, address, allow)
    return addresses


def check_url(url: str, allow: tuple[Network, ...] = ()) -> tuple[str, int]:
    """Refuse URLs the rules forbid; returns (host, port)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefusedError(
            f"only http and https URLs are fetched, not {parts.scheme or 'none'!r}"
        )
    if parts.username or parts.password:
        raise FetchRefusedError("URLs with credentials are not fetched")
    host = parts.hostname
    if not host:
        raise FetchRefusedError(f"{url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefusedError(f"{url!r} has an invalid port") from None
    _resolve(host, port, allow)
    return host, port


class _Pinned:
    """A connection that resolves its host itself, checks every address, and connects to a
    checked one: the address checked is the address connected to (no second lookup that a
    DNS rebinding could answer differently). TLS still names the host (SNI, certificate)."""

    allow: tuple[Network, ...] = ()

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        last: OSError | None = None
        for address in _resolve(host, port, self.allow):
            try:
                sock = socket.create_connection((address, port), timeout=self.timeout)  # type: ignore[attr-defined]
            except OSError as err:
                last = err
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise urllib3.exceptions.NewConnectionError(self, f"cannot connect to {host}: {last}")  # type: ignore[arg-type]


def _session(allow: tuple[Network, ...]) -> requests.Session:
    """A session whose connections are :class:`_Pinned` to checked addresses; no proxies from
    the environment (a proxy would connect elsewhere)."""

    class Http(_Pinned, urllib3.connection.HTTPConnection):
        pass

    class Https(_Pinned, urllib3.connection.HTTPSConnection):
        pass

    Http.allow = Https.allow = allow

    class HttpPool(urllib3.HTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = Https

    class Adapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HttpPool, "https": HttpsPool}
            self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)

    session = requests.Session()
    session.trust_env = False
    session.mount("http://", Adapter(max_retries=0))
    session.mount("https://", Adapter(max_retries=0))
    return session


def fetch(
    url: str, *, max_bytes: int, timeout: float, accept: str, allow: tuple[Network, ...] = ()
) -> Fetched:
    """GET ``url`` under the rules above (``allow``: networks that may be fetched from even
    though they are not public, from ``IMAGRAPH_FETCH_ALLOW_NETWORKS``)."""
    deadline = time.monotonic() + timeout
    with _session(allow) as session:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allow)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchRefusedError(f"fetching {url} took longer than {timeout:g} s")
            try:
                resp = session.get(
                    url,
                    headers={"Accept": accept},
                    allow_redirects=False,
                    stream=True,
                    timeout=(min(remaining, 10), remaining),
                )
            except FetchRefusedError:
                raise
            except requests.RequestException as err:
                refused = _refusal(err)
                if refused is not None:
                    raise refused from None
                raise FetchRefusedError(f"cannot fetch {url}: {type(err).__name__}") from None
            with resp:
                if resp.is_redirect:
                    url = urljoin(url, resp.headers.get("Location", ""))
                    continue
                if resp.status_code != 200:
                    raise FetchRefusedError(f"{url} answered {resp.status_code}")
                body = bytearray()
                try:
                    for chunk in resp.iter_content(64 * 1024):
                        body += chunk
                        if len(body) > max_bytes:
                            raise InputTooLargeError(
                                f"{url} is larger than the limit of {max_bytes} bytes"
                            )
                        if time.monotonic() > deadline:
                            raise FetchRefusedError(
                                f"fetching {url} took longer than {timeout:g} s"
                            )
                except requests.RequestException as err:
                    raise FetchRefusedError(f"cannot fetch {url}: {type(err).__name__}") from None
                return Fetched(url, resp.headers.get("Content-Type", ""), bytes(body))
    raise FetchRefusedError(f"more than {MAX_REDIRECTS} redirects")


def _refusal(err: BaseException) -> FetchRefusedError | None:
    """The refusal a connection raised inside requests and urllib3, if that is what failed."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, FetchRefusedError):
            return current
        seen.add(id(current))
        nxt = current.__cause__ or current.__context__
        if nxt is None and current.args and isinstance(current.args[0], BaseException):
            nxt = current.args[0]
        if nxt is None and hasattr(current, "reason"):
            nxt = current.reason if isinstance(current.reason, BaseException) else None
        current = nxt
    return None
