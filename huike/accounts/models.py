"""Who uses Huike: users, their teams and roles, and their API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huike.core.models import ScopedQuerySet, TimeStampedModel


class RecordScope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team's records")
    REGION = "region", _("Records in the user's territories")
    ALL = "all", _("All records")


class FieldAccess(models.TextChoices):
    """How a role reads attributes of one sensitivity class (personal or sensitive)."""

    HIDDEN = "hidden", _("Hidden")
    MASKED = "masked", _("Masked")
    REVEAL = "reveal", _("Masked, may reveal (logged)")
    FULL = "full", _("Visible")


ACCESS_ORDER = [FieldAccess.HIDDEN, FieldAccess.MASKED, FieldAccess.REVEAL, FieldAccess.FULL]


class Role(TimeStampedModel):
    """A job in the company (salesperson, auditor…): what its holders may do and see.

    ``permissions`` are Django model permissions; ``record_scope`` says which customers'
    records they reach. Administrators hold every permission.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    record_scope = models.CharField(
        _("record scope"), max_length=10, choices=RecordScope.choices, default=RecordScope.OWN
    )
    is_admin = models.BooleanField(
        _("administrator"), default=False, help_text=_("Holds every permission.")
    )
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="huike_roles"
    )
    applied_defaults = models.JSONField(
        _("default permissions applied"), default=list, blank=True, editable=False
    )
    personal_access = models.CharField(
        _("personal information"),
        max_length=10,
        choices=FieldAccess.choices,
        default=FieldAccess.FULL,
        help_text=_("How holders read personal information such as phones and e-mails."),
    )
    sensitive_access = models.CharField(
        _("sensitive information"),
        max_length=10,
        choices=FieldAccess.choices,
        default=FieldAccess.MASKED,
        help_text=_("How holders read sensitive information such as ID numbers and health."),
    )
    edit_personal = models.BooleanField(_("may edit personal information"), default=True)
    edit_sensitive = models.BooleanField(_("may edit sensitive information"), default=False)
    require_two_factor = models.BooleanField(
        _("two-factor sign-in required"),
        default=False,
        help_text=_("Holders must set up an authenticator app before they can work."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        # Shipped roles keep their English source name and read in the user's language.
        return gettext(self.name) if self.name else self.code

    def get_absolute_url(self) -> str:
        return reverse("accounts:role", args=[self.pk])

    @property
    def description_display(self) -> str:
        return gettext(self.description) if self.description else ""


class Team(TimeStampedModel):
    """A group of users who share customers (a sales team, a service point, a branch)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    objects = ScopedQuerySet.as_manager()
    owner_field = "leader"
    team_field = "pk"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team", args=[self.pk])


class User(AbstractUser):
    """A person who signs in to Huike."""

    role = models.ForeignKey(
        Role,
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The interface language; empty follows the browser."),
    )
    territories = models.ManyToManyField(
        "parties.Region",
        verbose_name=_("territories"),
        blank=True,
        related_name="+",
        help_text=_("Regions whose customers a role with territory scope reaches."),
    )
    # Time-based one-time passwords: the secret is sealed with the encryption keys.
    totp_secret = models.CharField(_("authenticator secret"), max_length=200, blank=True)
    totp_confirmed_at = models.DateTimeField(_("two-factor set up"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user", args=[self.pk])

    @property
    def record_scope(self) -> str:
        """Which customers' records this user reaches (the record-level gate reads this)."""
        if self.is_superuser or (self.role_id and self.role and self.role.is_admin):
            return RecordScope.ALL
        if self.role_id and self.role:
            return self.role.record_scope
        return RecordScope.OWN

    def field_access(self, sensitivity: str) -> str:
        """How this user reads attributes of ``sensitivity`` (public, personal, sensitive)."""
        if sensitivity == "public" or self.is_administrator:
            return FieldAccess.FULL
        if not self.is_active or not self.role_id or self.role is None:
            return FieldAccess.MASKED if sensitivity == "personal" else FieldAccess.HIDDEN
        if sensitivity == "personal":
            return self.role.personal_access
        return self.role.sensitive_access

    def may_edit_field(self, sensitivity: str) -> bool:
        if sensitivity == "public" or self.is_administrator:
            return True
        if not self.role_id or self.role is None:
            return False
        return self.role.edit_personal if sensitivity == "personal" else self.role.edit_sensitive

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or bool(self.role_id and self.role and self.role.is_admin)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(TimeStampedModel):
    """A key for the API. Only its SHA-256 is stored: the key is shown once, when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key() -> str:
        return "hk_" + secrets.token_urlsafe(32)
