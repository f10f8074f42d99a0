"""Public web forms: what a form asks, which consents it collects, and what visitors sent.

- ``WebForm``: one form with a public address (``/f/<slug>/``), its texts in Chinese and
  English, the kind of customer it creates, and its abuse protection and double opt-in settings.
- ``WebFormField``: one profile field the form asks for, with its label and help text.
- ``WebFormConsent``: one consent checkbox, for one purpose, showing the text of a notice.
- ``Submission``: what one visitor sent: the values (sealed when sensitive), the exact consent
  texts shown and whether each was ticked, the language, a keyed hash of the address (never the
  address itself) and what became of it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huike.parties.models import AttributeDefinition, Party
from huike.privacy.models import ConsentNotice, Purpose


def in_language(zh: str, en: str, language: str | None = None) -> str:
    """The Chinese or the English text for ``language`` (default: the active one), falling
    back to the other when one is empty."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return (zh or en) if language.startswith("zh") else (en or zh)


class WebForm(models.Model):
    """A form that anyone may fill in on the web: each submission becomes observations on a
    customer (new or matched), with ``form:<slug>`` as their source, and consent records."""

    slug = models.SlugField(
        _("address"),
        max_length=50,
        unique=True,
        help_text=_("The last part of the public address, after /f/. Letters, digits, - and _."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("For staff; not shown."))
    title_zh = models.CharField(_("Chinese title"), max_length=200, blank=True)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    intro_zh = models.TextField(_("Chinese introduction"), blank=True)
    intro_en = models.TextField(_("English introduction"), blank=True)
    thank_you_zh = models.TextField(_("Chinese thank-you text"), blank=True)
    thank_you_en = models.TextField(_("English thank-you text"), blank=True)
    redirect_url = models.URLField(
        _("redirect after sending"),
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Instead of the thank-you text, go to this http or https address."),
    )
    party_kind = models.CharField(
        _("creates"), max_length=12, choices=Party.Kind.choices, default=Party.Kind.PERSON
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive form is not found at its address.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new customers"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New customers from this form belong to this user and their team."),
    )
    allowed_origins = models.TextField(
        _("sites that may embed it"),
        blank=True,
        help_text=_(
            "One origin per line, such as https://www.example.com. Empty: only pages of this "
            "site may show the form in a frame."
        ),
    )
    challenge = models.BooleanField(
        _("ask a question"),
        default=False,
        help_text=_("A small arithmetic question that automated senders cannot answer blindly."),
    )
    double_opt_in = models.BooleanField(
        _("confirm by e-mail"),
        default=False,
        help_text=_(
            "Nothing is recorded until the person opens the link e-mailed to the address they "
            "entered."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webforms:webform", args=[self.pk])

    def public_path(self) -> str:
        return reverse("public_form:page", args=[self.slug])

    def embed_path(self) -> str:
        return reverse("public_form:embed", args=[self.slug])

    @property
    def source(self) -> str:
        """What observations from this form carry as their source."""
        return f"form:{self.slug}"[:30]

    def title_in(self, language: str | None = None) -> str:
        return in_language(self.title_zh, self.title_en, language) or self.name

    def intro_in(self, language: str | None = None) -> str:
        return in_language(self.intro_zh, self.intro_en, language)

    def thank_you_in(self, language: str | None = None) -> str:
        return in_language(self.thank_you_zh, self.thank_you_en, language)

    def origins(self) -> list[str]:
        return [line.strip() for line in self.allowed_origins.splitlines() if line.strip()]


class WebFormField(models.Model):
    """One profile field a form asks for, in the form's order."""

    form = models.ForeignKey(
        WebForm, verbose_name=_("form"), on_delete=models.CASCADE, related_name="fields"
    )
    attribute = models.ForeignKey(
        AttributeDefinition,
        verbose_name=_("profile field"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    label_zh = models.CharField(
        _("Chinese label"), max_length=200, blank=True, help_text=_("Empty: the field's own.")
    )
    label_en = models.CharField(
        _("English label"), max_length=200, blank=True, help_text=_("Empty: the field's own.")
    )
    help_zh = models.CharField(_("Chinese help"), max_length=300, blank=True)
    help_en = models.CharField(_("English help"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        default_permissions = ()  # edited with the form
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "attribute"], name="webforms_field_once")
        ]

    def __str__(self) -> str:
        return self.label_in()

    def label_in(self, language: str | None = None) -> str:
        """The form's own label in ``language``, else the profile field's label."""
        zh = (language or translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")
        own = self.label_zh if zh else self.label_en
        return own or in_language(self.attribute.label_zh, self.attribute.label_en, language)

    def help_in(self, language: str | None = None) -> str:
        """The form's own help text (the profile field's help speaks to staff, not visitors)."""
        return in_language(self.help_zh, self.help_en, language)


class WebFormConsent(models.Model):
    """One consent checkbox: the purpose, and the notice whose text the box shows (the latest
    published version when none is chosen)."""

    form = models.ForeignKey(
        WebForm, verbose_name=_("form"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.ForeignKey(
        Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT, related_name="+"
    )
    notice = models.ForeignKey(
        ConsentNotice,
        verbose_name=_("notice shown"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the latest published version of the purpose's notice."),
    )
    required = models.BooleanField(
        _("required"), default=False, help_text=_("The form cannot be sent without this consent.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("form consent")
        verbose_name_plural = _("form consents")
        default_permissions = ()  # edited with the form
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "purpose"], name="webforms_consent_once")
        ]

    def __str__(self) -> str:
        return str(self.purpose)

    @property
    def field_name(self) -> str:
        return f"consent_{self.purpose.code}"

    def notice_shown(self, when: Any = None) -> ConsentNotice | None:
        """The notice visitors see now: the chosen one, else the latest one published."""
        if self.notice_id is not None:
            return self.notice
        return (
            ConsentNotice.objects.filter(
                purpose=self.purpose_id, published_at__lte=when or timezone.now()
            )
            .order_by("-version")
            .first()
        )


class SubmissionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> SubmissionQuerySet:
        """Submissions about customers ``user`` may see; submissions not (yet) linked to a
        customer only for a role that sees every customer."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.record_scope == "all":
            return self
        return self.filter(party__in=Party.objects.visible_to(user).values("pk"))


class Submission(models.Model):
    """What one visitor sent through a form, as it was sent (values checked, sensitive ones
    sealed), with the consent texts shown: the evidence behind the observations and consent
    records it became."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PENDING = "pending_confirmation", _("Waiting for e-mail confirmation")
        CONFIRMED = "confirmed", _("Confirmed by e-mail")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Not confirmed in time")

    form = models.ForeignKey(
        WebForm, verbose_name=_("form"), on_delete=models.PROTECT, related_name="submissions"
    )
    party = models.ForeignKey(
        Party,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_form_submissions",
    )
    data = models.JSONField(_("values sent"), default=dict, blank=True)
    consents = models.JSONField(_("consents shown"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    ip_hash = models.CharField(_("address (keyed hash)"), max_length=64, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    confirm_token_hash = models.CharField(
        _("confirmation token (hash)"), max_length=64, blank=True, db_index=True
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        default_permissions = ("view",)  # written only by the public form
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["form", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return gettext("Submission #{number}").format(number=self.pk)

    def get_absolute_url(self) -> str:
        return reverse("webforms:submission", args=[self.pk])

    @property
    def granted(self) -> list[str]:
        """The purposes whose box was ticked, by code."""
        return [code for code, shown in self.consents.items() if shown.get("checked")]
