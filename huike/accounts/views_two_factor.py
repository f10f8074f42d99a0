"""Pages of two-factor sign-in: the code step of signing in, setting up, switching off."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from huike.accounts import forms, two_factor
from huike.accounts.models import User
from huike.core import ratelimit

# Proofs (code or password) to switch two-factor sign-in off, per user.
DISABLE_RATE = "5/15m"


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the password was right, now the code.

    Wrong codes count as failed sign-ins for django-axes (the same lockout per user name and
    address as wrong passwords), and after five the password must be entered again.
    """
    waiting = two_factor.pending(request)
    if waiting is None:
        messages.info(request, _("Please sign in again."))
        return HttpResponseRedirect(reverse("accounts:login"))
    user, data = waiting
    credentials = {"username": user.get_username()}
    form = forms.TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
            # AxesMiddleware turns this into the lockout page.
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            two_factor.end_challenge(request)
            return HttpResponse(status=429)
        if two_factor.verify(user, form.cleaned_data["code"]):
            two_factor.end_challenge(request)
            login(request, user, backend=data["backend"] or None)
            return HttpResponseRedirect(_safe_next(request, str(data.get("next", ""))))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if two_factor.count_wrong_code(request) == 0:
            messages.error(request, _("Too many wrong codes. Please sign in again."))
            return HttpResponseRedirect(reverse("accounts:login"))
        form.add_error("code", _("This code is not valid. Check your app and try again."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "pending_user": user})


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Show a new secret as QR code and text; a code from the app switches it on."""
    user = request.user
    assert isinstance(user, User)
    if two_factor.is_enabled(user):
        messages.info(request, _("Two-factor sign-in is already on."))
        return HttpResponseRedirect(reverse("accounts:profile"))
    secret = two_factor.setup_secret(request)
    form = forms.TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.enable(user, secret, form.cleaned_data["code"], actor=user):
            two_factor.forget_setup_secret(request)
            messages.success(
                request,
                _("Two-factor sign-in is on. You will be asked for a code when you sign in."),
            )
            return HttpResponseRedirect(reverse("accounts:profile"))
        form.add_error("code", _("This code is not valid. Check your app and try again."))
    uri = two_factor.provisioning_uri(user, secret)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(uri, title=_("QR code for your authenticator app")),
            "secret": two_factor.group(secret),
            "required": two_factor.is_required(user),
        },
    )


@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Switch two-factor sign-in off after a current code or the password."""
    user = request.user
    assert isinstance(user, User)
    profile = HttpResponseRedirect(reverse("accounts:profile"))
    if not two_factor.is_enabled(user):
        return profile
    try:
        ratelimit.limit(request, "two-factor-disable", rate=DISABLE_RATE, key=f"user:{user.pk}")
    except ratelimit.RateLimited as error:
        return ratelimit.too_many_requests(request, error)
    form = forms.TwoFactorDisableForm(request.POST)
    proof = form.cleaned_data["proof"] if form.is_valid() else ""
    if proof and (two_factor.verify(user, proof) or user.check_password(proof)):
        two_factor.disable(user, actor=user)
        messages.success(request, _("Two-factor sign-in is off."))
        if two_factor.is_required(user):
            messages.warning(
                request, _("Your role requires two-factor sign-in: set it up again now.")
            )
    else:
        messages.error(
            request, _("Two-factor sign-in stays on: the code or password was not right.")
        )
    return profile
