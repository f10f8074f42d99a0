"""Two-factor sign-in with time-based one-time passwords (TOTP, RFC 6238).

A user scans a QR code with an authenticator app (Microsoft/Google Authenticator, FreeOTP,
WeChat/Alipay mini programs that read ``otpauth://`` codes…), confirms with one code, and from
then on signs in with the password *and* the six digits the app shows. Nothing leaves the
server: the QR code is drawn here as SVG.

Guarantees:

- the secret is stored sealed (``huike.core.crypto.seal(secret, "totp")``), never in clear;
  the secret being set up waits in the session, sealed too, until a code confirms it;
- a code is accepted once: ``User.totp_last_step`` remembers the last 30-second step used, and
  an older or equal step is refused, so a code seen over a shoulder cannot be replayed;
- a code of the previous or next step is accepted (clocks of phones drift);
- the password step does not sign anyone in: the user waits in the session as "pending" for at
  most :data:`CHALLENGE_SECONDS`, and ``login()`` runs only after a good code.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import pyotp
import segno
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from huike.accounts.models import User
from huike.core import crypto
from huike.core.services import record_change

ISSUER = "Huike"
CONTEXT = "totp"
SETUP_CONTEXT = "totp-setup"
DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1

# Session keys
PENDING = "_huike_2fa_pending"  # {"user": pk, "backend": …, "next": url, "since": t, "tries": n}
SETUP_SECRET = "_huike_2fa_setup_secret"  # noqa: S105 - a session key; the value is sealed
CHALLENGE_SECONDS = 5 * 60
MAX_TRIES = 5


# --- State --------------------------------------------------------------------------------------


def is_enabled(user: Any) -> bool:
    return bool(getattr(user, "totp_confirmed_at", None) and getattr(user, "totp_secret", ""))


def is_required(user: Any) -> bool:
    role = getattr(user, "role", None)
    return bool(role is not None and role.require_two_factor)


def normalise_code(code: str) -> str:
    return "".join(char for char in str(code) if not char.isspace() and char != "-")


def group(secret: str) -> str:
    """``ABCDEFGH…`` → ``ABCD EFGH …``, easier to type into an app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


# --- Codes --------------------------------------------------------------------------------------


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // INTERVAL)


def _matching_step(secret: str, code: str, at: float | None) -> int | None:
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now = current_step(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def secret_of(user: User) -> str:
    return crypto.unseal(user.totp_secret, CONTEXT)


@transaction.atomic
def verify(user: User, code: str, *, at: float | None = None) -> bool:
    """Whether ``code`` is a fresh code of ``user``'s authenticator; uses it up if so."""
    if not is_enabled(user):
        return False
    try:
        secret = secret_of(user)
    except crypto.TamperedValue:
        return False
    step = _matching_step(secret, code, at)
    if step is None:
        return False
    # Only one request can move the step forward past this code: a replay finds it used.
    won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if not won:
        return False
    user.totp_last_step = step
    return True


# --- Setting up and switching off ----------------------------------------------------------------


def setup_secret(request: HttpRequest) -> str:
    """The secret being set up in this session, made on first use."""
    sealed = request.session.get(SETUP_SECRET)
    if sealed:
        try:
            return crypto.unseal(sealed, SETUP_CONTEXT)
        except crypto.TamperedValue:
            pass
    secret = pyotp.random_base32()
    request.session[SETUP_SECRET] = crypto.seal(secret, SETUP_CONTEXT)
    return secret


def forget_setup_secret(request: HttpRequest) -> None:
    request.session.pop(SETUP_SECRET, None)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=user.get_username(), issuer_name=ISSUER
    )


def qr_svg(uri: str, title: str = "") -> SafeString:
    """The QR code of ``uri`` as inline SVG markup (no script, no style, no data: URI)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="hk-qr", lineclass=None, title=title or None
    )
    return mark_safe(svg)  # noqa: S308 - drawn by segno from our own data, title escaped by it


@transaction.atomic
def enable(user: User, secret: str, code: str, *, actor: Any, at: float | None = None) -> bool:
    """Switch two-factor sign-in on with ``secret`` if ``code`` proves the app has it."""
    step = _matching_step(secret, code, at)
    if step is None:
        return False
    user.totp_secret = crypto.seal(secret, CONTEXT)
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    record_change(user, actor=actor, action="action", message="two-factor sign-in set up")
    return True


@transaction.atomic
def disable(user: User, *, actor: Any) -> None:
    """Switch two-factor sign-in off (the user, or an administrator for a lost phone)."""
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    record_change(user, actor=actor, action="action", message="two-factor sign-in switched off")


# --- The second step of signing in ---------------------------------------------------------------


def begin_challenge(request: HttpRequest, user: User, *, next_url: str) -> None:
    """Remember that ``user`` gave the right password; the code is still to come."""
    backend = getattr(user, "backend", None) or request.session.get(BACKEND_SESSION_KEY, "")
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "since": time.time(),
        "tries": 0,
    }


def pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user waiting for the code step, or ``None`` (none, expired, or disabled since)."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("since", 0)) > CHALLENGE_SECONDS:
        end_challenge(request)
        return None
    user = User.objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    if user is None or not is_enabled(user):
        end_challenge(request)
        return None
    return user, data


def count_wrong_code(request: HttpRequest) -> int:
    """Count a wrong code; returns the number of tries left (0: the challenge is over)."""
    data = dict(request.session.get(PENDING) or {})
    data["tries"] = int(data.get("tries", 0)) + 1
    request.session[PENDING] = data
    left = MAX_TRIES - data["tries"]
    if left <= 0:
        end_challenge(request)
    return max(left, 0)


def end_challenge(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)
