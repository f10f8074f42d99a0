"""Abuse protection of the public forms, without any third-party service.

- **Form token**: each page carries a signed token (Django's signing, keyed with the
  ``SECRET_KEY``) naming the form, when the page was made and a one-time nonce. A post without
  a valid token, one sent faster than a person can type (``WEBFORM_MIN_SECONDS``), one older than
  ``WEBFORM_TOKEN_MAX_AGE`` or one whose nonce was already used is not accepted: the visitor gets
  the form back, with what they typed, and sends it again.
- **Challenge** (optional per form): a small sum in words ("What is three plus four?"), whose
  numbers travel in the signed token; nothing is loaded from elsewhere.
- **Honeypot**: a text field hidden from people by a CSS class; automated senders fill it.
- **Limits**: the size of the whole post (``WEBFORM_MAX_BYTES``) and of each answer, and a rate
  limit per address and form (``WEBFORM_RATE``, through ``huike.core.ratelimit``).
- **Addresses** are kept only as a keyed hash (HMAC with the ``SECRET_KEY``): the same address
  gives the same hash, but the hash does not give the address back (PIPL: data minimisation).
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from huike.core.http import client_ip
from huike.webforms.models import WebForm

TOKEN_FIELD = "hk_token"  # noqa: S105 - a form field name, not a secret
ANSWER_FIELD = "hk_answer"
LANGUAGE_FIELD = "hk_lang"
HONEYPOT_FIELD = "homepage_url"
CONSENT_PREFIX = "consent_"
# Names the form itself uses: no profile field may take them.
RESERVED_NAMES = frozenset({TOKEN_FIELD, ANSWER_FIELD, LANGUAGE_FIELD, HONEYPOT_FIELD, "lang"})

_SALT = "huike.webforms.token"
_NONCE_KEY = "webforms:nonce:{}"

NUMBER_WORDS = {
    1: _("one"),
    2: _("two"),
    3: _("three"),
    4: _("four"),
    5: _("five"),
    6: _("six"),
    7: _("seven"),
    8: _("eight"),
    9: _("nine"),
}


def max_bytes() -> int:
    return int(getattr(settings, "WEBFORM_MAX_BYTES", 64 * 1024))


def rate() -> str:
    return str(getattr(settings, "WEBFORM_RATE", "10/10m"))


def min_seconds() -> float:
    return float(getattr(settings, "WEBFORM_MIN_SECONDS", 2))


def token_max_age() -> int:
    return int(getattr(settings, "WEBFORM_TOKEN_MAX_AGE", 24 * 3600))


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the visitor's address: comparable, not reversible without the key."""
    address = client_ip(request)
    return (
        salted_hmac("huike.webforms.ip", address, algorithm="sha256").hexdigest() if address else ""
    )


def rate_key(request: HttpRequest, form: WebForm) -> str:
    return f"{client_ip(request)}|{form.pk}"


@dataclass(frozen=True)
class Challenge:
    first: int
    second: int

    @property
    def answer(self) -> int:
        return self.first + self.second

    @property
    def question(self) -> str:
        return str(
            _("What is {first} plus {second}? Answer in digits.").format(
                first=NUMBER_WORDS[self.first], second=NUMBER_WORDS[self.second]
            )
        )

    def accepts(self, answer: str) -> bool:
        given = unicodedata.normalize("NFKC", answer or "").strip()
        return given.isdigit() and int(given) == self.answer


@dataclass(frozen=True)
class Token:
    """What a page's signed token says."""

    value: str
    form_id: int
    issued_at: float
    nonce: str
    challenge: Challenge | None
    notices: dict[str, int]  # purpose code → id of the notice whose text the page showed


def issue(
    form: WebForm, *, notices: dict[str, int] | None = None, issued_at: float | None = None
) -> Token:
    """A new token for a page of ``form`` (with a new question when the form asks one) that
    remembers which notice texts the page showed."""
    nonce = secrets.token_urlsafe(12)
    when = time.time() if issued_at is None else issued_at
    challenge = None
    notices = dict(notices or {})
    payload: dict[str, object] = {"f": form.pk, "t": when, "n": nonce, "v": notices}
    if form.challenge:
        challenge = Challenge(1 + secrets.randbelow(9), 1 + secrets.randbelow(9))
        payload["c"] = [challenge.first, challenge.second]
    value = signing.dumps(payload, salt=_SALT, compress=False)
    return Token(value, form.pk, when, nonce, challenge, notices)


class TokenProblem(Exception):
    """Why a post's token is not accepted: ``missing``, ``invalid``, ``expired``, ``too_fast``
    or ``replayed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read(value: str | None, form: WebForm) -> Token:
    """The token of a post, checked for signature, form and age (not yet used up)."""
    if not value:
        raise TokenProblem("missing")
    try:
        payload = signing.loads(value, salt=_SALT, max_age=token_max_age())
    except signing.SignatureExpired:
        raise TokenProblem("expired") from None
    except signing.BadSignature:
        raise TokenProblem("invalid") from None
    if not isinstance(payload, dict) or payload.get("f") != form.pk:
        raise TokenProblem("invalid")
    try:
        issued_at = float(payload["t"])
        nonce = str(payload["n"])
        numbers = payload.get("c")
        challenge = Challenge(int(numbers[0]), int(numbers[1])) if numbers else None
        notices = {str(code): int(pk) for code, pk in (payload.get("v") or {}).items()}
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise TokenProblem("invalid") from None
    if time.time() - issued_at > token_max_age():
        raise TokenProblem("expired")
    if time.time() - issued_at < min_seconds():
        raise TokenProblem("too_fast")
    return Token(value, form.pk, issued_at, nonce, challenge, notices)


def use(token: Token) -> None:
    """Spend the token's nonce: a second post with the same token is a replay."""
    if not cache.add(_NONCE_KEY.format(token.nonce), 1, timeout=token_max_age() + 60):
        raise TokenProblem("replayed")
