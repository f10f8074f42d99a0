"""What the intake API keeps about each call, besides the observations it wrote."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Policy(models.TextChoices):
    """What an item does when it matches a customer who already exists."""

    UPDATE = "update", _("Add the values to the existing customer")
    CREATE = "create", _("Always create a new customer")
    SKIP = "skip", _("Leave the existing customer alone")


class Status(models.TextChoices):
    """What became of one item."""

    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    SKIPPED = "skipped", _("Skipped")
    REJECTED = "rejected", _("Rejected")


class IntakeRequest(models.Model):
    """One call of ``POST /api/v1/intake/``: who sent it, when, through which token, and what
    became of its items. Every observation it wrote names it in ``source_ref``
    (``intake <id> #<index>``), so a value on the customer page leads back to its call.

    Holds no personal information: the values themselves are the observations.
    """

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received from"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_by_name = models.CharField(_("received from (name)"), max_length=150)
    token_name = models.CharField(_("API token"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("Idempotency-Key"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    items = models.PositiveIntegerField(_("items"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)

    class Meta:
        verbose_name = _("intake request")
        verbose_name_plural = _("intake requests")
        default_permissions = ("view",)
        permissions = [("submit_intake", _("Can send customers through the intake API"))]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return str(self.id)
