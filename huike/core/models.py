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


SHARES_INLINED = 500


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which rows a user may see.

    Models using it declare ``owner_field`` and ``team_field`` (paths to a user and a team) on
    the model, optionally ``region_field`` (a path to a region's ``path``, for territory scope)
    and a ``shared_with(user)`` classmethod (ids shared explicitly, whatever the scope).
    ``visible_to(user)`` is the one gate that views, API, exports, search and jobs use.
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
        region_field: str | None = getattr(model, "region_field", None)
        if scope == "region" and region_field:
            for path in user.territories.values_list("path", flat=True):
                condition |= models.Q(**{f"{region_field}__startswith": path})
        shared_with = getattr(model, "shared_with", None)
        if shared_with is not None:
            # Most users have no shares: then the condition stays "owner = me", which walks the
            # owner index in page order. A few shares are inlined; many stay a subquery.
            shared = shared_with(user)
            ids = list(shared[: SHARES_INLINED + 1])
            if len(ids) > SHARES_INLINED:
                condition |= models.Q(pk__in=shared)
            elif ids:
                condition |= models.Q(pk__in=ids)
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


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a row of an append-only log."""


class AccessLogQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the access log is append-only; expire rows with purge_expired()")

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the access log is append-only")

    def purge_expired(self, before: Any) -> int:
        """Delete rows older than ``before`` (the retention job; never younger than 180 days)."""
        count, _detail = models.QuerySet.delete(self.filter(timestamp__lt=before))
        return count


class AccessLog(models.Model):
    """Who read personal information, when, from where and why: every reveal of a masked value,
    export, API read of sensitive attributes, subject-access export and erasure.

    Append-only (saving an existing row or deleting raises); kept at least 180 days.
    """

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed a masked value")
        READ = "read", _("Read sensitive information")
        EXPORT = "export", _("Exported")
        SUBJECT_ACCESS = "subject_access", _("Subject-access export")
        ERASURE = "erasure", _("Erased")
        RESTRICTION = "restriction", _("Restricted processing")
        BACKUP = "backup", _("Backup")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("object type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    count = models.PositiveIntegerField(_("records"), default=1)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    path = models.CharField(_("address requested"), max_length=300, blank=True)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"])]
        permissions = [("reveal_sensitive", _("Can reveal masked personal information"))]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the access log is append-only")


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
