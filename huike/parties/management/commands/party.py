"""``huike party``: show, find and export customers from the command line.

Every subcommand acts as one user (``--as USERNAME``, by default the first active
administrator) and sees exactly the customers ``Party.objects.visible_to(user)`` lets that user
see, as the web pages and the API do. ``find`` is the search box; ``export`` filters with the
list page's ``PartyFilterSet`` and streams rows in chunks, so memory stays flat.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework.fields import DateTimeField

from huike.accounts.models import User
from huike.core.commands import TranslatedCommand
from huike.core.exports import neutralise, xlsx_bytes
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.parties import privacy, selectors
from huike.parties.api.serializers import PartySerializer
from huike.parties.attributes import SECTIONS
from huike.parties.filters import PartyFilterSet
from huike.parties.models import AttributeDefinition, GoldenValue, Party

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx", "json")
PARTY_COLUMNS = ("id", "kind", "name", "pinyin", "stage", "owner", "region", "industry", "tags")
RELATED = ("owner", "team", "nature", "region", "industry")
SECTION_ORDER = {code: index for index, code in enumerate(SECTIONS)}
EMPTY = "—"


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Show, find and export customers. Each subcommand acts as one user (--as) and sees only "
        "the customers that user may see."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{show,find,export}")
        show = actions.add_parser(
            "show",
            help=gettext_lazy("one customer with every value and where it came from"),
            description=gettext_lazy(
                "Print one customer: its own fields, then every value of its profile with the "
                "source, the person who collected it and the date."
            ),
        )
        show.add_argument(
            "party",
            metavar="ID|EXTERNAL_ID",
            help=gettext_lazy("the customer's number, or its external id (another system's)"),
        )
        self._add_as(show)
        self._add_json(show, gettext_lazy("print the API's JSON representation plus 'sources'"))

        find = actions.add_parser(
            "find",
            help=gettext_lazy("search customers as the search box does"),
            description=gettext_lazy(
                "Search by name, pinyin or initials, the last digits of a phone number, e-mail "
                "or credit code. Prints one line per customer: id, name, pinyin, phone or "
                "e-mail, separated by tabs."
            ),
        )
        find.add_argument("query", help=gettext_lazy("what you would type into the search box"))
        find.add_argument(
            "--limit",
            type=int,
            default=20,
            metavar="N",
            help=gettext_lazy("at most N customers (default 20)"),
        )
        self._add_as(find)
        self._add_json(find, gettext_lazy("print one JSON object per line (as the API does)"))

        export = actions.add_parser(
            "export",
            help=gettext_lazy("every customer you may see, filtered, as CSV, Excel or JSON lines"),
            description=gettext_lazy(
                "Export the customers the user may see, filtered as on the customer list."
            ),
        )
        export.add_argument(
            "--format",
            default="csv",
            metavar="csv|xlsx|json",
            help=gettext_lazy("csv (default), xlsx or json (one object per line)"),
        )
        export.add_argument(
            "--output",
            default="-",
            metavar="FILE",
            help=gettext_lazy("the file to write; - (default) is standard output"),
        )
        export.add_argument(
            "--filter",
            action="append",
            default=[],
            dest="filters",
            metavar="KEY=VALUE",
            help=gettext_lazy(
                "a filter of the customer list, repeatable: q, kind, stage, owner, team, nature, "
                "region, industry, tag, stale, attr.<code>"
            ),
        )
        self._add_as(export)

    @staticmethod
    def _add_as(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            metavar="USERNAME",
            help=gettext_lazy("act as this user (default: the first active administrator)"),
        )

    @staticmethod
    def _add_json(parser: argparse.ArgumentParser, help_text: Any) -> None:
        parser.add_argument("--json", action="store_true", help=help_text)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # TranslatedCommand resolves the lazy help of the top-level parser; the subcommands'
        # parsers need the same, or argparse formats a lazy object.
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            for choice in action._choices_actions:
                choice.help = None if choice.help is None else str(choice.help)
            for subparser in action.choices.values():
                if subparser.description is not None:
                    subparser.description = str(subparser.description)
                for sub_action in subparser._actions:
                    if sub_action.help is not None:
                        sub_action.help = str(sub_action.help)
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["as_user"])
        handlers: dict[str, Callable[[User, dict[str, Any]], None]] = {
            "show": self.show,
            "find": self.find,
            "export": self.export,
        }
        try:
            handlers[options["action"]](user, options)
        except BrokenPipeError:
            # The reader stopped reading (``huike party export | head``): stop quietly, as
            # Unix tools do, instead of printing a traceback.
            if options.get("stdout") is None:
                discard_standard_output()
            sys.exit(1)

    # --- show ----------------------------------------------------------------------------------

    def show(self, user: User, options: dict[str, Any]) -> None:
        party = selectors.party_for_360(user, find_party(user, options["party"]))
        golden = sorted(party.golden_values.all(), key=lambda g: attribute_order(g.attribute))
        if options["json"]:
            data = dict(PartySerializer(party, context={"reader": user}).data)
            data["sources"] = {g.attribute.code: source_of(g) for g in golden}
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))
            return
        fields = [
            (_("ID"), str(party.pk)),
            (_("Kind"), party.get_kind_display()),
            (_("Name"), party.name),
            (_("Pinyin"), party.pinyin or EMPTY),
            (_("Stage"), party.get_stage_display()),
            (_("Owner"), party.owner.username if party.owner else EMPTY),
            (_("Region"), coded(party.region)),
            (_("Industry"), coded(party.industry)),
            (_("Tags"), ", ".join(tag.name for tag in party.tags.all()) or EMPTY),
        ]
        for line in columns([[label, value] for label, value in fields]):
            self.stdout.write(line)
        if not golden:
            return
        header = [_("Attribute"), _("Value"), _("Source"), _("Collected by"), _("Date")]
        rows = []
        golden = [g for g in golden if privacy.shown(user, g.attribute, g.value).visible]
        for value in golden:
            observation = value.observation
            source = observation.source
            if observation.source_ref:
                source = f"{source} ({observation.source_ref})"
            rows.append(
                [
                    value.attribute.label,
                    privacy.shown(user, value.attribute, value.value).text or EMPTY,
                    source,
                    observation.collector_name or EMPTY,
                    timezone.localtime(observation.collected_at).date().isoformat(),
                ]
            )
        self.stdout.write("")
        for line in columns([header, *rows]):
            self.stdout.write(line)

    # --- find ----------------------------------------------------------------------------------

    def find(self, user: User, options: dict[str, Any]) -> None:
        limit = options["limit"]
        if limit < 1:
            raise CommandError(_("--limit must be at least 1."))
        parties = (
            selectors.search_parties(user, options["query"])
            .select_related(*RELATED)
            .prefetch_related("tags")
            .order_by("name", "pk")[:limit]
        )
        for party in parties:
            if options["json"]:
                self.stdout.write(as_json(party, user))
            else:
                cells = [str(party.pk), party.name, party.pinyin, contact(party, user)]
                self.stdout.write("\t".join(printable(cell) for cell in cells))

    # --- export --------------------------------------------------------------------------------

    def export(self, user: User, options: dict[str, Any]) -> None:
        kind = options["format"].strip().lower()
        if kind not in FORMATS:
            raise CommandError(
                _("Unknown format '{format}'. Choose csv, xlsx or json.").format(
                    format=options["format"]
                )
            )
        filtered = filtered_parties(user, options["filters"])
        parties = (
            filtered.select_related(*RELATED)
            .prefetch_related("tags")
            .order_by("pk")
            .iterator(chunk_size=CHUNK_SIZE)
        )
        path = options["output"]
        counted = Counted(parties)
        if kind == "xlsx":
            header, rows = table(filtered, counted, user)
            with self.binary_output(path) as stream:
                stream.write(xlsx_bytes(header, rows, title=_("Customers")))
        else:
            with self.text_output(path) as stream:
                if kind == "csv":
                    write_csv(stream, *table(filtered, counted, user))
                else:
                    for party in counted:
                        stream.write(as_json(party, user) + "\n")
        log_access(
            actor=user,
            action=AccessLog.Action.EXPORT,
            count=counted.count,
            reason=f"huike party export --format {kind}",
            channel="cli",
        )
        if path != "-":
            self.stderr.write(
                ngettext(
                    "Wrote {count} customer to {path}.",
                    "Wrote {count} customers to {path}.",
                    counted.count,
                ).format(count=counted.count, path=path)
            )

    @contextlib.contextmanager
    def text_output(self, path: str) -> Iterator[IO[str] | _Unended]:
        if path == "-":
            yield _Unended(self.stdout)
            return
        with open_output(path, "w", encoding="utf-8", newline="") as stream:
            yield stream

    @contextlib.contextmanager
    def binary_output(self, path: str) -> Iterator[IO[bytes]]:
        if path != "-":
            with open_output(path, "wb") as stream:
                yield stream
            return
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is None or self.stdout.isatty():
            raise CommandError(
                _("An Excel file is binary: write it with --output FILE or redirect the output.")
            )
        yield buffer
        buffer.flush()


# --- helpers (module level, so tests and other commands can use them) --------------------------


class _Unended:
    """Standard output for csv.writer: OutputWrapper would add a newline to every write."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")


class Counted:
    """Iterates over ``items`` once, counting them."""

    def __init__(self, items: Iterable[Party]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[Party]:
        for item in self.items:
            self.count += 1
            yield item


def discard_standard_output() -> None:
    """Point standard output at /dev/null, so that Python's final flush of what could not be
    written to a closed pipe does not fail again (see the ``signal`` module's documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def open_output(path: str, mode: str, **kwargs: Any) -> IO[Any]:
    try:
        return open(path, mode, **kwargs)  # closed by the caller's with
    except OSError as error:
        raise CommandError(
            _("Cannot write {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None


def acting_user(username: str) -> User:
    """The user named by ``--as``, or the first active administrator; it must see customers."""
    if username:
        user = User.objects.select_related("role").filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named '{name}'.").format(name=username))
        if not user.is_active:
            raise CommandError(_("User '{name}' is disabled.").format(name=username))
    else:
        user = (
            User.objects.select_related("role")
            .filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(role__is_admin=True))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(_("There is no active administrator; name a user with --as."))
    if not user.has_perm("parties.view_party"):
        raise CommandError(_("User '{name}' may not see customers.").format(name=user.username))
    return user


def find_party(user: User, reference: str) -> int:
    """The id of the customer ``reference`` names for ``user``: its id, else its external id."""
    reference = reference.strip()
    visible = Party.objects.visible_to(user)
    if reference.isascii() and reference.isdigit() and len(reference) <= 18:
        if visible.filter(pk=int(reference)).exists():
            return int(reference)
    by_external_id = GoldenValue.objects.filter(
        attribute__code="external_id", value_text=reference
    ).values("party_id")
    ids = list(visible.filter(pk__in=by_external_id).order_by("pk").values_list("pk", flat=True))
    if len(ids) > 1:
        raise CommandError(
            _("Several customers have the external id '{reference}': {ids}. Give the id.").format(
                reference=reference, ids=", ".join(str(pk) for pk in ids)
            )
        )
    if not ids:
        raise CommandError(
            _("No customer '{reference}' that {user} may see.").format(
                reference=reference, user=user.username
            )
        )
    return ids[0]


def filtered_parties(user: User, filters: Sequence[str]) -> QuerySet:
    """The customers ``user`` may see, filtered as the list page filters (``KEY=VALUE``)."""
    data = QueryDict(mutable=True)
    known = list(PartyFilterSet.base_filters)
    for item in filters:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise CommandError(
                _("Write each filter as KEY=VALUE, e.g. stage=customer (not '{filter}').").format(
                    filter=item
                )
            )
        if key.startswith("attr."):
            if not AttributeDefinition.objects.filter(code=key[5:]).exists():
                raise CommandError(_("Unknown attribute “{code}”.").format(code=key[5:]))
        elif key not in known:
            raise CommandError(
                _("Unknown filter '{key}'. Filters: {known}, attr.<code>.").format(
                    key=key, known=", ".join(known)
                )
            )
        data.appendlist(key, value)
    filterset = PartyFilterSet(data, queryset=Party.objects.visible_to(user))
    if not filterset.is_valid():
        problems = "; ".join(
            "{}: {}".format(field, " ".join(messages))
            for field, messages in filterset.errors.items()
        )
        raise CommandError(_("The filters are not valid: {problems}").format(problems=problems))
    return filterset.qs


def visible(user: User, definition: AttributeDefinition, stored: Any) -> Any:
    """A golden value as ``user`` may read it: the value, its masked text, or None."""
    if stored is None:
        return None
    seen = privacy.shown(user, definition, stored)
    return seen.value if seen.visible else None


def table(
    filtered: QuerySet, parties: Iterable[Party], user: User
) -> tuple[list[str], Iterator[list[Any]]]:
    """The export's header and rows: the party's own columns, then one per attribute code."""
    definitions = sorted(
        AttributeDefinition.objects.filter(
            is_active=True,
            pk__in=GoldenValue.objects.filter(party__in=filtered.values("pk")).values(
                "attribute_id"
            ),
        ).exclude(code="name"),
        key=attribute_order,
    )
    codes = [definition.code for definition in definitions]

    def rows() -> Iterator[list[Any]]:
        for party in parties:
            golden = party.golden or {}
            yield [
                party.pk,
                party.kind,
                party.name,
                party.pinyin,
                party.stage,
                party.owner.username if party.owner else "",
                party.region.code if party.region else "",
                party.industry.code if party.industry else "",
                ", ".join(tag.name for tag in party.tags.all()),
                *(
                    cell_text(visible(user, definition, golden.get(definition.code)))
                    for definition in definitions
                ),
            ]

    return [*PARTY_COLUMNS, *codes], rows()


def write_csv(stream: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UTF-8 CSV with a BOM (for Excel), every cell neutralised so none runs as a formula."""
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])


def cell_text(value: Any) -> str:
    """A golden value as its canonical text (what ``attr.<code>=`` filters match)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict) and "amount" in value:
        return "{} {}".format(value["amount"], value.get("currency", ""))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def attribute_order(definition: AttributeDefinition) -> tuple[int, int, str]:
    """Profile order: section as on the 360° page, then the field's order."""
    return (
        SECTION_ORDER.get(definition.section, len(SECTION_ORDER)),
        definition.order,
        definition.code,
    )


def source_of(golden: GoldenValue) -> dict[str, Any]:
    observation = golden.observation
    return {
        "source": observation.source,
        "source_ref": observation.source_ref,
        "collector": observation.collector_name,
        "collected_at": DateTimeField().to_representation(observation.collected_at),
        "consent": observation.consent,
    }


def as_json(party: Party, user: User) -> str:
    data = PartySerializer(party, context={"reader": user}).data
    return json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)


def contact(party: Party, user: User) -> str:
    """The first of mobile, phone, e-mail: canonical (E.164) when the user reads it in full."""
    known = privacy.definitions_by_code(privacy.CONTACT_CODES)
    golden = party.golden or {}
    for code in privacy.CONTACT_CODES:
        if golden.get(code) and code in known:
            seen = privacy.shown(user, known[code], golden[code])
            if seen.visible:
                return str(seen.value)
    return ""


def coded(node: Any) -> str:
    return f"{node.name} ({node.code})" if node is not None else EMPTY


def printable(text: str) -> str:
    """One line of plain text: control characters (tabs, newlines, escapes) become spaces."""
    return "".join(char if char.isprintable() else " " for char in str(text))


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def columns(rows: list[list[str]]) -> list[str]:
    """``rows`` as lines of aligned columns, two spaces apart, without trailing spaces."""
    cleaned = [[printable(cell) for cell in row] for row in rows]
    widths = [max(width(row[index]) for row in cleaned) for index in range(len(cleaned[0]))]
    lines = []
    for row in cleaned:
        cells = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines
