"""Every write of a data-subject request: receive, verify identity, work, answer.

The workflow is ``received → identity_verified → in_progress → fulfilled | refused``. Nothing
about a person leaves Huike, and nothing is erased, before their identity is verified. Each
service runs in a transaction and writes the change log; exports and erasures also write the
access log. The change-log rows of a request never hold the requester's name or contact, so
they stay harmless after an erasure.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huike.core.services import log_access, record_change
from huike.parties.models import Observation, Party
from huike.subjects import exporting, registry, suppression
from huike.subjects.models import SubjectRequest, due_days

Status = SubjectRequest.Status
Kind = SubjectRequest.Kind
# What party creation, imports, forms and the API ask before recording a contact point.
is_suppressed = suppression.is_suppressed
release_suppression = suppression.release_suppression
CLOCK_SKEW = datetime.timedelta(minutes=5)
OLDEST_BACKFILL = datetime.timedelta(days=3653)


class ErasureBlocked(ValidationError):
    """Erasure is not possible yet (a provider holds the records); the customer was
    restricted instead. ``reasons`` lists each provider's reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons, code="erasure_blocked")
        self.reasons = reasons


def _logged(request: SubjectRequest) -> dict[str, Any]:
    """What the request's change log records: nothing here names the person."""
    return {
        "kind": request.kind,
        "status": request.status,
        "channel": request.channel,
        "party": request.party_id,
        "received_at": request.received_at,
        "due_at": request.due_at,
    }


def _changes(before: Mapping[str, Any], request: SubjectRequest) -> dict[str, list[Any]]:
    after = _logged(request)
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _reason(request: SubjectRequest | None, fallback: str = "") -> str:
    return f"request #{request.pk}" if request is not None else fallback


@transaction.atomic
def open_request(
    *,
    actor: Any,
    kind: str,
    requester_name: str = "",
    requester_contact: str = "",
    party: Party | None = None,
    channel: str = SubjectRequest.Channel.EMAIL,
    description: str = "",
    received_at: datetime.datetime | None = None,
    notes: str = "",
) -> SubjectRequest:
    """Record a request as received; it is due ``DSR_DUE_DAYS`` days after receipt."""
    requester_name = (requester_name or "").strip() or (party.name if party is not None else "")
    request = SubjectRequest(
        kind=kind,
        party=party,
        requester_name=requester_name[:200],
        requester_contact=(requester_contact or "").strip()[:200],
        channel=channel,
        description=description or "",
        received_at=received_at or timezone.now(),
        notes=notes or "",
    )
    request.due_at = request.received_at + datetime.timedelta(days=due_days())
    errors: dict[str, list[str]] = {}
    if not requester_name:
        errors["requester_name"] = [_("Give the name of the person making the request.")]
    now = timezone.now()
    if request.received_at > now + CLOCK_SKEW:
        errors["received_at"] = [_("A request cannot be received in the future.")]
    elif request.received_at < now - OLDEST_BACKFILL:
        errors["received_at"] = [_("A request received more than ten years ago is too old.")]
    if errors:
        raise ValidationError(errors)
    request.full_clean()
    request.save()
    record_change(request, actor=actor, action="create", changes=_changes({}, request))
    return request


def _check_open(request: SubjectRequest) -> None:
    if not request.is_open:
        raise ValidationError(
            _("This request is closed ({status}).").format(status=request.get_status_display())
        )


@transaction.atomic
def match_party(request: SubjectRequest, party: Party | None, *, actor: Any) -> SubjectRequest:
    """Say which customer record the request is about (or that none is)."""
    _check_open(request)
    before = _logged(request)
    request.party = party
    request.save(update_fields=["party", "updated_at"])
    record_change(request, actor=actor, action="update", changes=_changes(before, request))
    return request


@transaction.atomic
def verify_identity(
    request: SubjectRequest,
    *,
    actor: Any,
    method: str,
    evidence: str,
    party: Party | None = None,
) -> SubjectRequest:
    """Record how the requester proved who they are; optionally match the customer record."""
    if request.status != Status.RECEIVED:
        raise ValidationError(_("The identity was already verified for this request."))
    errors: dict[str, list[str]] = {}
    if method not in SubjectRequest.IdentityMethod.values:
        errors["identity_method"] = [_("Choose how the identity was checked.")]
    if not (evidence or "").strip():
        errors["identity_evidence"] = [_("Say what was checked, so an auditor can follow it.")]
    if errors:
        raise ValidationError(errors)
    before = _logged(request)
    if party is not None:
        request.party = party
    request.identity_method = method
    request.identity_evidence = evidence.strip()
    request.verified_by = _user(actor)
    request.verified_at = timezone.now()
    request.status = Status.IDENTITY_VERIFIED
    request.save()
    changes = _changes(before, request)
    changes["identity_method"] = [None, method]
    record_change(
        request, actor=actor, action="update", message="identity verified", changes=changes
    )
    return request


@transaction.atomic
def start(request: SubjectRequest, *, actor: Any) -> SubjectRequest:
    """Take the request on: it is now being worked by ``actor``."""
    if request.status != Status.IDENTITY_VERIFIED:
        raise ValidationError(_("Verify the requester's identity before starting the work."))
    before = _logged(request)
    request.status = Status.IN_PROGRESS
    request.handled_by = _user(actor)
    request.save(update_fields=["status", "handled_by", "updated_at"])
    record_change(request, actor=actor, action="update", changes=_changes(before, request))
    return request


@transaction.atomic
def refuse(request: SubjectRequest, *, actor: Any, reason: str) -> SubjectRequest:
    """Close the request without doing it. The reason is required: the person is told why."""
    _check_open(request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"refusal_reason": [_("Give the reason for refusing; the person will be told.")]}
        )
    before = _logged(request)
    request.status = Status.REFUSED
    request.refusal_reason = reason
    request.handled_by = request.handled_by or _user(actor)
    request.closed_at = timezone.now()
    request.save()
    record_change(
        request, actor=actor, action="update", message="refused", changes=_changes(before, request)
    )
    return request


def _check_workable(request: SubjectRequest, kinds: Iterable[str]) -> Party:
    """The request's customer, if the request may be worked now for one of ``kinds``."""
    _check_open(request)
    if request.kind not in kinds:
        raise ValidationError(
            _("This is not possible for a request of this kind ({kind}).").format(
                kind=request.get_kind_display()
            )
        )
    if not request.identity_verified:
        raise ValidationError(_("Verify the requester's identity first."))
    if request.party is None:
        raise ValidationError(_("Match the request to a customer record first."))
    return request.party


def _close(request: SubjectRequest, *, actor: Any, message: str, note: str = "") -> None:
    before = _logged(request)
    request.status = Status.FULFILLED
    request.closed_at = timezone.now()
    request.handled_by = request.handled_by or _user(actor)
    if note.strip():
        request.notes = (request.notes + "\n" if request.notes else "") + note.strip()
    request.save()
    record_change(
        request, actor=actor, action="update", message=message, changes=_changes(before, request)
    )


# --- access and portability ---------------------------------------------------------------


def export_subject(
    party: Party,
    *,
    actor: Any,
    request: SubjectRequest | None = None,
    channel: str = "web",
    http_request: Any = None,
) -> bytes:
    """Everything the registry's providers hold about ``party``, as zip bytes
    (``subject.json`` + one CSV per section), and one access-log row saying who exported it."""
    sections = exporting.collect(party)
    data = exporting.archive(
        party,
        sections,
        request=request.pk if request is not None else None,
        generated_by=actor.get_username() if _user(actor) else "system",
    )
    attributes = {row.get("attribute") for row in sections.get("observations", [])}
    log_access(
        actor=actor,
        action="subject_access",
        obj=party,
        fields=[code for code in attributes if code],
        count=sum(len(rows) for rows in sections.values()),
        reason=_reason(request, "subject-access export"),
        channel=channel,
        request=http_request,
    )
    return data


@transaction.atomic
def fulfil_access(
    request: SubjectRequest, *, actor: Any, channel: str = "web", http_request: Any = None
) -> bytes:
    """Make the access (or portability) export, keep it as the request's result, and close
    the request as fulfilled. Returns the zip."""
    party = _check_workable(request, SubjectRequest.EXPORT_KINDS)
    data = export_subject(
        party, actor=actor, request=request, channel=channel, http_request=http_request
    )
    previous = request.result_file
    request.result_file = exporting.store(request.pk, data)
    request.result_created_at = timezone.now()
    if previous:
        transaction.on_commit(lambda: exporting.remove(previous))
    _close(request, actor=actor, message="export made")
    return data


# --- correction, restriction, objection -------------------------------------------------------


@transaction.atomic
def correct(request: SubjectRequest, values: Mapping[str, Any], *, actor: Any) -> list[Observation]:
    """Record the corrected values (as manual observations noting the request); the request
    stays open until it is marked fulfilled."""
    from huike.parties import services as party_services

    party = _check_workable(request, (Kind.CORRECTION,))
    observations = party_services.record_observations(
        party,
        values,
        actor=actor,
        provenance=party_services.Provenance(
            source="manual", note=f"correction under request #{request.pk}"
        ),
    )
    if request.status == Status.IDENTITY_VERIFIED:
        request.status = Status.IN_PROGRESS
        request.handled_by = request.handled_by or _user(actor)
        request.save(update_fields=["status", "handled_by", "updated_at"])
    record_change(
        request,
        actor=actor,
        action="action",
        message="corrected: {}".format(", ".join(sorted(values)))[:200],
    )
    return observations


@transaction.atomic
def restrict(
    party: Party,
    *,
    actor: Any,
    request: SubjectRequest | None = None,
    reason: str = "",
    channel: str = "web",
) -> Party:
    """Keep the customer but stop using it: no campaigns, exports or jobs."""
    if not party.processing_restricted:
        Party.objects.filter(pk=party.pk).update(
            processing_restricted=True, version=F("version") + 1
        )
        party.processing_restricted = True
        record_change(
            party,
            actor=actor,
            action="action",
            message=f"processing restricted ({_reason(request, reason)})"[:200],
            changes={"processing_restricted": [False, True]},
        )
    log_access(
        actor=actor,
        action="restriction",
        obj=party,
        reason=_reason(request, reason),
        channel=channel,
    )
    return party


@transaction.atomic
def lift_restriction(party: Party, *, actor: Any, reason: str) -> Party:
    """Use the customer again (the objection was resolved, the dispute settled)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why processing may resume.")]})
    if party.erased_at is not None:
        raise ValidationError(_("An erased customer stays restricted."))
    if party.processing_restricted:
        Party.objects.filter(pk=party.pk).update(
            processing_restricted=False, version=F("version") + 1
        )
        party.processing_restricted = False
        record_change(
            party,
            actor=actor,
            action="action",
            message=f"restriction lifted: {reason.strip()}"[:200],
            changes={"processing_restricted": [True, False]},
        )
    return party


@transaction.atomic
def restrict_for_request(
    request: SubjectRequest, *, actor: Any, channel: str = "web"
) -> SubjectRequest:
    """Restrict the request's customer; a restriction request is then fulfilled."""
    party = _check_workable(request, Kind.values)
    restrict(party, actor=actor, request=request, channel=channel)
    if request.kind == Kind.RESTRICTION:
        _close(request, actor=actor, message="processing restricted")
    elif request.status == Status.IDENTITY_VERIFIED:
        request.status = Status.IN_PROGRESS
        request.handled_by = request.handled_by or _user(actor)
        request.save(update_fields=["status", "handled_by", "updated_at"])
    return request


@transaction.atomic
def fulfil(request: SubjectRequest, *, actor: Any, note: str = "") -> SubjectRequest:
    """Close a correction, restriction or objection request as done (with what was done).

    A request matched to no customer (Huike holds nothing about the person) may be closed
    whatever its kind, saying so in ``note``.
    """
    if request.party_id is None:
        _check_open(request)
        if not request.identity_verified:
            raise ValidationError(_("Verify the requester's identity first."))
        if not (note or "").strip():
            raise ValidationError(
                {"note": [_("Say what the person is told, e.g. that Huike holds nothing.")]}
            )
        _close(request, actor=actor, message="fulfilled: nothing held", note=note)
        return request
    _check_workable(request, (Kind.CORRECTION, Kind.RESTRICTION, Kind.OBJECTION))
    _close(request, actor=actor, message="fulfilled", note=note)
    return request


# --- erasure ----------------------------------------------------------------------------------


@dataclass
class PlanSection:
    name: str
    label: str
    count: int
    kept: bool
    reason: str


@dataclass
class ErasurePlan:
    """What an erasure of one customer would do: shown before anyone confirms it."""

    sections: list[PlanSection] = field(default_factory=list)
    contacts: dict[str, int] = field(default_factory=dict)
    holds: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.holds


def holds(party: Party) -> list[str]:
    """Every provider's reason why ``party`` cannot be erased yet."""
    reasons = []
    for provider in registry.providers():
        if provider.hold is not None:
            reason = provider.hold(party)
            if reason:
                reasons.append(f"{provider.label}: {reason}")
    return reasons


def erasure_plan(party: Party) -> ErasurePlan:
    plan = ErasurePlan(holds=holds(party))
    for provider in registry.providers():
        if provider.erase is None:
            continue
        plan.sections.append(
            PlanSection(
                name=provider.name,
                label=str(provider.label),
                count=provider.count(party) if provider.count is not None else 0,
                kept=provider.keeps_records,
                reason=provider.kept_reason,
            )
        )
    for kind, _value in suppression.contact_points(party):
        plan.contacts[kind] = plan.contacts.get(kind, 0) + 1
    return plan


def erase(
    party: Party,
    *,
    actor: Any,
    request: SubjectRequest | None = None,
    reason: str = "",
    suppress: bool = True,
    channel: str = "web",
    http_request: Any = None,
) -> dict[str, Any]:
    """Erase everything personal about ``party`` and return what each provider did.

    Before anything is deleted the customer's phones, e-mails and ID numbers go on the
    suppression list (unless ``suppress=False``, for retention). Providers that keep records by
    law de-personalise them. The customer row stays as "Erased customer #N"; the change log gets
    a tombstone and the access log an ``erasure`` row. If a provider holds the records, nothing
    is erased: the customer is restricted and :class:`ErasureBlocked` says why.
    """
    if party.erased_at is not None:
        raise ValidationError(_("This customer was already erased."))
    reasons = holds(party)
    if reasons:
        restrict(party, actor=actor, request=request, reason=reason, channel=channel)
        raise ErasureBlocked(reasons)
    return _erase(
        party,
        actor=actor,
        request=request,
        reason=reason,
        suppress=suppress,
        channel=channel,
        http_request=http_request,
    )


@transaction.atomic
def _erase(
    party: Party,
    *,
    actor: Any,
    request: SubjectRequest | None,
    reason: str,
    suppress: bool,
    channel: str,
    http_request: Any,
) -> dict[str, Any]:
    locked = Party.objects.select_for_update().get(pk=party.pk)
    if locked.erased_at is not None:
        raise ValidationError(_("This customer was already erased."))
    summary: dict[str, Any] = {}
    if suppress:
        summary["suppressed"] = suppression.suppress(
            suppression.contact_points(locked), actor=actor, request=request
        )
    codes = sorted(
        set(Observation.objects.filter(party=locked).values_list("attribute__code", flat=True))
    )
    count = Observation.objects.filter(party=locked).count()
    # Earlier exports of the person are copies of what is being erased.
    files = list(locked.subject_requests.exclude(result_file="").values_list("pk", "result_file"))
    for provider in registry.providers():
        if provider.erase is not None:
            summary[provider.name] = provider.erase(locked, actor)
    if files:
        locked.subject_requests.filter(pk__in=[pk for pk, _path in files]).update(result_file="")
        paths = [path for _pk, path in files]
        transaction.on_commit(lambda: _remove_files(paths))
    locked.refresh_from_db()
    why = f"erased under request #{request.pk}" if request else f"erased: {reason}"
    record_change(
        locked,
        actor=actor,
        action="delete",
        message=why[:200],
        changes={"erased_at": [None, locked.erased_at]},
    )
    log_access(
        actor=actor,
        action="erasure",
        obj=locked,
        fields=codes,
        count=count,
        reason=why,
        channel=channel,
        request=http_request,
    )
    party.refresh_from_db()
    return summary


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        exporting.remove(path)


def erase_for_request(
    request: SubjectRequest, *, actor: Any, channel: str = "web", http_request: Any = None
) -> dict[str, Any]:
    """Erase the request's customer and close the request as fulfilled.

    When erasure is not possible yet, the customer is restricted, the request stays open with
    a note, and :class:`ErasureBlocked` is raised.
    """
    party = _check_workable(request, (Kind.ERASURE,))
    if party.erased_at is not None:
        raise ValidationError(_("This customer was already erased."))
    reasons = holds(party)
    if reasons:
        # Each in its own transaction: the restriction must stay although erasure is refused.
        restrict(party, actor=actor, request=request, channel=channel)
        _note_blocked(request, actor=actor, reasons=reasons)
        raise ErasureBlocked(reasons)
    with transaction.atomic():
        summary = _erase(
            party,
            actor=actor,
            request=request,
            reason="",
            suppress=True,
            channel=channel,
            http_request=http_request,
        )
        _close(request, actor=actor, message="erased")
    return summary


@transaction.atomic
def _note_blocked(request: SubjectRequest, *, actor: Any, reasons: list[str]) -> None:
    """The restriction was committed by ``erase``; the request remembers why it waits."""
    before = _logged(request)
    note = _("Erasure not yet possible, customer restricted: {reasons}").format(
        reasons="; ".join(reasons)
    )
    request.notes = (request.notes + "\n" if request.notes else "") + note
    if request.status == Status.IDENTITY_VERIFIED:
        request.status = Status.IN_PROGRESS
        request.handled_by = request.handled_by or _user(actor)
    request.save()
    record_change(
        request,
        actor=actor,
        action="update",
        message="erasure blocked; restricted",
        changes=_changes(before, request),
    )
