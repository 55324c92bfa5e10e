"""Fetching a submission by URL, under strict rules (the server must not be usable as a proxy
into its own network):

- http and https only, default ports or explicitly given ones, no credentials in the URL;
- every address the host name resolves to must be public: no loopback, private, link-local
  (which includes cloud metadata at 169.254.169.254), multicast, reserved or unspecified
  addresses, for IPv4 and IPv6;
- redirects are followed by hand, at most five, each target checked again;
- after connecting, the address actually connected to is checked too (against DNS rebinding);
- the body is read in chunks up to a size limit, with a time limit on the whole fetch.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from .errors import BadInputError, InputTooLargeError

MAX_REDIRECTS = 5


class FetchRefusedError(BadInputError):
    """A URL imagraph will not fetch, or a fetch that failed; says why."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


def _check_address(host: str, address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        raise FetchRefusedError(
            f"refusing to fetch from {host} ({ip}): not a public address "
            "(loopback, private, link-local and metadata addresses are never fetched)"
        )


def check_url(url: str) -> tuple[str, int]:
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
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as err:
        raise FetchRefusedError(f"cannot resolve {host}: {err.strerror}") from None
    for info in infos:
        _check_address(host, str(info[4][0]))
    return host, port


def fetch(url: str, *, max_bytes: int, timeout: float, accept: str) -> Fetched:
    """GET ``url`` under the rules above."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        host, _port = check_url(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchRefusedError(f"fetching {url} took longer than {timeout:g} s")
        try:
            resp = requests.get(
                url,
                headers={"Accept": accept},
                allow_redirects=False,
                stream=True,
                timeout=(min(remaining, 10), remaining),
            )
        except requests.RequestException as err:
            raise FetchRefusedError(f"cannot fetch {url}: {type(err).__name__}") from None
        with resp:
            sock = getattr(
                getattr(getattr(resp.raw, "_connection", None), "sock", None), "getpeername", None
            )
            if sock is not None:
                _check_address(host, str(sock()[0]))
            if resp.is_redirect:
                url = urljoin(url, resp.headers.get("Location", ""))
                continue
            if resp.status_code != 200:
                raise FetchRefusedError(f"{url} answered {resp.status_code}")
            body = bytearray()
            for chunk in resp.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise InputTooLargeError(f"{url} is larger than the limit of {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchRefusedError(f"fetching {url} took longer than {timeout:g} s")
            return Fetched(url, resp.headers.get("Content-Type", ""), bytes(body))
    raise FetchRefusedError(f"more than {MAX_REDIRECTS} redirects")
