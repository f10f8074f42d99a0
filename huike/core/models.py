"""Building blocks shared by every Huike app: timestamps, the change log, scoped querysets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from huike.accounts.models import User


class TimeStampedModel(models.Model):
    """Abstract base: when a row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which rows a user may see.

    Models using it declare ``owner_field`` and ``team_field`` (paths to a user and a team) on
    the model. ``visible_to(user)`` is the one gate that views, API, exports and search use.
    """

    def visible_to(self, user: User | Any) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        scope = user.record_scope
        if scope == "all":
            return self
        model = self.model
        owner_field: str | None = getattr(model, "owner_field", None)
        team_field: str | None = getattr(model, "team_field", None)
        condition = models.Q(pk__in=[])
        if owner_field:
            condition |= models.Q(**{owner_field: user.pk})
        if scope == "team" and team_field and user.team_id:
            condition |= models.Q(**{team_field: user.team_id})
        return self.filter(condition)


class ChangeLog(models.Model):
    """One row per change a service made: who, when, what, and the values before and after.

    Written by services (never by signals), so shell, API, UI and jobs are all recorded.
    Append-only: nothing in Huike updates or deletes these rows.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        ACTION = "action", _("Action")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("object type"), on_delete=models.PROTECT
    )
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    message = models.CharField(_("message"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()} {self.object_repr}"


class WorkerHeartbeat(models.Model):
    """The last time a background worker proved it was alive (read by the health check)."""

    name = models.CharField(_("worker"), max_length=100, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The stored answer to an API POST sent with an ``Idempotency-Key`` header.

    A retry with the same key and body gets the same answer instead of a second write; the same
    key with a different body is refused (422).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    response_body = models.JSONField(_("response body"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key")
        ]

    def __str__(self) -> str:
        return self.key
