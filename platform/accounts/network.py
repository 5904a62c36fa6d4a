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
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.JIANNUO_TRUSTED_PROXIES))
    if not networks or not _trusted(_address(remote), networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage written by the client: the last good hop is the best we know
        if not _trusted(address, networks):
            return str(address)
        remote = str(address)
    return remote
