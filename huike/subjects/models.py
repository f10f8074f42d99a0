"""Data-subject requests, the suppression list of erased contact points, and retention rules.

A person may ask what Huike holds about them (access, portability), have it corrected, erased or
its processing restricted, or object to it (PIPL arts. 44–47). Each ask is a ``SubjectRequest``
that a data-protection officer works through a queue: identity check, the work, and a dated
answer (fulfilled, or refused with a reason). See docs/subject-requests.md.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

DUE_SOON_DAYS = 3


def due_days() -> int:
    return int(getattr(settings, "DSR_DUE_DAYS", 15))


def limit_days() -> int:
    return int(getattr(settings, "DSR_LIMIT_DAYS", 30))


class SubjectRequestQuerySet(models.QuerySet):
    """Requests a user may see: those about customers the user may see, and the unmatched."""

    def visible_to(self, user: Any) -> SubjectRequestQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.record_scope == "all":
            return self
        from huike.parties.models import Party

        visible = Party.objects.visible_to(user).values("pk")
        return self.filter(models.Q(party__isnull=True) | models.Q(party__in=visible))

    def open(self) -> SubjectRequestQuerySet:
        return self.filter(status__in=SubjectRequest.OPEN_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> SubjectRequestQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def due_soon(self, now: datetime.datetime | None = None) -> SubjectRequestQuerySet:
        """Open and due within the next three days (not yet overdue)."""
        now = now or timezone.now()
        return self.open().filter(
            due_at__gte=now, due_at__lt=now + datetime.timedelta(days=DUE_SOON_DAYS)
        )


class SubjectRequest(models.Model):
    """One request a person made about their own personal information, and how it was handled.

    ``party`` is the customer record the request is about, matched once the person is
    identified; ``requester_name``/``requester_contact`` are what the person gave. The answer is
    due ``DSR_DUE_DAYS`` (15) days after receipt; ``DSR_LIMIT_DAYS`` (30) is the outer limit.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of my information)")
        PORTABILITY = "portability", _("Portability (my information for another service)")
        CORRECTION = "correction", _("Correction")
        ERASURE = "erasure", _("Erasure")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IDENTITY_VERIFIED = "identity_verified", _("Identity verified")
        IN_PROGRESS = "in_progress", _("In progress")
        FULFILLED = "fulfilled", _("Fulfilled")
        REFUSED = "refused", _("Refused")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        IN_PERSON = "in_person", _("In person")
        WEB = "web", _("Web form")
        OTHER = "other", _("Other")

    class IdentityMethod(models.TextChoices):
        DOCUMENT = "document", _("Identity document seen in person")
        CALLBACK = "callback", _("Call back to the phone number on record")
        EMAIL = "email", _("Confirmation from the e-mail address on record")
        SIGNED_LETTER = "signed_letter", _("Signed letter with a copy of an identity document")
        KNOWN_CONTACT = "known_contact", _("Known to the staff member handling the request")
        OTHER = "other", _("Other (describe in the evidence)")

    OPEN_STATUSES = (Status.RECEIVED, Status.IDENTITY_VERIFIED, Status.IN_PROGRESS)
    EXPORT_KINDS = (Kind.ACCESS, Kind.PORTABILITY)

    kind = models.CharField(_("request"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subject_requests",
    )
    requester_name = models.CharField(_("requester's name"), max_length=200)
    requester_contact = models.CharField(
        _("requester's contact"),
        max_length=200,
        blank=True,
        help_text=_("How to answer: the phone number, e-mail or address the person gave."),
    )
    channel = models.CharField(
        _("received by"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    description = models.TextField(
        _("what the person asks"),
        blank=True,
        help_text=_("In the person's words: which information, what to change, why."),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    identity_method = models.CharField(
        _("identity checked by"), max_length=15, choices=IdentityMethod.choices, blank=True
    )
    identity_evidence = models.TextField(
        _("identity evidence"),
        blank=True,
        help_text=_(
            "What was checked, e.g. “ID card seen at the Hangzhou office, last 4 digits 123X”. "
            "Do not copy whole ID numbers here."
        ),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("identity verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    result_file = models.CharField(
        _("result file"),
        max_length=300,
        blank=True,
        editable=False,
        help_text=_("The export given to the person, relative to the private files folder."),
    )
    result_created_at = models.DateTimeField(_("result made"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"])]
        permissions = [
            ("erase_party", _("Can erase a customer's personal information")),
            ("export_subject", _("Can export everything held about a person")),
        ]

    def __str__(self) -> str:
        # No name here: this text is copied into the change log, which outlives an erasure.
        return gettext("Request #{number}").format(number=self.pk or "—")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.due_at is None:
            self.due_at = (self.received_at or timezone.now()) + datetime.timedelta(days=due_days())
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("subjects:subjectrequest", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def is_due_soon(self) -> bool:
        if not self.is_open or self.due_at is None or self.is_overdue:
            return False
        return self.due_at < timezone.now() + datetime.timedelta(days=DUE_SOON_DAYS)

    @property
    def limit_at(self) -> datetime.datetime:
        """The outer limit (received + ``DSR_LIMIT_DAYS``): never answer later than this."""
        return self.received_at + datetime.timedelta(days=limit_days())

    @property
    def identity_verified(self) -> bool:
        return self.verified_at is not None


class SuppressionEntry(models.Model):
    """A contact point of an erased person that must not silently come back.

    Only a keyed digest is stored (``blind_index`` of the normalised value): the list can say
    "this phone number belongs to someone who asked to be erased" without holding the number.
    A released entry (the person came back and asked to be recorded again) stays as history.
    """

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        ID = "id", _("Identity document number")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request = models.ForeignKey(
        SubjectRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suppressions",
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    release_reason = models.CharField(_("reason for release"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("suppressed contact")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "digest"],
                condition=models.Q(released_at__isnull=True),
                name="subjects_suppression_live_unique",
            )
        ]
        indexes = [models.Index(fields=["digest", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.digest[3:11]}…"


class RetentionRule(models.Model):
    """Keep personal information only as long as a purpose needs it.

    Customers in ``stages`` (all if empty) with no activity for ``inactivity_days`` and no live
    consent for ``purpose`` (a purpose code of the consent ledger; empty: any consent keeps
    them) are anonymised or purged by the daily retention job.
    """

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise (keep the record, remove the person)")
        PURGE = "purge", _("Purge (delete the record)")

    name = models.CharField(_("name"), max_length=100)
    purpose = models.SlugField(
        _("purpose code"),
        max_length=60,
        blank=True,
        help_text=_(
            "A live consent for this purpose keeps the customer; empty: a live consent for any "
            "purpose does."
        ),
    )
    stages = models.JSONField(
        _("lifecycle stages"),
        default=list,
        blank=True,
        help_text=_("Only customers at these stages; empty: every stage."),
    )
    inactivity_days = models.PositiveIntegerField(
        _("after days without activity"),
        help_text=_("Counted from the last change, interaction or order."),
    )
    action = models.CharField(
        _("then"), max_length=10, choices=Action.choices, default=Action.ANONYMISE
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_run_count = models.PositiveIntegerField(_("customers last run"), default=0, editable=False)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("subjects:retentionrule_edit", args=[self.pk])
