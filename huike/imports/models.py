"""Import jobs: one file read into customers and observations, batch by batch, resumable."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huike.core import crypto
from huike.core.models import ScopedQuerySet


class ImportJobQuerySet(ScopedQuerySet):
    """Jobs a user may see: the ones they started, or all of them when their role's record
    scope is "all" (``owner_field``; there is no team or region scope for jobs)."""


class ImportJob(models.Model):
    """One file being imported: what it is, how its columns map, and how far it got.

    Rows are committed in batches; ``checkpoint`` is the last line of the last committed batch,
    written in the same transaction, so a crash or restart resumes after it and never writes a
    row twice. Every observation names the file's digest and line in ``source_ref``, so importing
    the same file again recognises the rows it already holds.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Policy(models.TextChoices):
        UPDATE = "update", _("Add to matching customers, create the others")
        CREATE = "create", _("Create a customer for every row")
        SKIP = "skip", _("Skip rows that match a customer")
        REVIEW = "review", _("Queue rows that match a customer for review")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collected by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    path = models.CharField(_("stored file"), max_length=500)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size"), default=0)
    digest = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    kind = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    phone_region = models.CharField(
        _("country of phone numbers"),
        max_length=2,
        blank=True,
        help_text=_(
            "Numbers written without a country code are this country's, unless the row's "
            "address names another. Empty: the installation's (PHONE_REGION)."
        ),
    )
    preset = models.CharField(_("preset"), max_length=40, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    party_kind = models.CharField(
        _("kind of customer"),
        max_length=12,
        choices=[("person", _("Person")), ("organization", _("Organisation"))],
        blank=True,
        help_text=_("Empty: the preset's kind, else person."),
    )
    source = models.CharField(_("source"), max_length=30, default="import")
    consent = models.CharField(_("consent"), max_length=200, blank=True)
    policy = models.CharField(
        _("policy"), max_length=10, choices=Policy.choices, default=Policy.UPDATE
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    progress = models.FloatField(_("progress"), default=0.0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    checkpoint = models.PositiveIntegerField(_("last committed line"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates queued"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    evidence = models.CharField(_("consent evidence"), max_length=500, blank=True)
    header = models.JSONField(_("header row"), default=list, blank=True)
    queued_at = models.DateTimeField(
        _("queued"),
        null=True,
        blank=True,
        help_text=_("Empty while the columns are still being mapped on the import page."),
    )
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()
    owner_field = "created_by"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A cancel asked for meanwhile (by the page or the API, in another process) is never
        # undone by the worker saving its older copy of the job.
        update_fields = kwargs.get("update_fields")
        if (
            self.pk
            and not self.cancel_requested
            and (update_fields is None or "cancel_requested" in update_fields)
        ):
            self.cancel_requested = ImportJob.objects.filter(
                pk=self.pk, cancel_requested=True
            ).exists()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("imports:importjob", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def is_draft(self) -> bool:
        """Uploaded, columns not yet confirmed (the mapping step of the import page)."""
        return self.status == self.Status.PENDING and self.queued_at is None

    def summary(self) -> dict[str, int | str | bool]:
        return {
            "job": self.pk,
            "status": self.status,
            "file": self.original_name,
            "format": self.kind,
            "encoding": self.encoding,
            "phone_region": self.phone_region,
            "preset": self.preset,
            "dry_run": self.dry_run,
            "rows": self.rows_done,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
        }


# The associated data rows of import problems are sealed with (see ``ImportProblem.pairs``).
PROBLEM_CONTEXT = "imports.problem"


class ImportProblem(models.Model):
    """A row that was not imported as it was: rejected with its reasons, or queued for review
    because it matches an existing customer. Downloadable, to fix and import again.

    The row may hold ID numbers and contact details, so ``data`` keeps it sealed
    (``{"sealed": …}``, AES-GCM like sensitive values) until retention deletes it; read it
    through :attr:`pairs`. The reasons may quote a rejected value (“12345” is not a valid
    phone), so ``errors`` is sealed the same way; read them through :attr:`reasons`. Rows
    stored before sealing (a plain list, a plain object) still read."""

    class Kind(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        REVIEW = "review", _("Matches a customer")
        WARNING = "warning", _("Imported without some values")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    line = models.PositiveIntegerField(_("line"))
    data = models.JSONField(_("row"), default=list, help_text=_("[column, value] pairs, in order."))
    errors = models.JSONField(_("problems"), default=dict)
    party = models.ForeignKey(
        "parties.Party", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="imports_problem_job_line")
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.line}"

    @staticmethod
    def seal(pairs: list[list[str]] | list[tuple[str, str]]) -> dict[str, str]:
        """What ``data`` stores for a row's ``[column, value]`` pairs."""
        text = json.dumps([[str(c), str(v)] for c, v in pairs], ensure_ascii=False)
        return {"sealed": crypto.seal(text, PROBLEM_CONTEXT)}

    @staticmethod
    def seal_errors(errors: dict[str, list[str]]) -> dict[str, str]:
        """What ``errors`` stores for ``{field or column: [messages]}``."""
        text = json.dumps(
            {str(name): [str(m) for m in messages] for name, messages in errors.items()},
            ensure_ascii=False,
        )
        return {"sealed": crypto.seal(text, PROBLEM_CONTEXT)}

    @property
    def reasons(self) -> dict[str, list[str]]:
        """Why the row was not imported as it was: ``{field or column: [messages]}``
        (``"__all__"`` for the whole row); empty if it cannot be opened."""
        errors: Any = self.errors or {}
        sealed = errors.get("sealed") if isinstance(errors, dict) else None
        if isinstance(sealed, str):
            try:
                errors = json.loads(crypto.unseal(sealed, PROBLEM_CONTEXT))
            except (crypto.TamperedValue, ValueError):
                return {}
        if not isinstance(errors, dict):
            return {}
        return {str(name): [str(m) for m in messages] for name, messages in errors.items()}

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The row as it was, ``(column, value)`` in file order; empty if it cannot be opened
        (a key missing from the key file, or a tampered value)."""
        data: Any = self.data
        if isinstance(data, dict):
            try:
                data = json.loads(crypto.unseal(str(data.get("sealed", "")), PROBLEM_CONTEXT))
            except (crypto.TamperedValue, ValueError):
                return []
        return [(str(column), str(value)) for column, value in data or []]


class ImportMapping(models.Model):
    """How the columns of one kind of file were mapped last time, per source: the import page
    offers it again when a file with the same header comes from the same source.

    ``signature`` is the SHA-256 of the header row normalised (NFKC, case-folded, spaces
    collapsed, in order); ``mapping`` is ``{column: spec or None}`` with specs as the engine
    reads them (``"mobile:phone"``: attribute and transform; ``None``: ignored).
    """

    source = models.CharField(_("source"), max_length=30)
    signature = models.CharField(_("header signature"), max_length=64)
    header = models.JSONField(_("header row"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict)
    preset = models.CharField(_("preset"), max_length=40, blank=True)
    party_kind = models.CharField(_("kind of customer"), max_length=12, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("remembered column mapping")
        verbose_name_plural = _("remembered column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "signature"], name="imports_mapping_source_signature"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.signature[:12]}"
