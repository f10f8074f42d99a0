"""``Idempotency-Key`` for API POSTs: a retried request gets the first answer, not a new write.

The first request with a key stores its status and body; a retry with the same key, path and
body replays them (with ``Idempotent-Replayed: true``). The same key with a different body or
path is refused with 422, and a retry while the first is still running with 409.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from huike.core.models import IdempotencyRecord

if TYPE_CHECKING:
    from huike.accounts.models import User

HEADER = "HTTP_IDEMPOTENCY_KEY"


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_progress"

    def __init__(self) -> None:
        super().__init__(_("A request with this Idempotency-Key is still being processed."))


class IdempotencyMismatch(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(_("This Idempotency-Key was already used for a different request."))


class InvalidIdempotencyKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_idempotency_key"

    def __init__(self) -> None:
        super().__init__(_("The Idempotency-Key header must be 1 to 255 printable characters."))


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    try:
        digest.update(request._request.body)  # the raw body, exactly as sent
    except RawPostDataException:  # already streamed (multipart): hash what was parsed
        digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _redacted(body: Any, secrets: tuple[str, ...]) -> Any:
    """The body to keep for replays, without secrets that must never be stored."""
    if secrets and isinstance(body, dict):
        return {key: value for key, value in body.items() if key not in secrets}
    return body


class IdempotentMixin:
    """Mix into an API view; POST honours ``Idempotency-Key``.

    ``idempotency_redact`` names response fields never stored (a new token's key): a replay
    answers without them.
    """

    idempotency_redact: tuple[str, ...] = ()

    _idempotency_record: IdempotencyRecord | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_record = None
        key = request.META.get(HEADER)
        if request.method != "POST" or key is None:
            return
        if not (0 < len(key) <= 255) or not key.isprintable():
            raise InvalidIdempotencyKey
        user = cast("User", request.user)  # permission classes ran: the user is signed in
        fingerprint = _fingerprint(request)
        oldest = timezone.now() - settings.IDEMPOTENCY_TTL
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=oldest).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(user=user, key=key)
            if existing.request_hash != fingerprint:
                raise IdempotencyMismatch from None
            if existing.status_code is None:
                raise IdempotencyConflict from None
            raise _Replay(existing) from None
        self._idempotency_record = record

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            response = Response(exc.record.response_body, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record = self._idempotency_record
        if record is not None:
            self._idempotency_record = None
            if response.status_code >= 500:
                record.delete()  # a server failure may be retried for real
            else:
                record.status_code = response.status_code
                record.response_body = _redacted(
                    getattr(response, "data", None), getattr(self, "idempotency_redact", ())
                )
                record.save(update_fields=["status_code", "response_body"])
        return response


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record
