"""Where a webhook may point: `http(s)` to a host whose every address is public, unless the
configuration allows it by name (tests allow 127.0.0.1). Checked when subscribing and again
before each delivery (a name may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

from shared.decider import DomainError

Resolver = Callable[[str], list[str]]


class UrlNotAllowed(DomainError):
    code = "webhook-url-not-allowed"
    status = 422


def resolve(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except OSError as error:
        raise UrlNotAllowed(f"the host {host!r} does not resolve", field="url") from error


def check_url(url: str, allowed_hosts: Collection[str], resolver: Resolver = resolve) -> str:
    """The URL, when deliveries may go there; UrlNotAllowed otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlNotAllowed("a webhook URL is http(s)://host/…", field="url")
    if parts.username or parts.password:
        raise UrlNotAllowed("a webhook URL carries no credentials", field="url")
    host = parts.hostname.lower()
    if host in allowed_hosts:
        return url
    for address in resolver(host):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise UrlNotAllowed(
                f"{host} resolves to {ip}, a private, loopback or reserved address", field="url"
            )
    return url
