"""Requests the service makes to addresses its users gave (webhook receivers).

The name is resolved once, every address it resolved to is checked (domain/addresses.py),
and the connection goes to the checked address: a name that answers a public address to
the check and 127.0.0.1 to the connection (DNS rebinding) has nothing to rebind. HTTPS still
verifies the certificate against the name (SNI), and redirects are never followed (a public
receiver cannot bounce the request inside)."""

from __future__ import annotations

import ipaddress
import socket

import httpx

from ..config import get_settings
from ..domain.addresses import IPAddress, Target, allowed, parse_receiver
from ..domain.errors import Invalid


class BlockedAddress(Exception):
    """The receiver resolves to an address the service does not send to."""


def allow_list() -> list[str]:
    return [h for h in get_settings().webhook_allowed_hosts.split(",") if h.strip()]


def resolve(target: Target) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal is itself); BlockedAddress when the
    name does not resolve, or any address is not one the service sends to."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddress(f"the host does not resolve ({type(exc).__name__})") from None
    ips = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0])
                             for info in infos))
    allow = allow_list()
    refused = [ip for ip in ips if not allowed(target.host, ip, allow)]
    if refused or not ips:
        raise BlockedAddress("the host resolves to an internal or reserved address")
    return ips


def check_receiver(url: str, field: str = "url") -> Target:
    """At registration: the URL is well formed and points outside (or is on the allow-list)."""
    try:
        target = parse_receiver(url)
    except ValueError as exc:
        raise Invalid(f"Not a receiver URL: {exc}", field=field, reason="BAD_URL") from None
    try:
        resolve(target)
    except BlockedAddress as exc:
        raise Invalid(f"Receiver refused: {exc}", field=field,
                      reason="WEBHOOK_ADDRESS_REFUSED") from None
    return target


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST to the receiver at the address just checked; BlockedAddress or ValueError when
    it may not be sent to, httpx.HTTPError when the request fails."""
    target = parse_receiver(url)
    ip = resolve(target)[0]
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    default = 443 if target.scheme == "https" else 80
    netloc = target.host if target.port == default else f"{target.host}:{target.port}"
    if ":" in target.host:
        netloc = f"[{target.host}]" if target.port == default else \
            f"[{target.host}]:{target.port}"
    pinned = f"{target.scheme}://{literal}:{target.port}{target.path}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    # trust_env=False: an HTTP(S)_PROXY in the environment would resolve the name again
    # itself, and the check above would no longer be about the address connected to
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        return client.post(pinned, content=body, headers={**headers, "Host": netloc},
                           extensions=extensions).status_code
