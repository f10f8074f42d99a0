"""Rate limits: a fixed-window counter in the Django cache, for pages that anyone can post to.

Use :func:`limit` inside a view, or :func:`rate_limit` around one::

    from huike.core import ratelimit

    def form_valid(self, form):
        try:
            ratelimit.limit(self.request, "signup", rate="3/h", key=form.cleaned_data["email"])
        except ratelimit.RateLimited as error:
            return ratelimit.too_many_requests(self.request, error)
        ...

    @ratelimit.rate_limit("web-form", rate="20/h")  # per client address, POST only
    def public_form(request): ...

A rate is ``"<count>/<unit>"`` with unit ``s``, ``m``, ``h`` or ``d`` (``second``, ``minute``…
also work, as in DRF), optionally with a number of units: ``"5/15m"`` is five per quarter hour.
An empty rate means no limit. The key defaults to the client's address
(:func:`huike.core.http.client_ip`); keys are hashed before they reach the cache, so e-mail
addresses used as keys are not stored in it. ``RATE_LIMITS_ENABLED = False`` switches every
limit (and the API throttles below) off; the test settings do.

The API's throttles (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``) are DRF's, changed to read
their rates when a request arrives rather than when Python imports them, and to honour
``RATE_LIMITS_ENABLED``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from rest_framework import throttling
from rest_framework.settings import api_settings

from huike.core.http import client_ip

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Key = str | Callable[[HttpRequest], str] | None
Rate = str | Callable[[], str] | None


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


class RateLimited(Exception):
    """Too many requests in the current window; ``retry_after`` seconds until the next one."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after


def parse_rate(rate: str) -> Limit | None:
    """``"5/m"`` → five per 60 seconds; ``""`` → ``None`` (no limit)."""
    if not rate or not rate.strip():
        return None
    match = _RATE.match(rate)
    if match is None:
        raise ImproperlyConfigured(
            f"Invalid rate {rate!r}: write <count>/<unit>, e.g. 5/m, 100/h or 5/15m."
        )
    count, multiple, unit = match.groups()
    return Limit(int(count), int(multiple or 1) * _UNIT_SECONDS[unit.lower()])


def _cache_key(scope: str, key: str, window: int) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{window}"


def limit(request: HttpRequest, scope: str, rate: Rate = "5/m", key: Key = None) -> None:
    """Count one request for ``scope`` and ``key``; raise :class:`RateLimited` past the rate.

    ``key`` is a string, a function of the request, or ``None`` for the client's address.
    Requests refused still count, so hammering does not shorten the wait.
    """
    if not settings.RATE_LIMITS_ENABLED:
        return
    parsed = parse_rate(rate() if callable(rate) else (rate or ""))
    if parsed is None:
        return
    if key is None:
        identity = client_ip(request)
    elif callable(key):
        identity = key(request)
    else:
        identity = key
    now = time.time()
    window = int(now // parsed.seconds)
    cache_key = _cache_key(scope, identity, window)
    # add() creates the counter with the window's lifetime only if it does not exist yet.
    cache.add(cache_key, 0, timeout=parsed.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=parsed.seconds + 1)
        count = 1
    if count > parsed.count:
        retry_after = max(1, int((window + 1) * parsed.seconds - now) + 1)
        raise RateLimited(scope, retry_after)


def too_many_requests(request: HttpRequest, error: RateLimited) -> HttpResponse:
    """429 with ``Retry-After``: the API's JSON error format under ``/api/``, else a page."""
    detail = _("Too many requests. Please wait {seconds} seconds and try again.").format(
        seconds=error.retry_after
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"status": 429, "code": "throttled", "detail": detail}, status=429)
    else:
        response = TemplateResponse(
            request, "429.html", {"detail": detail, "retry_after": error.retry_after}, status=429
        )
        response.render()
    response["Retry-After"] = str(error.retry_after)
    return response


def rate_limit(
    scope: str, rate: Rate = "5/m", key: Key = None, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view function: requests with one of ``methods`` beyond ``rate`` answer 429."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                try:
                    limit(request, scope, rate=rate, key=key)
                except RateLimited as error:
                    return too_many_requests(request, error)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- API throttles ------------------------------------------------------------------------------


class _SettingsRate:
    """Rates read from the settings at each request (so deployments and tests can change them)."""

    scope: str | None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = dict(api_settings.DEFAULT_THROTTLE_RATES)
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.")
        rate = rates[self.scope]
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if not settings.RATE_LIMITS_ENABLED:
            return True
        return super().allow_request(request, view)  # type: ignore[misc]


class AnonRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Requests without a user, per client address (``API_RATE_ANON``)."""


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Requests of a signed-in user or token, per user (``API_RATE_USER``)."""
