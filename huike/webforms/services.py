"""Every write of the web-forms app: building forms, and turning submissions into customers,
observations and consent records.

A submission goes: checked values (``parties.services.validate_values``) → suppression list →
``Submission`` row → (double opt-in: wait for the e-mailed link) → the customer with the
confirmed e-mail gets the values as observations, or a new customer is created (and queued for
review with the customers it probably is: without a confirmed e-mail, also with the one the same
e-mail or mobile names — ``imports.engine.find_match`` — since nothing proves the visitor is that
customer) → one consent record per ticked box, with the exact notice text shown.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huike.core.services import diff, record_change, snapshot
from huike.identity.models import MatchCandidate
from huike.identity.services import queue_likely_duplicates, queue_pair
from huike.imports.engine import find_match
from huike.parties import privacy
from huike.parties.models import AttributeDefinition, Party
from huike.parties.services import (
    NAME,
    Provenance,
    check_suppression,
    create_party,
    record_observations,
    validate_values,
)
from huike.privacy import services as consent_services
from huike.privacy.models import Channel, ConsentNotice, Purpose
from huike.webforms.models import Submission, WebForm, WebFormConsent, WebFormField
from huike.webforms.protection import CONSENT_PREFIX, RESERVED_NAMES

FORM_FIELDS = (
    "slug",
    "name",
    "title_zh",
    "title_en",
    "intro_zh",
    "intro_en",
    "thank_you_zh",
    "thank_you_en",
    "redirect_url",
    "party_kind",
    "is_active",
    "owner",
    "allowed_origins",
    "challenge",
    "double_opt_in",
)
FIELD_SPEC = ("attribute", "label_zh", "label_en", "help_zh", "help_en", "required", "order")
CONSENT_SPEC = ("purpose", "notice", "required", "order")
DataType = AttributeDefinition.DataType
# Types a visitor cannot type into a public form (a link to another customer, an upload).
NOT_ON_FORMS = {DataType.PARTY, DataType.FILE}
# Matching by an identifier a visitor could copy would let anyone add values to someone else's
# record: external ids stay with imports and the API.
NOT_FROM_VISITORS = {"external_id"}
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def confirm_hours() -> int:
    return int(getattr(settings, "WEBFORM_CONFIRM_HOURS", 72))


class SubmissionRefused(Exception):
    """The submission cannot be accepted, for a reason the visitor must not learn (a contact on
    the suppression list, i.e. a person erased at their request)."""


class ConfirmationInvalid(Exception):
    """The confirmation link is unknown, used already, or expired."""


# --- Building forms -------------------------------------------------------------------------


@dataclass
class FieldSpec:
    attribute: AttributeDefinition
    label_zh: str = ""
    label_en: str = ""
    help_zh: str = ""
    help_en: str = ""
    required: bool = False
    order: int = 100


@dataclass
class ConsentSpec:
    purpose: Purpose
    notice: ConsentNotice | None = None
    required: bool = False
    order: int = 100


def _check_origins(text: str) -> str:
    lines = [line.strip().rstrip("/") for line in text.splitlines() if line.strip()]
    wrong = [line for line in lines if not ORIGIN.match(line)]
    if wrong:
        raise ValidationError(
            {
                "allowed_origins": [
                    _(
                        "Write one origin per line, as scheme and host only, such as "
                        "https://www.example.com: {wrong}"
                    ).format(wrong=", ".join(wrong))
                ]
            }
        )
    return "\n".join(dict.fromkeys(lines))


def _check_fields(form: WebForm, fields: list[FieldSpec]) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    for spec in fields:
        attribute = spec.attribute
        label = attribute.label
        if attribute.code in seen:
            problems.append(_("“{label}” is on the form twice.").format(label=label))
        seen.add(attribute.code)
        if not attribute.is_active:
            problems.append(_("“{label}” is retired.").format(label=label))
        elif not attribute.applies(form.party_kind):
            problems.append(
                _("“{label}” does not apply to the kind of customer this form creates.").format(
                    label=label
                )
            )
        if attribute.data_type in NOT_ON_FORMS or attribute.code in NOT_FROM_VISITORS:
            problems.append(_("“{label}” cannot be asked on a public form.").format(label=label))
        if attribute.code in RESERVED_NAMES or attribute.code.startswith(CONSENT_PREFIX):
            problems.append(
                _("“{label}” has a code the form uses itself ({code}).").format(
                    label=label, code=attribute.code
                )
            )
    name = next((spec for spec in fields if spec.attribute.code == NAME), None)
    if name is None or not name.required:
        problems.append(_("The form must ask for the name, as a required field."))
    if form.double_opt_in and not any(
        spec.required and spec.attribute.validator == AttributeDefinition.Validator.EMAIL
        for spec in fields
    ):
        problems.append(_("Confirmation by e-mail needs a required e-mail field."))
    if problems:
        raise ValidationError({"fields": problems})


def _check_consents(fields: list[FieldSpec], consents: list[ConsentSpec]) -> None:
    problems: list[str] = []
    seen: set[int] = set()
    for spec in consents:
        purpose = spec.purpose
        if purpose.pk in seen:
            problems.append(_("“{purpose}” is asked twice.").format(purpose=purpose))
        seen.add(purpose.pk)
        if not purpose.needs_consent:
            problems.append(
                _("“{purpose}” is not based on consent; there is nothing to ask.").format(
                    purpose=purpose
                )
            )
        elif not purpose.is_active:
            problems.append(_("“{purpose}” is retired.").format(purpose=purpose))
        if spec.notice is not None and spec.notice.purpose_id != purpose.pk:
            problems.append(
                _("The notice chosen for “{purpose}” belongs to another purpose.").format(
                    purpose=purpose
                )
            )
        if (
            spec.notice is None
            and not ConsentNotice.objects.filter(
                purpose=purpose, published_at__lte=timezone.now()
            ).exists()
        ):
            problems.append(
                _("“{purpose}” has no published notice yet: publish one first.").format(
                    purpose=purpose
                )
            )
    sensitive = [
        spec.attribute.label
        for spec in fields
        if spec.attribute.sensitivity == AttributeDefinition.Sensitivity.SENSITIVE
    ]
    separate = any(spec.required and spec.purpose.requires_separate_consent for spec in consents)
    if sensitive and not separate:
        problems.append(
            _(
                "The form asks for sensitive information ({fields}): it needs a required "
                "consent to a purpose that takes separate consent."
            ).format(fields=", ".join(sensitive))
        )
    if problems:
        raise ValidationError({"consents": problems})


def _form_snapshot(form: WebForm) -> dict[str, Any]:
    fields = [
        f"{field.attribute.code}{'*' if field.required else ''}"
        for field in form.fields.select_related("attribute")
    ]
    consents = [
        f"{consent.purpose.code}{'*' if consent.required else ''}"
        for consent in form.consents.select_related("purpose")
    ]
    return {**snapshot(form, FORM_FIELDS), "fields": fields, "consents": consents}


@transaction.atomic
def save_form(
    form: WebForm,
    *,
    actor: Any,
    fields: Iterable[FieldSpec] | None = None,
    consents: Iterable[ConsentSpec] | None = None,
    **values: Any,
) -> WebForm:
    """Create or change a form with its fields and consent boxes (given lists replace the
    form's). Guarantees: the form asks for the name (required); every field applies to the
    kind of customer it creates and can be typed by a visitor; double opt-in has a required
    e-mail field; every consent is to an active consent-based purpose with a notice to show;
    sensitive fields come with a required separate consent; embedding origins are bare
    ``scheme://host[:port]``."""
    creating = form.pk is None
    before = {} if creating else _form_snapshot(form)
    for key, value in values.items():
        if key not in FORM_FIELDS:
            raise ValueError(f"unknown field: {key}")
        setattr(form, key, value)
    form.allowed_origins = _check_origins(form.allowed_origins or "")
    if creating and form.created_by_id is None and getattr(actor, "is_authenticated", False):
        form.created_by = actor
    form.full_clean()
    field_specs = (
        list(fields)
        if fields is not None
        else [
            FieldSpec(**{name: getattr(field, name) for name in FIELD_SPEC})
            for field in form.fields.select_related("attribute")
        ]
        if not creating
        else []
    )
    consent_specs = (
        list(consents)
        if consents is not None
        else [
            ConsentSpec(**{name: getattr(consent, name) for name in CONSENT_SPEC})
            for consent in form.consents.select_related("purpose", "notice")
        ]
        if not creating
        else []
    )
    _check_fields(form, field_specs)
    _check_consents(field_specs, consent_specs)
    form.save()
    if fields is not None:
        form.fields.all().delete()
        WebFormField.objects.bulk_create(
            WebFormField(form=form, **{name: getattr(spec, name) for name in FIELD_SPEC})
            for spec in field_specs
        )
    if consents is not None:
        form.consents.all().delete()
        WebFormConsent.objects.bulk_create(
            WebFormConsent(form=form, **{name: getattr(spec, name) for name in CONSENT_SPEC})
            for spec in consent_specs
        )
    record_change(
        form,
        actor=actor,
        action="create" if creating else "update",
        changes=diff(before, _form_snapshot(form)),
    )
    return form


@transaction.atomic
def delete_form(form: WebForm, *, actor: Any) -> None:
    """Delete a form nobody has sent yet; a form with submissions is kept as their evidence
    (make it inactive instead)."""
    if form.submissions.exists():
        raise ValidationError(
            _("People have sent this form; it is kept as evidence. Make it inactive instead.")
        )
    record_change(form, actor=actor, action="delete", changes=diff(_form_snapshot(form), {}))
    form.delete()


# --- Submissions ----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


Boxes = list[tuple[WebFormConsent, ConsentNotice]]


def consents_shown(form: WebForm, shown: Mapping[str, int] | None = None) -> Boxes:
    """Each consent box of ``form`` with the notice whose text it shows now, or, for purposes
    in ``shown`` (purpose code → notice id, as a page's token remembers them), the notice the
    page showed when it was made."""
    consents = list(form.consents.select_related("purpose", "notice"))
    earlier = ConsentNotice.objects.in_bulk(list((shown or {}).values()))
    boxes = []
    for consent in consents:
        notice = earlier.get((shown or {}).get(consent.purpose.code, 0))
        if notice is None or notice.purpose_id != consent.purpose_id:
            notice = consent.notice_shown()
        if notice is not None:
            boxes.append((consent, notice))
    return boxes


def _email(form: WebForm, data: Mapping[str, Any]) -> str:
    for field in form.fields.select_related("attribute"):
        if field.attribute.validator == AttributeDefinition.Validator.EMAIL:
            value = data.get(field.attribute.code)
            if value:
                return str(value)
    return ""


@transaction.atomic
def submit(
    form: WebForm,
    *,
    values: Mapping[str, Any],
    ticked: Iterable[str],
    language: str,
    boxes: Boxes | None = None,
    ip_hash: str = "",
    user_agent: str = "",
) -> Submission:
    """Accept what a visitor sent through ``form``.

    ``values`` maps attribute codes to what was typed; ``ticked`` lists the purposes whose box
    was ticked; ``boxes`` the consent boxes with the notices the page showed (default: the
    current ones). Raises ``ValidationError`` keyed by attribute code (or ``consent_<purpose>``)
    for wrong input, and :class:`SubmissionRefused` for a contact on the suppression list.
    Without double opt-in the values and consents are recorded at once; with it, the
    submission waits (``submission.confirm_token`` holds the link's token, for the e-mail).
    """
    if not form.is_active:
        raise ValidationError(_("This form is closed."))
    asked = {field.attribute.code: field for field in form.fields.select_related("attribute")}
    unknown = set(values) - set(asked)
    if unknown:
        raise ValidationError(
            {code: [_("This form does not ask for it.")] for code in sorted(unknown)}
        )
    missing = {
        code: [_("This field is required.")]
        for code, field in asked.items()
        if field.required and (values.get(code) in (None, "", []))
    }
    ticked = set(ticked)
    boxes = boxes if boxes is not None else consents_shown(form)
    missing.update(
        {
            consent.field_name: [_("Please agree to this to send the form.")]
            for consent, _notice in boxes
            if consent.required and consent.purpose.code not in ticked
        }
    )
    if missing:
        raise ValidationError(missing)
    cleaned = validate_values(form.party_kind, values)
    try:
        check_suppression(values)
    except ValidationError:
        raise SubmissionRefused from None
    submission = Submission(
        form=form,
        data={
            definition.code: privacy.protect(definition, value, text)[0]
            for definition, value, text in cleaned
        },
        consents={
            consent.purpose.code: {
                "purpose": consent.purpose.code,
                "notice": notice.pk,
                "version": notice.version,
                "text": notice.text_in(language),
                "checked": consent.purpose.code in ticked,
            }
            for consent, notice in boxes
        },
        language=language,
        ip_hash=ip_hash,
        user_agent=user_agent[:200],
    )
    if form.double_opt_in:
        token = secrets.token_urlsafe(32)
        submission.status = Submission.Status.PENDING
        submission.confirm_token_hash = _token_hash(token)
        submission.save()
        submission.confirm_token = token  # type: ignore[attr-defined]
        return submission
    submission.save()
    _record(submission)
    return submission


def _plain_values(submission: Submission) -> dict[str, Any]:
    return {code: privacy.plain(code, stored) for code, stored in submission.data.items()}


def _record(submission: Submission) -> Party:
    """Write the submission's values and consents to the customer it matches, or a new one."""
    form = submission.form
    values = _plain_values(submission)
    granted = submission.granted
    provenance = Provenance(
        source=form.source,
        source_ref=f"submission #{submission.pk}",
        collected_at=submission.created_at,
        consent=",".join(granted),
        collector_name=form.name[:150],
    )
    found = find_match(values)
    if found is not None and (found.kind != form.party_kind or found.erased_at is not None):
        found = None
    party: Party | None = None
    if found is not None and form.double_opt_in:
        # Only the e-mail address the visitor proved theirs names the customer to add to.
        party = find_match({"email": values.get("email")}) if values.get("email") else None
        party = party if party is not None and party.pk == found.pk else None
    if party is not None:
        record_observations(party, values, actor=None, provenance=provenance)
    else:
        attributes = dict(values)
        name = str(attributes.pop(NAME, "") or "")
        owner = form.owner if form.owner is not None and form.owner.is_active else None
        party = create_party(
            actor=None,
            kind=form.party_kind,
            name=name,
            attributes=attributes,
            provenance=provenance,
            owner=owner,
            team=owner.team if owner is not None else None,
        )
        queue_likely_duplicates(party, {NAME: name, **attributes})
        if found is not None:
            # Unproven: whoever knows a customer's e-mail or mobile could otherwise add values
            # and consents to that record. A person decides whether they are the same.
            queue_pair(party, found, found_by=MatchCandidate.FoundBy.ENTRY)
    purposes = {purpose.code: purpose for purpose in Purpose.objects.filter(code__in=granted)}
    notices = ConsentNotice.objects.in_bulk(
        [submission.consents[code]["notice"] for code in granted]
    )
    for code in granted:
        consent_services.grant(
            party,
            purposes[code],
            actor=None,
            notice=notices.get(submission.consents[code]["notice"]),
            channel=Channel.WEB_FORM,
            evidence=f"web form {form.slug}, submission #{submission.pk}",
            occurred_at=submission.created_at,
            language=submission.language,
        )
    submission.party = party
    submission.save(update_fields=["party"])
    return party


def send_confirmation(submission: Submission, link: str) -> None:
    """E-mail the link that confirms ``submission`` to the address it gives, in the language
    the form was filled in."""
    address = _email(submission.form, _plain_values(submission))
    if not address:
        return
    with translation.override(submission.language):
        context = {
            "form": submission.form,
            "title": submission.form.title_in(submission.language),
            "link": link,
            "hours": confirm_hours(),
        }
        subject = render_to_string("webforms/email/confirm_subject.txt", context).strip()
        body = render_to_string("webforms/email/confirm_body.txt", context)
    send_mail(" ".join(subject.split()), body, None, [address])


def pending_for(token: str) -> Submission:
    """The submission waiting for the link ``token``; :class:`ConfirmationInvalid` otherwise."""
    submission = (
        Submission.objects.select_related("form")
        .filter(confirm_token_hash=_token_hash(token), status=Submission.Status.PENDING)
        .first()
        if token
        else None
    )
    if submission is None:
        raise ConfirmationInvalid
    if submission.created_at < timezone.now() - datetime.timedelta(hours=confirm_hours()):
        _forget(submission, Submission.Status.EXPIRED)
        raise ConfirmationInvalid
    return submission


def _forget(submission: Submission, status: str) -> None:
    """Close a submission that will never be recorded and drop the values it held."""
    Submission.objects.filter(pk=submission.pk).update(
        status=status, data={}, confirm_token_hash=""
    )
    submission.status, submission.data, submission.confirm_token_hash = status, {}, ""


def confirm(token: str) -> Submission:
    """Record the submission whose e-mailed link this is (once). A contact put on the
    suppression list meanwhile rejects it (:class:`SubmissionRefused`, nothing is recorded and
    its values are dropped); an unknown, used or expired link raises
    :class:`ConfirmationInvalid`."""
    submission = pending_for(token)
    try:
        with transaction.atomic():
            # Two clicks on the link at once record it once.
            locked = Submission.objects.select_for_update().filter(pk=submission.pk).first()
            if locked is None or locked.status != Submission.Status.PENDING:
                raise ConfirmationInvalid
            check_suppression(_plain_values(submission))
            submission.status = Submission.Status.CONFIRMED
            submission.confirmed_at = timezone.now()
            submission.confirm_token_hash = ""
            submission.save(update_fields=["status", "confirmed_at", "confirm_token_hash"])
            _record(submission)
    except ValidationError:
        _forget(submission, Submission.Status.REJECTED)
        raise SubmissionRefused from None
    return submission


def expire_pending(now: datetime.datetime | None = None) -> int:
    """Close the submissions not confirmed within ``WEBFORM_CONFIRM_HOURS`` and drop their
    values; returns how many."""
    limit = (now or timezone.now()) - datetime.timedelta(hours=confirm_hours())
    return Submission.objects.filter(status=Submission.Status.PENDING, created_at__lt=limit).update(
        status=Submission.Status.EXPIRED, data={}, confirm_token_hash=""
    )
