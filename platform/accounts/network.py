"""The client's address, for limits on guessing.

`X-Forwarded-For` is believed only when the request comes from a proxy the deployment
names in `JIANNUO_TRUSTED_PROXIES`; otherwise anybody could claim a new address with
each guess. With trusted proxies, the address is the right-most hop that is not one of
them (the left-most entries are whatever the client wrote).
"""
from __future__ import annotations

import functools
import ipaddress

from django.conf import settings


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _client(address) -> str:
    # One IPv6 host usually holds a whole /64: counting per address would hand it endless budgets.
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    remote = _address(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.JIANNUO_TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return _client(remote)
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage written by the client: the last good hop is the best we know
        if not _trusted(address, networks):
            return _client(address)
        remote = address
    return _client(remote)
