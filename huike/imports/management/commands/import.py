"""``huike import FILE``: import customers from a CSV, TSV, Excel or vCard file, without prompts."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huike.core.commands import TranslatedCommand
from huike.core.exports import neutralise
from huike.imports import engine, services
from huike.imports.models import ImportJob, ImportProblem
from huike.parties.management.commands.party import acting_user


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import customers from a CSV/TSV, Excel (.xlsx, .xls) or vCard file. Columns are mapped "
        "by a preset recognised from the header (Outlook, Google, Salesforce, HubSpot, Odoo, "
        "Zoho, EspoCRM, vCard), by header names in Chinese and English, and by --map. Prints a "
        "summary; --json prints one JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=gettext_lazy("the file to import"))
        parser.add_argument("--preset", default="", help=gettext_lazy("a preset's code"))
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=ATTRIBUTE",
            help=gettext_lazy("map a column to an attribute code (repeatable; '-' ignores it)"),
        )
        parser.add_argument("--encoding", default="", help=gettext_lazy("e.g. gb18030, big5"))
        parser.add_argument(
            "--phone-region",
            default="",
            metavar="CC",
            help=gettext_lazy(
                "country of phone numbers written without a country code, when the row's "
                "address names none, e.g. US or HK (default: PHONE_REGION)"
            ),
        )
        parser.add_argument(
            "--source", default="import", help=gettext_lazy("channel label (default import)")
        )
        parser.add_argument(
            "--consent",
            default="",
            help=gettext_lazy(
                "the consent declared for the file: a purpose's code, optionally followed by "
                "': evidence' (consent-based purposes are written to the consent ledger)"
            ),
        )
        parser.add_argument(
            "--evidence",
            default="",
            help=gettext_lazy("what proves the consent (e.g. where the signed forms are kept)"),
        )
        parser.add_argument(
            "--policy",
            default="update",
            choices=[choice.value for choice in ImportJob.Policy],
            help=gettext_lazy("what to do with rows matching a customer (default update)"),
        )
        parser.add_argument(
            "--kind",
            default="",
            choices=["", "person", "organization"],
            help=gettext_lazy(
                "the kind of customer each row is (default: the preset's, or person)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("report every problem without writing"),
        )
        parser.add_argument(
            "--rejects", default="", help=gettext_lazy("write rejected rows to this CSV file")
        )
        parser.add_argument("--as", dest="as_user", default="", help=gettext_lazy("collector"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print JSON"))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file at {path}.").format(path=path))
        mapping: dict[str, str | None] = {}
        for item in options["map"]:
            column, sep, attribute = item.partition("=")
            if not sep or not column.strip():
                raise CommandError(
                    _("Write each --map as COLUMN=ATTRIBUTE (not '{item}').").format(item=item)
                )
            mapping[column.strip()] = None if attribute.strip() in {"", "-"} else attribute.strip()
        region = options["phone_region"].strip()
        problems = services.check_options(phone_region=region)
        if problems:
            raise CommandError(" ".join(problems["phone_region"]))
        user = acting_user(options["as_user"])
        if not user.has_perm("parties.add_party"):
            raise CommandError(_("User '{name}' may not add customers.").format(name=user))
        job = ImportJob.objects.create(
            created_by=user,
            path=str(path.resolve()),
            original_name=path.name[:255],
            size=path.stat().st_size,
            digest=engine.file_digest(path),
            encoding=options["encoding"],
            phone_region=region.upper(),
            preset=options["preset"],
            mapping=mapping,
            source=options["source"][:30] or "import",
            consent=options["consent"][:200],
            evidence=options["evidence"][:500],
            policy=options["policy"],
            party_kind=options["kind"],
            dry_run=options["dry_run"],
        )

        def progress(current: ImportJob) -> None:
            if not options["json"]:
                sys.stderr.write(f"\r{current.rows_done:,} … {current.progress:.0%}")
                sys.stderr.flush()

        job = engine.run(job, progress=progress)
        if not options["json"]:
            sys.stderr.write("\n")
        if options["rejects"]:
            write_rejects(job, options["rejects"])
        summary = job.summary()
        summary["warnings"] = job.problems.filter(kind=ImportProblem.Kind.WARNING).count()
        if job.error:
            summary["error"] = job.error
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                _(
                    "{status}: {rows} rows — {created} created, {updated} updated, "
                    "{skipped} skipped, {rejected} rejected, {duplicates} duplicates queued."
                ).format(
                    status=job.get_status_display(),
                    rows=job.rows_done,
                    created=job.created,
                    updated=job.updated,
                    skipped=job.skipped,
                    rejected=job.rejected,
                    duplicates=job.duplicates,
                )
            )
            if job.error:
                self.stderr.write(job.error)
        if job.status == ImportJob.Status.FAILED:
            raise SystemExit(1)


def write_rejects(job: ImportJob, target: str) -> None:
    """The rejected rows as they were, plus a column saying why: fix and import again (the
    same file the import page offers; cells the collector may not read in full stay empty)."""
    header, rows, _count = services.rejects(job, user=job.created_by)
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        os.chmod(target, 0o600)
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([neutralise(cell) for cell in row] for row in rows)
