"""Facts about the HTTP request that several apps need."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the person, not of our own reverse proxies.

    With ``PROXY_COUNT = N`` (N trusted proxies in front of Huike), the client is the N-th
    address from the right of ``X-Forwarded-For``; addresses further left are whatever the
    client chose to send and are ignored. Without proxies, ``REMOTE_ADDR`` is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "PROXY_COUNT", 0)
    if count > 0:
        chain = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(chain) >= count:
            candidate = chain[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
