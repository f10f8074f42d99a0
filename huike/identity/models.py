"""Identity resolution: likely duplicates, the jobs that look for them, merges and unmerges.

``MatchCandidate`` is the review queue: one row per pair of customers that scored at least the
"maybe" threshold, kept after review so that "not a duplicate" is never proposed again.
``Merge`` records everything a merge moved, so ``identity.services.unmerge`` can put it back.
See docs/identity.md and docs/development/ARCHITECTURE.md §1.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huike.core.models import ScopedQuerySet


class Decision(models.TextChoices):
    SAME = "same", _("Same customer")
    MAYBE = "maybe", _("Maybe the same")
    DIFFERENT = "different", _("Different customers")


class DedupeJobQuerySet(ScopedQuerySet):
    """Jobs a user may see: the ones they started, or all with the record scope "all"."""


class DedupeJob(models.Model):
    """One search for duplicates over the whole base or a segment, run in the worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    segment = models.CharField(
        _("segment"),
        max_length=500,
        blank=True,
        help_text=_("The customer list's filters (a query string); empty: every customer."),
    )
    auto_merge = models.BooleanField(
        _("merge automatically"),
        default=False,
        help_text=_("Merge pairs at or above the automatic-merge threshold without review."),
    )
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("customers compared"), default=0)
    pairs = models.PositiveIntegerField(_("pairs compared"), default=0)
    found = models.PositiveIntegerField(_("likely duplicates"), default=0)
    merged = models.PositiveIntegerField(_("merged automatically"), default=0)
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = DedupeJobQuerySet.as_manager()
    owner_field = "created_by"

    class Meta:
        verbose_name = _("duplicate search")
        verbose_name_plural = _("duplicate searches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("identity:dedupejob", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


class MatchCandidate(models.Model):
    """A pair of customers that may be one: ``party_a`` has the lower id.

    Reviewed pairs stay (``status``): a pair marked "not a duplicate" is never proposed again.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")

    class FoundBy(models.TextChoices):
        ENTRY = "entry", _("Check at entry")
        IMPORT = "import", _("Import")
        JOB = "job", _("Duplicate search")
        MANUAL = "manual", _("Reported by a user")

    party_a = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    party_b = models.ForeignKey(
        "parties.Party",
        verbose_name=_("possible duplicate"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    score = models.FloatField(_("confidence"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN
    )
    found_by = models.CharField(_("found by"), max_length=10, choices=FoundBy.choices)
    job = models.ForeignKey(
        DedupeJob,
        verbose_name=_("duplicate search"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="candidates",
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["party_a", "party_b"], name="identity_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(party_a__lt=models.F("party_b")), name="identity_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-score"]),
            models.Index(fields=["party_b"]),
        ]
        permissions = [("merge_parties", _("Can merge and unmerge customers"))]

    def __str__(self) -> str:
        return f"{self.party_a_id} ~ {self.party_b_id}"

    def get_absolute_url(self) -> str:
        return reverse("identity:candidate", args=[self.pk])


class Merge(models.Model):
    """One merge: ``merged_id`` (deleted) went into ``survivor``.

    ``moved`` lists every row the merge relinked, as ``{"app.model.field": [ids…]}``;
    ``snapshot`` keeps the merged party's own fields, tags and the rows that could not move (a
    relationship between the two, which would point at itself), so unmerge recreates the party
    with the same id and puts everything back.
    """

    survivor = models.ForeignKey(
        "parties.Party",
        verbose_name=_("surviving customer"),
        on_delete=models.CASCADE,
        related_name="merges",
    )
    merged_id = models.PositiveBigIntegerField(_("merged customer id"), db_index=True)
    merged_name = models.CharField(_("merged customer"), max_length=200)
    snapshot = models.JSONField(_("merged customer as it was"), default=dict)
    moved = models.JSONField(_("rows moved"), default=dict)
    choices = models.JSONField(_("values chosen"), default=dict, blank=True)
    candidate = models.ForeignKey(
        MatchCandidate,
        verbose_name=_("possible duplicate"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merges",
    )
    score = models.FloatField(_("confidence"), null=True, blank=True)
    automatic = models.BooleanField(_("automatic"), default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True, db_index=True)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unmerged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unmerged_at = models.DateTimeField(_("unmerged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor_id}"

    def get_absolute_url(self) -> str:
        return reverse("identity:merge", args=[self.pk])

    @property
    def undone(self) -> bool:
        return self.unmerged_at is not None

    def moved_count(self) -> int:
        return sum(len(ids) for ids in (self.moved or {}).values())

    def describe(self) -> dict[str, Any]:
        return {"survivor": self.survivor_id, "merged": self.merged_id, "rows": self.moved_count()}
