"""Which addresses the service may send to (webhooks), as pure rules.

A receiver URL is the caller's input: aimed at ``169.254.169.254`` (a cloud's metadata service),
``10.0.0.1`` or ``localhost:5432`` it would make the service an open door into its own network
(SSRF). Only public unicast addresses are receivers, unless an operator lists an internal host
(a city platform on a private network). The shell resolves names and checks every address here,
at registration and again at each delivery (services/outbound.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A receiver URL taken apart: what to resolve, where to connect, what to ask for."""

    scheme: str
    host: str  # lower case, no brackets
    port: int
    path: str  # path and query, at least "/"


def parse_receiver(url: str) -> Target:
    """The URL as a receiver, or ValueError saying what is wrong with it."""
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise ValueError("the URL has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "http://a:b:c/" (the port is not a number), bad brackets
        raise ValueError(f"the URL cannot be read: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("the URL must be http or https")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("the URL has no host")
    if port == 0:
        raise ValueError("the URL's port must be 1 to 65535")
    if not _is_ip(host):
        labels = host.rstrip(".").split(".")
        if not all(labels) or any(len(label) > 63 or not all(c.isalnum() or c == "-"
                                                             for c in label) for label in labels):
            raise ValueError("the URL's host is not a host name")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public(ip: IPAddress) -> bool:
    """A global unicast address: not loopback, link-local, private, reserved, multicast,
    unspecified, shared (100.64/10), documentation or an IPv4 address hidden in IPv6."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            return is_public(mapped)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback
                                 or ip.is_link_local or ip.is_private or ip.is_unspecified)


def allowed(host: str, ip: IPAddress, allow: list[str]) -> bool:
    """May the service send to ``ip`` (which ``host`` resolved to)? Public addresses always;
    an internal one only when the operator listed the host name, the address or its network."""
    if is_public(ip):
        return True
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host:
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a host name that is not this one
    return False
