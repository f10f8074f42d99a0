"""The customer record: parties, their attributes as observations, and the golden record.

Every value arrives as an ``Observation`` (who said what, when, from which source, under which
consent). Survivorship rules pick one ``GoldenValue`` per attribute, which points back at the
observation it came from (lineage) and is also copied into ``Party.golden`` for fast lists and
into ``SearchKey`` rows for indexed search. See docs/development/ARCHITECTURE.md §1.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huike.core.models import ScopedQuerySet, TimeStampedModel


class BilingualName(models.Model):
    """Abstract: a name kept in Chinese and English, shown in the reader's language."""

    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language.startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh


class Region(BilingualName):
    """A country (ISO 3166-1) or a Chinese province, city or county (GB/T 2260 code).

    ``path`` lists the codes from the country down (``CN/330000/330100/330106``), so "this
    region and everything inside it" is one indexed prefix query.
    """

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    code = models.CharField(_("code"), max_length=12, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]


class Industry(BilingualName):
    """An industry of the national classification (GB/T 4754-2017): section, division,
    group or class, with ``path`` for "this industry and its sub-industries"."""

    class Level(models.TextChoices):
        SECTION = "section", _("Section")
        DIVISION = "division", _("Division")
        GROUP = "group", _("Group")
        CLASS = "class", _("Class")

    code = models.CharField(_("code"), max_length=8, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=40, db_index=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["path"]


class CustomerNature(BilingualName):
    """What kind of customer a party is to us (wholesaler, retailer, agent…): an editable list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("customer nature")
        verbose_name_plural = _("customer natures")
        ordering = ["order", "code"]

    def get_absolute_url(self) -> str:
        return self.get_edit_url()

    def get_edit_url(self) -> str:
        return reverse("parties:customernature_edit", args=[self.pk])


class Tag(models.Model):
    """A free label on parties (``重点``, ``trade fair 2026``)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartyQuerySet(ScopedQuerySet):
    pass


class Party(TimeStampedModel):
    """A customer or prospect: a person or an organisation, the one shared record of it."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organisation")

    class Stage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        VIP = "vip", _("VIP")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    pinyin = models.CharField(_("pinyin"), max_length=400, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_parties",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parties",
    )
    stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=Stage.choices, default=Stage.PROSPECT
    )
    nature = models.ForeignKey(
        CustomerNature,
        verbose_name=_("customer nature"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="parties")
    first_deal_date = models.DateField(_("first deal"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    golden = models.JSONField(
        _("golden record"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The winning value of each attribute, copied here for fast lists."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    processing_restricted = models.BooleanField(
        _("processing restricted"),
        default=False,
        help_text=_(
            "Kept but not used: no campaigns, exports or jobs (a data-subject request is open)."
        ),
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = PartyQuerySet.as_manager()
    owner_field = "owner"
    team_field = "team"
    region_field = "region__path"

    @classmethod
    def shared_with(cls, user: Any) -> models.QuerySet:
        """Ids of parties shared explicitly with ``user`` or the user's team."""
        condition = models.Q(user=user.pk)
        if user.team_id:
            condition |= models.Q(team=user.team_id)
        return PartyShare.objects.filter(condition).values_list("party_id", flat=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "-id"]),
            # "My customers at this stage" (a salesperson's list is always theirs): the page
            # walks only those rows, however rare the other filters make them.
            models.Index(fields=["owner", "stage", "-id"]),
            models.Index(fields=["team", "-id"]),
            models.Index(fields=["stage", "-id"]),
            models.Index(fields=["region", "-id"]),
            models.Index(fields=["industry", "-id"]),
            models.Index(fields=["name", "id"]),
            models.Index(fields=["-updated_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("parties:party", args=[self.pk])

    def history_value(self, reader: Any, code: str, value: Any) -> tuple[str, str] | None:
        """An attribute value in this customer's change history as ``reader`` may see it."""
        from huike.parties import privacy

        if not hasattr(self, "_history_definitions"):  # one query for the whole history
            self._history_definitions = privacy.definitions_by_code()
        definition = self._history_definitions.get(code)
        if definition is None:
            return code, "" if value is None else str(value)
        if value is None:
            return definition.label, ""
        if str(value).startswith("bi:"):  # a sensitive value's blind index: never shown
            return definition.label, "••••••"
        seen = privacy.shown(reader, definition, value)
        return (definition.label, seen.text) if seen.visible else None


class PartyShare(models.Model):
    """An explicit grant: a user or a whole team may see and work ``party`` beyond their scope."""

    party = models.ForeignKey(
        Party, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="party_shares",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="party_shares",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["user", "party"]), models.Index(fields=["team", "party"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(team__isnull=False),
                name="share_has_user_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} → {self.user or self.team}"


class AttributeDefinition(models.Model):
    """A profile field defined as data: administrators add, group, order, translate and
    retire fields in the UI, without a migration."""

    class DataType(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        LUNAR_DATE = "lunar_date", _("Lunar date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes / no")
        PARTY = "party", _("Link to a customer")
        FILE = "file", _("File")

    class Validator(models.TextChoices):
        NONE = "", _("None")
        PHONE = "phone", _("Phone number")
        EMAIL = "email", _("E-mail address")
        URL = "url", _("Web address")
        USCC = "uscc", _("Unified social credit code")
        RESIDENT_ID = "resident_id", _("Resident ID number")

    class Sensitivity(models.TextChoices):
        PUBLIC = "public", _("Public")
        PERSONAL = "personal", _("Personal")
        SENSITIVE = "sensitive", _("Sensitive (PIPL art. 28)")

    class AppliesTo(models.TextChoices):
        BOTH = "both", _("People and organisations")
        PERSON = "person", _("People")
        ORGANIZATION = "organization", _("Organisations")

    class Survivorship(models.TextChoices):
        MANUAL_WINS = "manual_wins", _("Manual entry wins, then most trusted source")
        SOURCE_TRUST = "source_trust", _("Most trusted source, then most recent")
        MOST_RECENT = "most_recent", _("Most recent")
        MOST_FREQUENT = "most_frequent", _("Most frequent")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    section = models.CharField(_("section"), max_length=40, default="basic")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    data_type = models.CharField(
        _("type"), max_length=15, choices=DataType.choices, default=DataType.TEXT
    )
    validator = models.CharField(
        _("validation"), max_length=15, choices=Validator.choices, blank=True, default=""
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For choice types: [{"value": "a", "zh": "甲", "en": "A"}, …]'),
    )
    applies_to = models.CharField(
        _("applies to"), max_length=12, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    sensitivity = models.CharField(
        _("sensitivity"),
        max_length=10,
        choices=Sensitivity.choices,
        default=Sensitivity.PERSONAL,
    )
    reevaluate_days = models.PositiveIntegerField(
        _("re-evaluate after (days)"),
        null=True,
        blank=True,
        help_text=_("A value older than this is stale; empty: never."),
    )
    survivorship = models.CharField(
        _("survivorship rule"),
        max_length=15,
        choices=Survivorship.choices,
        default=Survivorship.MANUAL_WINS,
    )
    help_zh = models.CharField(_("Chinese help"), max_length=200, blank=True)
    help_en = models.CharField(_("English help"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_system = models.BooleanField(
        _("built in"), default=False, help_text=_("Used by Huike itself; cannot be retired.")
    )

    class Meta:
        verbose_name = _("profile field")
        verbose_name_plural = _("profile fields")
        ordering = ["section", "order", "code"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("parties:attributedefinition", args=[self.pk])

    @property
    def label(self) -> str:
        language = translation.get_language() or settings.LANGUAGE_CODE
        return (
            (self.label_zh or self.label_en)
            if language.startswith("zh")
            else (self.label_en or self.label_zh)
        )

    def choice_label(self, value: Any) -> str:
        zh = (translation.get_language() or "").startswith("zh")
        for choice in self.choices or []:
            if choice.get("value") == value:
                return str(choice.get("zh" if zh else "en") or choice.get("en") or value)
        return str(value)

    def applies(self, kind: str) -> bool:
        return self.applies_to in (self.AppliesTo.BOTH, kind)


def section_label(code: str) -> str:
    """The heading of a profile section in the reader's language."""
    from huike.parties.attributes import SECTIONS

    label = SECTIONS.get(code)
    return gettext(str(label)) if label is not None else code


class Observation(models.Model):
    """One value of one attribute of one party, as a channel reported it.

    Append-only: a correction is a new observation. Erasure (privacy) is the only path that
    removes observations, and it leaves a tombstone in the change log.
    """

    # No index of its own: the (party, attribute, -collected_at) index serves it (imports write
    # millions of observations, and each index costs every one of them).
    party = models.ForeignKey(
        Party,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="observations",
        db_index=False,
    )
    attribute = models.ForeignKey(
        AttributeDefinition,
        verbose_name=_("attribute"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    value = models.JSONField(_("value"))
    value_text = models.CharField(_("value as text"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=30)
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    # A lineage stamp (the name is copied beside it): no database constraint, so that writing
    # an observation does not look up and lock the user's row (on PostgreSQL, a deferred check
    # per observation at commit). Django still sets it to NULL when the user is deleted.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    collector_name = models.CharField(_("collector name"), max_length=150, blank=True)
    collected_at = models.DateTimeField(_("collected at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    consent = models.CharField(_("consent"), max_length=200, blank=True)
    confidence = models.FloatField(_("confidence"), default=1.0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["party", "attribute", "-collected_at"]),
            # Which values came from a file's line, a form's submission, an API call: how an
            # import run again recognises the rows it already wrote.
            models.Index(fields=["source_ref"], name="parties_obs_source_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}: {self.value_text}"


class GoldenValue(models.Model):
    """The value that survived for one attribute of one party, and the observation it came
    from. ``confirmed_at`` is when the value was last observed or confirmed (freshness)."""

    # Golden values are derived from the observations (survivorship rebuilds them), so their
    # references carry no database constraints: each would be checked for every value written
    # (at commit on PostgreSQL), ten per customer an import creates. Deleting a party, an
    # attribute or an observation through Django still deletes them (``on_delete`` is Django's).
    # Without indexes of their own: the unique (party, attribute) and the (attribute,
    # value_text) indexes serve them.
    party = models.ForeignKey(
        Party,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="golden_values",
        db_index=False,
        db_constraint=False,
    )
    attribute = models.ForeignKey(
        AttributeDefinition,
        verbose_name=_("attribute"),
        on_delete=models.CASCADE,
        related_name="golden_values",
        db_index=False,
        db_constraint=False,
    )
    value = models.JSONField(_("value"))
    value_text = models.CharField(_("value as text"), max_length=500, blank=True)
    observation = models.ForeignKey(
        Observation,
        verbose_name=_("from observation"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    stale_at = models.DateTimeField(_("stale from"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("golden value")
        verbose_name_plural = _("golden values")
        constraints = [
            models.UniqueConstraint(fields=["party", "attribute"], name="parties_golden_unique")
        ]
        indexes = [models.Index(fields=["attribute", "value_text"])]

    def __str__(self) -> str:
        return self.value_text


class SearchKey(models.Model):
    """An indexed way to find a party: a name, its pinyin or initials, a phone reversed (so
    "last four digits" is a prefix), an e-mail, a credit code. Rebuilt with the golden record."""

    class Kind(models.TextChoices):
        NAME = "name", _("Name")
        PINYIN = "pinyin", _("Pinyin")
        INITIALS = "initials", _("Pinyin initials")
        PHONE = "phone", _("Phone (reversed digits)")
        EMAIL = "email", _("E-mail")
        CODE = "code", _("Identifier")

    # Derived like the golden values (rebuilt from them): no database constraint.
    party = models.ForeignKey(
        Party,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="search_keys",
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=200)

    class Meta:
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")
        # party last: the search box's prefix ranges on (kind, value) read the matching
        # parties from the index alone, without visiting each key's row.
        indexes = [models.Index(fields=["kind", "value", "party"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Relationship(TimeStampedModel):
    """A tie between two parties: employment, family, referral or between organisations.

    For a person working at an organisation, ``title``, ``department``, ``reports_to`` (an org
    chart) and the stakeholder fields describe their part in the organisation's decisions.
    """

    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", _("Works at")
        SPOUSE = "spouse", _("Spouse of")
        CHILD = "child", _("Child of")
        RELATIVE = "relative", _("Relative of")
        FRIEND = "friend", _("Friend of")
        REFERRED_BY = "referred_by", _("Referred by")
        SUBSIDIARY = "subsidiary", _("Subsidiary of")
        DEALER = "dealer", _("Dealer of")
        SUPPLIER = "supplier", _("Supplier of")

    class StakeholderRole(models.TextChoices):
        NONE = "", _("—")
        DECISION_MAKER = "decision_maker", _("Decision maker")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")
        CHAMPION = "champion", _("Internal champion")
        OPPONENT = "opponent", _("Opponent")

    from_party = models.ForeignKey(
        Party, verbose_name=_("from"), on_delete=models.CASCADE, related_name="relationships_out"
    )
    to_party = models.ForeignKey(
        Party, verbose_name=_("to"), on_delete=models.CASCADE, related_name="relationships_in"
    )
    kind = models.CharField(_("relationship"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    reports_to = models.ForeignKey(
        Party,
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stakeholder_role = models.CharField(
        _("stakeholder role"), max_length=15, choices=StakeholderRole.choices, blank=True
    )
    attitude = models.SmallIntegerField(
        _("attitude toward us"), null=True, blank=True, help_text=_("From -2 (hostile) to 2.")
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"), null=True, blank=True, help_text=_("From 1 (low) to 5 (high).")
    )
    closeness = models.PositiveSmallIntegerField(
        _("closeness to the decision maker"),
        null=True,
        blank=True,
        help_text=_("From 1 (distant) to 5 (close)."),
    )
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        ordering = ["kind", "id"]
        indexes = [
            models.Index(fields=["from_party", "kind"]),
            models.Index(fields=["to_party", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_party} · {self.get_kind_display()} · {self.to_party}"
