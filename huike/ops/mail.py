"""The e-mail backend that holds mail back while the installation is paused."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from huike.ops.services import is_paused

logger = logging.getLogger(__name__)
SELF = "huike.ops.mail.PausableEmailBackend"


class PausableEmailBackend(BaseEmailBackend):
    """Sends through ``settings.HUIKE_EMAIL_BACKEND``, unless the installation is paused.

    While paused (a restored copy, until an administrator resumes), messages are dropped and
    logged with their count, never their content: a copy of production must not write to
    customers, and a password-reset link held until someone resumes would be stale anyway.
    """

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        backend = getattr(settings, "HUIKE_EMAIL_BACKEND", "")
        if not backend or backend == SELF:
            raise ImproperlyConfigured(
                "HUIKE_EMAIL_BACKEND must name the real e-mail backend, not " + SELF
            )
        self.inner = get_connection(backend, fail_silently=fail_silently, **kwargs)

    def open(self) -> bool | None:
        return self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        if is_paused():
            logger.warning("Huike is paused: %d e-mail message(s) not sent", len(email_messages))
            return 0
        return self.inner.send_messages(email_messages) or 0
