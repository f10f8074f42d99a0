"""The personal-data providers of the apps that exist today: the customer record, its
observations, relationships, the change log and the access log — and the consent ledger when
the privacy app is installed. Later apps register theirs the same way (see ``registry``).

Erasers run in ascending ``order``: consents (30), other apps (50 by default), relationships
(60), the change-log scrub (70, while the names it looks for are still on record), the access
log (75), observations (80) and the customer record itself (90).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huike.core import crypto
from huike.core.models import AccessLog, ChangeLog
from huike.parties.models import (
    GoldenValue,
    Observation,
    Party,
    Relationship,
    SearchKey,
)
from huike.subjects import registry

ERASED = "[erased]"
UNREADABLE = "[unreadable]"
# Attributes whose values are other names of the customer: the change-log scrub looks for them.
NAME_CODES = ("name", "short_name", "english_name", "former_names")

_parties_plain: Callable[[str, Any], Any] | None
try:  # the parties app's helper; the fallback below does the same for sealed values
    from huike.parties.privacy import plain as _parties_plain
except ImportError:  # pragma: no cover - depends on the parties app's version
    _parties_plain = None


def plain_value(code: str, stored: Any) -> Any:
    """``stored`` as it was given: sealed values (``enc:v1:…``) are opened for ``code``.

    Only for the person's own export and for the suppression list; a value that does not open
    (damaged, or a key that is gone) reads ``[unreadable]``.
    """
    if not crypto.is_sealed(stored):
        return stored
    if _parties_plain is not None:
        try:
            return _parties_plain(code, stored)
        except (crypto.TamperedValue, ValueError):
            return UNREADABLE
    try:
        opened = crypto.unseal(stored, code)
    except crypto.TamperedValue:
        return UNREADABLE
    try:
        return json.loads(opened)
    except ValueError:
        return opened


def erased_name(party: Party) -> str:
    """What an erased customer is called, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Erased customer #{number}").format(number=party.pk)


def _when(value: datetime.datetime | datetime.date | None) -> str:
    return value.isoformat() if value is not None else ""


# --- the customer record ------------------------------------------------------------------


def export_customer(party: Party) -> list[dict[str, Any]]:
    party = Party.objects.select_related("owner", "team", "nature", "region", "industry").get(
        pk=party.pk
    )
    return [
        {
            "id": party.pk,
            "kind": party.get_kind_display(),
            "name": party.name,
            "pinyin": party.pinyin,
            "stage": party.get_stage_display(),
            "nature": str(party.nature or ""),
            "region": str(party.region or ""),
            "industry": str(party.industry or ""),
            "owner": str(party.owner or ""),
            "team": str(party.team or ""),
            "tags": [tag.name for tag in party.tags.all()],
            "notes": party.notes,
            "first_deal_date": _when(party.first_deal_date),
            "processing_restricted": party.processing_restricted,
            "created_at": _when(party.created_at),
            "updated_at": _when(party.updated_at),
        }
    ]


def export_golden(party: Party) -> list[dict[str, Any]]:
    from huike.parties.values import display

    rows = []
    golden = GoldenValue.objects.filter(party=party).select_related("attribute", "observation")
    for entry in golden.order_by("attribute__section", "attribute__order", "attribute__code"):
        value = plain_value(entry.attribute.code, entry.value)
        rows.append(
            {
                "attribute": entry.attribute.code,
                "label": entry.attribute.label,
                "value": value,
                "shown_as": display(entry.attribute, value) if value != UNREADABLE else value,
                "source": entry.observation.source,
                "collected_at": _when(entry.observation.collected_at),
                "confirmed_at": _when(entry.confirmed_at),
            }
        )
    return rows


def anonymise_customer(party: Party, actor: Any) -> dict[str, Any]:
    """The customer row stays (orders and history point at it) with nothing personal left."""
    now = timezone.now()
    tags = party.tags.count()
    party.tags.clear()
    keys, _detail = SearchKey.objects.filter(party=party).delete()
    Party.objects.filter(pk=party.pk).update(
        name=erased_name(party),
        pinyin="",
        golden={},
        notes="",
        region=None,
        processing_restricted=True,
        erased_at=now,
        version=models.F("version") + 1,
        updated_at=now,
    )
    return {"search_keys": keys, "tags": tags}


def count_customer(party: Party) -> int:
    return 1


# --- observations -----------------------------------------------------------------------------


def export_observations(party: Party) -> list[dict[str, Any]]:
    rows = []
    for observation in (
        Observation.objects.filter(party=party)
        .select_related("attribute")
        .order_by("attribute__code", "collected_at", "pk")
    ):
        rows.append(
            {
                "attribute": observation.attribute.code,
                "label": observation.attribute.label,
                "value": plain_value(observation.attribute.code, observation.value),
                "source": observation.source,
                "source_reference": observation.source_ref,
                "collected_by": observation.collector_name,
                "collected_at": _when(observation.collected_at),
                "recorded_at": _when(observation.recorded_at),
                "consent": observation.consent,
                "confidence": observation.confidence,
                "note": observation.note,
            }
        )
    return rows


def delete_golden(party: Party, actor: Any) -> dict[str, Any]:
    count, _detail = GoldenValue.objects.filter(party=party).delete()
    return {"golden_values": count}


def delete_observations(party: Party, actor: Any) -> dict[str, Any]:
    count, _detail = Observation.objects.filter(party=party).delete()
    return {"observations": count}


# --- relationships ---------------------------------------------------------------------------


def _other(party: Party) -> str:
    # The other side of a tie is someone else: organisations by name, people by number only.
    if party.kind == Party.Kind.ORGANIZATION:
        return party.name
    return f"#{party.pk}"


def export_relationships(party: Party) -> list[dict[str, Any]]:
    rows = []
    ties = Relationship.objects.filter(Q(from_party=party) | Q(to_party=party)).select_related(
        "from_party", "to_party"
    )
    for tie in ties.order_by("pk"):
        outgoing = tie.from_party_id == party.pk
        other = tie.to_party if outgoing else tie.from_party
        rows.append(
            {
                "relationship": tie.get_kind_display(),
                "direction": "from" if outgoing else "to",
                "other_customer": _other(other),
                "title": tie.title if outgoing else "",
                "department": tie.department if outgoing else "",
                "stakeholder_role": tie.get_stakeholder_role_display() if outgoing else "",
                "since": _when(tie.started_on),
                "until": _when(tie.ended_on),
                "note": tie.note,
            }
        )
    return rows


def clear_relationships(party: Party, actor: Any) -> dict[str, Any]:
    """Ties stay (the organisation's history needs them); what they say about the person goes."""
    ties = Relationship.objects.filter(Q(from_party=party) | Q(to_party=party))
    count = ties.update(note="")
    if party.kind == Party.Kind.PERSON:
        ties.filter(from_party=party).update(
            title="",
            department="",
            stakeholder_role="",
            attitude=None,
            influence=None,
            closeness=None,
        )
    return {"relationships": count}


def count_relationships(party: Party) -> int:
    return Relationship.objects.filter(Q(from_party=party) | Q(to_party=party)).count()


# --- the change log ------------------------------------------------------------------------------


def _party_type() -> ContentType:
    return ContentType.objects.get_for_model(Party, for_concrete_model=False)


def export_change_log(party: Party) -> list[dict[str, Any]]:
    entries = ChangeLog.objects.filter(content_type=_party_type(), object_id=str(party.pk))
    return [
        {
            "time": _when(entry.timestamp),
            "by": entry.actor_name,
            "action": entry.get_action_display(),
            "message": entry.message,
            "changes": entry.changes,
        }
        for entry in entries.order_by("timestamp", "pk")
    ]


def old_names(party: Party) -> list[str]:
    """Every name the customer was known by (longest first), for the change-log scrub."""
    names = {party.name}
    observations = Observation.objects.filter(party=party, attribute__code__in=NAME_CODES)
    for observation in observations.select_related("attribute"):
        value = plain_value(observation.attribute.code, observation.value)
        for part in str(value or "").replace("；", ";").split(";"):
            names.add(part.strip())
    return sorted((name for name in names if len(name) >= 2), key=len, reverse=True)


def _scrubbed(text: str, names: list[str], placeholder: str) -> str:
    for name in names:
        text = text.replace(name, placeholder)
    return text


def _scrub_changes(value: Any, names: list[str], placeholder: str) -> Any:
    if isinstance(value, str):
        return _scrubbed(value, names, placeholder)
    if isinstance(value, list):
        return [_scrub_changes(item, names, placeholder) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_changes(item, names, placeholder) for key, item in value.items()}
    return value


def _erased(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2:
        return [None if item in (None, "") else ERASED for item in value]
    return None if value in (None, "") else ERASED


def scrub_change_log(party: Party, actor: Any) -> dict[str, Any]:
    """Replace what the change log says about the person; keep every row (who did what, when).

    The change log is append-only for everything else: erasure is the one legally required
    exception. The customer's own rows lose their values (the field names stay); rows about
    its relationships and the other side's rows lose the names.
    """
    names = old_names(party)
    placeholder = erased_name(party)
    party_type = _party_type()
    own = 0
    for entry in ChangeLog.objects.filter(content_type=party_type, object_id=str(party.pk)):
        entry.changes = {key: _erased(value) for key, value in (entry.changes or {}).items()}
        entry.object_repr = placeholder[:200]
        entry.message = _scrubbed(entry.message, names, placeholder)[:200]
        entry.save(update_fields=["changes", "object_repr", "message"])
        own += 1
    ties = Relationship.objects.filter(Q(from_party=party) | Q(to_party=party))
    tie_ids = [str(pk) for pk in ties.values_list("pk", flat=True)]
    others = {str(pk) for pair in ties.values_list("from_party", "to_party") for pk in pair}
    others.discard(str(party.pk))
    relationship_type = ContentType.objects.get_for_model(Relationship)
    live_ties = Relationship.objects.values_list("pk", flat=True)
    mentions = Q()
    for name in names:
        mentions |= Q(object_repr__contains=name) | Q(message__contains=name)
    candidates = (
        ChangeLog.objects.filter(
            Q(content_type=relationship_type, object_id__in=tie_ids)
            # deleted ties that named the customer
            | (
                Q(content_type=relationship_type)
                & ~Q(object_id__in=[str(pk) for pk in live_ties])
                & mentions
            )
            | (Q(content_type=party_type, object_id__in=others) & mentions)
        )
        if names
        else ChangeLog.objects.none()
    )
    related = 0
    for entry in candidates:
        entry.object_repr = _scrubbed(entry.object_repr, names, placeholder)[:200]
        entry.message = _scrubbed(entry.message, names, placeholder)[:200]
        entry.changes = _scrub_changes(entry.changes or {}, names, placeholder)
        entry.save(update_fields=["changes", "object_repr", "message"])
        related += 1
    return {"change_log_entries": own, "related_entries": related}


def count_change_log(party: Party) -> int:
    return ChangeLog.objects.filter(content_type=_party_type(), object_id=str(party.pk)).count()


# --- the access log ----------------------------------------------------------------------------


def _access_entries(party: Party) -> models.QuerySet:
    return AccessLog.objects.filter(content_type=_party_type(), object_id=str(party.pk))


def export_access_log(party: Party) -> list[dict[str, Any]]:
    return [
        {
            "time": _when(entry.timestamp),
            "by": entry.actor_name,
            "action": entry.get_action_display(),
            "fields": entry.fields,
            "records": entry.count,
            "reason": entry.reason,
            "channel": entry.channel,
        }
        for entry in _access_entries(party).order_by("timestamp", "pk")
    ]


def scrub_access_log(party: Party, actor: Any) -> dict[str, Any]:
    """The access log keeps who read what and when; only the customer's name goes.

    The log is append-only (its queryset refuses ``update``): erasure is the legally required
    exception, so the plain ``QuerySet.update`` is called on purpose.
    """
    count = models.QuerySet.update(_access_entries(party), object_repr=erased_name(party)[:200])
    return {"access_log_entries": count}


# --- consents (the privacy app's ledger, when installed) -------------------------------------


def _register_consents() -> None:
    """The consent ledger of ``huike.privacy``, when that app is installed and has not
    registered a provider of its own (one it registers replaces this one)."""
    if not apps.is_installed("huike.privacy") or registry.get("consents") is not None:
        return
    try:
        from huike.privacy.models import ConsentRecord, PartyConsent
    except ImportError:  # pragma: no cover - the privacy app without a ledger
        return

    def export(party: Party) -> list[dict[str, Any]]:
        names = [
            field.name
            for field in ConsentRecord._meta.concrete_fields
            if field.name not in {"id", "party", "collected_by"}
        ]
        rows = []
        for record in ConsentRecord.objects.filter(party=party).order_by("occurred_at", "pk"):
            row: dict[str, Any] = {}
            for name in names:
                value = getattr(record, name)
                if isinstance(value, models.Model):
                    value = str(value)
                elif isinstance(value, datetime.datetime | datetime.date):
                    value = value.isoformat()
                row[name] = value
            rows.append(row)
        return rows

    def erase(party: Party, actor: Any) -> dict[str, Any]:
        # The ledger is proof of what the person agreed to and when they withdrew: it is kept.
        # Every live consent is withdrawn, so nothing selects the customer for a purpose.
        from django.core.exceptions import ValidationError

        from huike.privacy import services as privacy_services

        withdrawn = 0
        for current in PartyConsent.objects.filter(party=party, granted=True).select_related(
            "purpose"
        ):
            try:
                privacy_services.withdraw(
                    party, current.purpose, actor=actor, channel="manual", evidence="erasure"
                )
            except (ValidationError, TypeError):
                continue
            withdrawn += 1
        kept = ConsentRecord.objects.filter(party=party).count()
        return {"consents_withdrawn": withdrawn, "consent_records_kept": kept}

    def consenting(purpose: str) -> Any:
        live = PartyConsent.objects.filter(granted=True)
        if purpose:
            live = live.filter(purpose__code=purpose)
        return live.values("party_id")

    registry.register(
        "consents",
        label=_("Consents"),
        export=export,
        erase=erase,
        kept=_(
            "The consent ledger is proof of what the person agreed to and when they withdrew; "
            "it is kept, and every live consent is withdrawn."
        ),
        count=lambda party: ConsentRecord.objects.filter(party=party).count(),
        active=lambda since: ConsentRecord.objects.filter(occurred_at__gte=since).values(
            "party_id"
        ),
        consenting=consenting,
        order=30,
    )


def register_builtin() -> None:
    """Register the providers of the apps that exist (called from ``SubjectsConfig.ready``)."""
    registry.register(
        "customer",
        label=_("Customer record"),
        export=export_customer,
        erase=anonymise_customer,
        kept=_(
            "The customer's number stays so orders and history still add up; it is renamed "
            "and emptied."
        ),
        count=count_customer,
        order=90,
    )
    registry.register(
        "golden_record",
        label=_("Golden record"),
        export=export_golden,
        erase=delete_golden,
        count=lambda party: GoldenValue.objects.filter(party=party).count(),
        order=79,
    )
    registry.register(
        "observations",
        label=_("Values and their sources"),
        export=export_observations,
        erase=delete_observations,
        count=lambda party: Observation.objects.filter(party=party).count(),
        order=80,
    )
    registry.register(
        "relationships",
        label=_("Relationships"),
        export=export_relationships,
        erase=clear_relationships,
        kept=_("Ties to other customers stay; titles, notes and assessments of the person go."),
        count=count_relationships,
        order=60,
    )
    registry.register(
        "change_log",
        label=_("Change history"),
        export=export_change_log,
        erase=scrub_change_log,
        kept=_("Who changed what and when stays; the values and names are replaced."),
        count=count_change_log,
        order=70,
    )
    registry.register(
        "access_log",
        label=_("Access log"),
        export=export_access_log,
        erase=scrub_access_log,
        kept=_("Who read the customer's information and when stays; the name is replaced."),
        count=lambda party: _access_entries(party).count(),
        order=75,
    )
    _register_consents()
