"""Request-level protections that every page and API answer goes through.

- :class:`NoStoreMiddleware`: signed-in pages and every API answer carry ``Cache-Control:
  no-store``, so a shared computer's browser cache or a proxy keeps no customer data.
- :class:`SessionTimeoutMiddleware`: a sign-in ends after ``SESSION_IDLE_MINUTES`` without a
  request, and in any case ``SESSION_ABSOLUTE_HOURS`` after the password was entered.
- :class:`TwoFactorSetupMiddleware`: holders of a role that requires two-factor sign-in and have
  not set it up reach only the set-up page until they do (API tokens are not affected).

Disabled users lose access at once without help from here: Django's authentication backend
refuses inactive users when it loads the user of a session, and API tokens of inactive users do
not authenticate (``ApiToken.objects.usable()``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

# Session keys: when the password was entered, and when the user was last seen (epoch seconds).
SIGNED_IN_AT = "_huike_signed_in_at"
SEEN_AT = "_huike_seen_at"
# Writing the session on every request costs a database write; once a minute is precise enough
# for an idle timeout counted in minutes.
SEEN_RESOLUTION_SECONDS = 60

API_PREFIX = "/api/"
# Where a user whose role requires two-factor sign-in may still go before setting it up.
TWO_FACTOR_SETUP_URL = "accounts:two_factor_setup"
TWO_FACTOR_EXEMPT_VIEWS = frozenset(
    {"accounts:two_factor_setup", "accounts:logout", "accounts:set_language"}
)

GetResponse = Callable[[HttpRequest], HttpResponse]


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    """The API's error format (see ``huike.core.api.errors``)."""
    return JsonResponse({"status": status, "code": code, "detail": detail}, status=status)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which would swap the target page in)."""
    if _is_htmx(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` and ``Pragma: no-cache`` on signed-in pages and the API.

    Sits after WhiteNoise, so static files (served before this runs) stay cacheable.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._private(request):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

    @staticmethod
    def _private(request: HttpRequest) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return False
        if is_api(request):
            return True
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)


class SessionTimeoutMiddleware:
    """Ends a sign-in after ``SESSION_IDLE_MINUTES`` idle or ``SESSION_ABSOLUTE_HOURS`` in all.

    An expired page request is signed out and sent to the sign-in page with a message; an
    expired API request with a session answers 401 in the API's error format. The clock of the
    absolute limit starts when the session key changes to a signed-in one, which Django does on
    every sign-in (``login()`` cycles the key), whichever page signed the user in.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        key_before = session.session_key
        if request.user.is_authenticated and SIGNED_IN_AT in session:
            now = time.time()
            expired = self._expired(session, now)
            if expired:
                return self._sign_out(request, expired)
            if now - float(session.get(SEEN_AT, 0)) >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT] = now
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A new key means a sign-in just happened. A signed-in session without the stamps
            # (made before this middleware existed) gets them with its next write, not with a
            # write of its own.
            fresh = session.session_key != key_before
            if fresh or (SIGNED_IN_AT not in session and session.modified):
                now = time.time()
                session[SIGNED_IN_AT] = now
                session[SEEN_AT] = now
        return response

    @staticmethod
    def _expired(session: Any, now: float) -> str:
        """``"idle"``, ``"absolute"`` or ``""`` (still valid)."""
        signed_in_at = float(session.get(SIGNED_IN_AT, now))
        seen_at = float(session.get(SEEN_AT, signed_in_at))
        if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
            return "absolute"
        if now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
            return "idle"
        return ""

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        if reason == "idle":
            message = _("You were signed out after a period of inactivity. Please sign in again.")
        else:
            message = _("Your sign-in has reached its maximum duration. Please sign in again.")
        logout(request)
        if is_api(request):
            if request.headers.get("Authorization"):
                # The request also carries a token: let the token decide, not the old session.
                return self.get_response(request)
            return _json_error(401, "session_expired", message)
        messages.info(request, message)
        login_url = resolve_url(settings.LOGIN_URL)
        if _is_htmx(request):
            return HttpResponseClientRedirect(login_url)
        return redirect_to_login(request.get_full_path(), login_url)


def two_factor_setup_required(user: Any) -> bool:
    """The user's role requires two-factor sign-in and the user has not set it up."""
    role = getattr(user, "role", None)
    return bool(
        role is not None
        and getattr(role, "require_two_factor", False)
        and not getattr(user, "totp_confirmed_at", None)
    )


class TwoFactorSetupMiddleware:
    """Sends users who must set up two-factor sign-in to the set-up page until they have.

    Only sessions are concerned: an API token was issued to a user after they signed in, and
    is revoked, not redirected, when it should no longer work.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and two_factor_setup_required(user) and not self._exempt(request):
            if is_api(request):
                message = _("Your role requires two-factor sign-in. Set it up to continue.")
                return _json_error(403, "two_factor_setup_required", message)
            # The set-up page itself says why the user landed there.
            return _redirect(request, resolve_url(TWO_FACTOR_SETUP_URL))
        return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        if request.path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in TWO_FACTOR_EXEMPT_VIEWS
