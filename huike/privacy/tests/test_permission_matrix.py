"""Who may reach each privacy page and endpoint (the permission matrix: see
``huike.core.testing.matrix``).

The consent routes are played by a salesperson (record scope "own"), so "out of scope" has
someone to be out of scope for; the registry pages (purposes, notices, assessments, records of
processing) concern no customer and are not scoped.
"""

from __future__ import annotations

from typing import Any

from huike.accounts.models import User
from huike.core.testing.matrix import PROBE_NAME, PermissionMatrix, Route
from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.privacy import services
from huike.privacy.models import (
    ConsentNotice,
    ConsentRecord,
    ImpactAssessment,
    PartyConsent,
    Purpose,
)
from huike.privacy.tests.factories import grant, purpose

VIEW_CONSENT = "privacy.view_consentrecord"
ADD_CONSENT = "privacy.add_consentrecord"
SELLER = "salesperson"


def customer(owner: User) -> Party:
    return person(PROBE_NAME, actor=None, owner=owner, team=owner.team)


def consenting_customer(owner: User) -> Party:
    party = customer(owner)
    grant(party, "marketing")
    return party


def ledger_row(owner: User) -> ConsentRecord:
    return grant(customer(owner), "marketing", evidence="矩阵证据")


def records_of(party: Party) -> int:
    return ConsentRecord.objects.filter(party=party).count()


def marketing_granted(party: Party) -> bool:
    return PartyConsent.objects.get(party=party, purpose__code="marketing").granted


def marketing(_owner: User) -> Purpose:
    return purpose("marketing")


def unused_notice(_owner: User) -> ConsentNotice:
    return services.save_notice(
        ConsentNotice(purpose=purpose("marketing")), actor=None, text_en="Draft wording"
    )


def assessment(_owner: User) -> ImpactAssessment:
    return services.save_assessment(ImpactAssessment(), actor=None, title="矩阵评估")


def purpose_form(obj: Any) -> dict[str, Any]:
    return {
        "code": "matrix",
        "name_zh": "矩阵",
        "name_en": "Matrix",
        "legal_basis": "consent",
        "retention_days": "30",
        "order": "99",
        "is_active": "on",
    }


def purpose_edit_form(obj: Purpose) -> dict[str, Any]:
    return {**purpose_form(obj), "code": obj.code, "name_en": "Marketing messages"}


NOTICE_FORM = {"text_zh": "矩阵", "text_en": "Matrix", "published_at": "2026-01-01T09:00"}
ASSESSMENT_FORM = {"title": "矩阵评估", "risk_level": "low", "assessed_at": "2026-01-01"}
SCOPED_CUSTOMER: dict[str, Any] = {"role": SELLER, "scoped": True, "make_object": customer}


class TestPrivacyMatrix(PermissionMatrix):
    routes = [
        # The consent panel of the customer page.
        Route("privacy:party_consents", kind="detail", permission=VIEW_CONSENT, **SCOPED_CUSTOMER),
        Route(
            "privacy:party_consent_record",
            kind="create",
            method="POST",
            permission=ADD_CONSENT,
            model=ConsentRecord,
            url_kwargs=lambda party: {"pk": party.pk},
            data={"purpose": "profiling", "channel": "phone"},
            effect=records_of,
            ok=(302,),
            **SCOPED_CUSTOMER,
        ),
        Route(
            "privacy:party_consent_withdraw",
            kind="action",
            method="POST",
            permission=ADD_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=consenting_customer,
            url_kwargs=lambda party: {"pk": party.pk, "code": "marketing"},
            effect=marketing_granted,
            ok=(302,),
        ),
        # The consent ledger.
        Route(
            "privacy:consentrecord_list",
            kind="list",
            permission=VIEW_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=ledger_row,
            marker=lambda record: PROBE_NAME,
        ),
        Route(
            "privacy:consentrecord_list",
            kind="export",
            permission=VIEW_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=ledger_row,
            query={"export": "csv"},
            marker=lambda record: PROBE_NAME,
            variant="csv",
        ),
        Route(
            "privacy:consentrecord",
            kind="detail",
            permission=VIEW_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=ledger_row,
        ),
        # Purposes and their notices.
        Route(
            "privacy:purpose_list",
            kind="list",
            permission="privacy.view_purpose",
            make_object=marketing,
            marker=lambda p: p.code,
        ),
        Route(
            "privacy:purpose",
            kind="detail",
            permission="privacy.view_purpose",
            make_object=marketing,
        ),
        Route("privacy:purpose_add", kind="create", permission="privacy.add_purpose"),
        Route(
            "privacy:purpose_add",
            kind="create",
            method="POST",
            permission="privacy.add_purpose",
            model=Purpose,
            data=purpose_form,
            ok=(302,),
        ),
        Route(
            "privacy:purpose_edit",
            kind="update",
            permission="privacy.change_purpose",
            make_object=marketing,
        ),
        Route(
            "privacy:purpose_edit",
            kind="update",
            method="POST",
            permission="privacy.change_purpose",
            make_object=marketing,
            data=purpose_edit_form,
            ok=(302,),
        ),
        Route(
            "privacy:consentnotice_list",
            kind="list",
            permission="privacy.view_consentnotice",
            make_object=unused_notice,
            marker=lambda notice: "Draft wording",
        ),
        Route(
            "privacy:consentnotice",
            kind="detail",
            permission="privacy.view_consentnotice",
            make_object=unused_notice,
        ),
        Route(
            "privacy:consentnotice_add",
            kind="create",
            permission="privacy.add_consentnotice",
            make_object=marketing,
            url_kwargs=lambda p: {"purpose_pk": p.pk},
        ),
        Route(
            "privacy:consentnotice_add",
            kind="create",
            method="POST",
            permission="privacy.add_consentnotice",
            model=ConsentNotice,
            make_object=marketing,
            url_kwargs=lambda p: {"purpose_pk": p.pk},
            data=NOTICE_FORM,
            ok=(302,),
        ),
        Route(
            "privacy:consentnotice_edit",
            kind="update",
            permission="privacy.change_consentnotice",
            make_object=unused_notice,
        ),
        Route(
            "privacy:consentnotice_edit",
            kind="update",
            method="POST",
            permission="privacy.change_consentnotice",
            make_object=unused_notice,
            data=NOTICE_FORM,
            ok=(302,),
        ),
        # Records of processing and impact assessments.
        Route("privacy:processing_records", kind="page", permission="privacy.view_purpose"),
        Route(
            "privacy:impactassessment_list",
            kind="list",
            permission="privacy.view_impactassessment",
            make_object=assessment,
            marker=lambda a: a.title,
        ),
        Route(
            "privacy:impactassessment",
            kind="detail",
            permission="privacy.view_impactassessment",
            make_object=assessment,
        ),
        Route(
            "privacy:impactassessment_add",
            kind="create",
            permission="privacy.add_impactassessment",
        ),
        Route(
            "privacy:impactassessment_add",
            kind="create",
            method="POST",
            permission="privacy.add_impactassessment",
            model=ImpactAssessment,
            data=ASSESSMENT_FORM,
            ok=(302,),
        ),
        Route(
            "privacy:impactassessment_edit",
            kind="update",
            permission="privacy.change_impactassessment",
            make_object=assessment,
        ),
        Route(
            "privacy:impactassessment_edit",
            kind="update",
            method="POST",
            permission="privacy.change_impactassessment",
            make_object=assessment,
            data={**ASSESSMENT_FORM, "title": "Renamed"},
            ok=(302,),
        ),
        # API: purposes are readable by everyone signed in; the ledger follows the record scope.
        Route("api:purpose-list", kind="list", make_object=marketing, marker=lambda p: p.code),
        Route(
            "api:purpose-detail",
            kind="detail",
            make_object=marketing,
            url_kwargs=lambda p: {"code": p.code},
        ),
        Route(
            "api:consent-list",
            kind="list",
            permission=VIEW_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=ledger_row,
            marker=lambda record: record.evidence,
        ),
        Route(
            "api:consent-list",
            kind="create",
            method="POST",
            permission=ADD_CONSENT,
            model=ConsentRecord,
            data=lambda party: {"party": party.pk, "purpose": "marketing", "status": "granted"},
            effect=records_of,
            ok=(201,),
            # A customer out of scope is refused as one that does not exist: a validation error
            # on ``party`` ("object does not exist"), never 403.
            out_of_scope_status=(400,),
            **SCOPED_CUSTOMER,
        ),
        Route(
            "api:consent-detail",
            kind="detail",
            permission=VIEW_CONSENT,
            role=SELLER,
            scoped=True,
            make_object=ledger_row,
        ),
    ]
