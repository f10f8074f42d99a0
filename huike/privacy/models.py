"""Why Huike processes personal information, what each customer agreed to, and the records an
auditor asks for.

- ``Purpose``: one reason for processing (marketing, profiling, sharing…) with its legal basis,
  retention and recipients, and the profile fields collected for it. The registry from which the
  records of processing are generated.
- ``ConsentNotice``: the text a person is shown when asked for consent to one purpose, versioned;
  a version that was used is never changed again (a change is a new version).
- ``ConsentRecord``: the consent ledger. One append-only row per grant or withdrawal, with the
  exact notice text shown, the channel, the evidence and who collected it. The latest row (by
  ``occurred_at``) is the current state.
- ``PartyConsent``: that current state, one row per customer and purpose, rewritten in the same
  transaction as the ledger so lists filter on it with one index.
- ``ImpactAssessment``: a personal-information protection impact assessment (PIPL art. 55, GDPR
  art. 35) for purposes and the sensitive profile fields they use.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from huike.core.models import AppendOnlyError, TimeStampedModel


def in_language(zh: str, en: str) -> str:
    """The Chinese or the English text, whichever the reader's language prefers (or has)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return (zh or en) if language.startswith("zh") else (en or zh)


class LegalBasis(models.TextChoices):
    """Grounds for processing (PIPL art. 13, GDPR art. 6)."""

    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract with the person")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    VITAL_INTERESTS = "vital_interests", _("Protection of life, health or property")
    PUBLIC_INTEREST = "public_interest", _("Public interest or news reporting")
    PUBLICLY_AVAILABLE = "publicly_available", _("Information the person made public")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (GDPR only)")


class Purpose(TimeStampedModel):
    """A reason Huike's users process customers' personal information, as the registry of
    processing states it: what for, on which legal basis, how long, and who receives the data."""

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Used by filters and the API (?consent=marketing); it cannot change later."),
    )
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    requires_separate_consent = models.BooleanField(
        _("needs separate consent"),
        default=False,
        help_text=_(
            "Consent asked for on its own, never bundled with another purpose (PIPL art. 23 and "
            "29: sensitive information, sharing with third parties)."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        default=730,
        help_text=_(
            "How long data collected for this purpose is kept after the relationship ends or "
            "consent is withdrawn."
        ),
    )
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("Who receives the data, inside and outside.")
    )
    attributes = models.ManyToManyField(
        "parties.AttributeDefinition",
        verbose_name=_("profile fields collected"),
        blank=True,
        related_name="purposes",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        default_permissions = ("add", "change", "view")  # retired, never deleted
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("privacy:purpose", args=[self.pk])

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return in_language(self.description_zh, self.description_en)

    @property
    def needs_consent(self) -> bool:
        return self.legal_basis == LegalBasis.CONSENT


class ConsentNotice(models.Model):
    """One version of the text shown when asking for consent to a purpose.

    Once a consent record points at it, it is never changed: a new wording is a new version.
    """

    purpose = models.ForeignKey(
        Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT, related_name="notices"
    )
    version = models.PositiveIntegerField(_("version"))
    text_zh = models.TextField(_("Chinese text"), blank=True)
    text_en = models.TextField(_("English text"), blank=True)
    published_at = models.DateTimeField(
        _("shown from"), default=timezone.now, help_text=_("When people started seeing it.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent notice")
        verbose_name_plural = _("consent notices")
        default_permissions = ("add", "change", "view")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="privacy_notice_version")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("privacy:consentnotice", args=[self.pk])

    @property
    def text(self) -> str:
        return in_language(self.text_zh, self.text_en)

    def text_in(self, language: str) -> str:
        """The text as shown in ``language`` (the other language when that one is empty)."""
        if language.startswith("zh"):
            return self.text_zh or self.text_en
        return self.text_en or self.text_zh


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Channel(models.TextChoices):
    """Where a consent was given or withdrawn."""

    WEB_FORM = "web_form", _("Web form")
    APP = "app", _("Mobile app or mini program")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("Entered by staff")
    IN_STORE = "in_store", _("In store")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PAPER = "paper", _("Signed paper form")


class ConsentRecordQuerySet(models.QuerySet):
    """The ledger is append-only: rows are added, never changed or deleted one by one."""

    def visible_to(self, user: Any) -> ConsentRecordQuerySet:
        """Rows about customers ``user`` may see (the customers' own record scope)."""
        from huike.parties.models import Party

        return self.filter(party__in=Party.objects.visible_to(user).values("pk"))

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the consent ledger is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the consent ledger is append-only")


class ConsentRecord(models.Model):
    """One entry of the consent ledger: a customer granted or withdrew consent to a purpose.

    Keeps the evidence an authority asks for: the exact notice text shown (copied, so a later
    edit cannot change what the person agreed to), the channel, a reference to the proof, who
    collected it and when it happened. Append-only.
    """

    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="consent_records",
    )
    purpose = models.ForeignKey(
        Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT, related_name="records"
    )
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    notice = models.ForeignKey(
        ConsentNotice,
        verbose_name=_("notice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    notice_version = models.PositiveIntegerField(_("notice version"), null=True, blank=True)
    notice_language = models.CharField(_("notice language"), max_length=10, blank=True)
    notice_text = models.TextField(_("notice text shown"), blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("What proves it: form submission number, recording, signed form…"),
    )
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collected_by_name = models.CharField(_("collected by (name)"), max_length=150, blank=True)
    occurred_at = models.DateTimeField(_("given or withdrawn at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        default_permissions = ("add", "view")  # append-only
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["party", "purpose", "-occurred_at", "-id"]),
            models.Index(fields=["purpose", "status", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.party} · {self.purpose} · {self.get_status_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("the consent ledger is append-only")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("privacy:consentrecord", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the consent ledger is append-only")

    @property
    def granted(self) -> bool:
        return self.status == ConsentStatus.GRANTED


class PartyConsent(models.Model):
    """The current consent of one customer to one purpose: the ledger's latest row, kept in
    its own table so "consenting customers" is one indexed lookup at any size."""

    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    purpose = models.ForeignKey(
        Purpose, verbose_name=_("purpose"), on_delete=models.CASCADE, related_name="+"
    )
    granted = models.BooleanField(_("granted"))
    since = models.DateTimeField(_("since"))
    record = models.ForeignKey(
        ConsentRecord, verbose_name=_("ledger entry"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("current consent")
        verbose_name_plural = _("current consents")
        default_permissions = ("view",)  # written only with the ledger
        constraints = [
            models.UniqueConstraint(fields=["party", "purpose"], name="privacy_consent_current")
        ]
        indexes = [models.Index(fields=["purpose", "granted", "party"])]

    def __str__(self) -> str:
        return f"{self.party} · {self.purpose}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ImpactAssessment(TimeStampedModel):
    """A personal-information protection impact assessment: the purposes and sensitive profile
    fields it covers, the risk found, the measures taken and the conclusion. Kept at least
    three years (PIPL art. 56) and reviewed by ``review_due``."""

    title = models.CharField(_("title"), max_length=200)
    purposes = models.ManyToManyField(
        Purpose, verbose_name=_("purposes"), blank=True, related_name="assessments"
    )
    attributes = models.ManyToManyField(
        "parties.AttributeDefinition",
        verbose_name=_("sensitive profile fields"),
        blank=True,
        related_name="impact_assessments",
        limit_choices_to={"sensitivity": "sensitive"},
    )
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )
    measures = models.TextField(_("protective measures"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    assessed_at = models.DateField(_("assessed on"), default=timezone.localdate)
    review_due = models.DateField(_("review due"), null=True, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    document_reference = models.CharField(
        _("document reference"),
        max_length=300,
        blank=True,
        help_text=_("Where the full report is kept (file number, document system link)."),
    )

    class Meta:
        verbose_name = _("impact assessment")
        verbose_name_plural = _("impact assessments")
        default_permissions = ("add", "change", "view")  # kept at least three years
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("privacy:impactassessment", args=[self.pk])

    @property
    def review_overdue(self) -> bool:
        return self.review_due is not None and self.review_due < timezone.localdate()
