"""Who may reach each customer page and endpoint, and what they see there (the permission
matrix: see ``huike.core.testing.matrix``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from huike.accounts.models import Role, User
from huike.accounts.tests.factories import UserFactory
from huike.core.models import AccessLog
from huike.core.testing.matrix import (
    MOBILE,
    PROBE_NAME,
    PROBE_PINYIN,
    RESIDENT_ID,
    PermissionMatrix,
    Route,
)
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    GoldenValue,
    Observation,
    Party,
    PartyShare,
    Relationship,
)
from huike.parties.tests.factories import observe, person

BOTH = (MOBILE, RESIDENT_ID)


def probe(owner: User) -> Party:
    """The owner's customer, holding a personal (mobile) and a sensitive (resident ID) value.

    Recorded by the system (``actor=None``): roles that may not edit a value may still own a
    customer who has one.
    """
    return person(
        PROBE_NAME,
        actor=None,
        owner=owner,
        team=owner.team,
        attributes={"mobile": MOBILE, "resident_id": RESIDENT_ID},
    )


def stale_probe(owner: User) -> Party:
    """A probe whose values are past their re-evaluation date."""
    party = probe(owner)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    GoldenValue.objects.filter(party=party).update(stale_at=yesterday)
    return party


def probe_with_history(owner: User) -> Party:
    """A probe whose mobile changed once, so an older value can be chosen again."""
    party = probe(owner)
    observe(party, {"mobile": "13900139000"})
    return party


def older_mobile(party: Party) -> dict[str, Any]:
    first = Observation.objects.filter(party=party, attribute__code="mobile").order_by("pk")[0]
    return {"pk": party.pk, "observation_id": first.pk}


def probe_relationship(owner: User) -> Relationship:
    colleague = person("同事", owner=owner, team=owner.team)
    return Relationship.objects.create(
        from_party=probe(owner), to_party=colleague, kind=Relationship.Kind.RELATIVE
    )


def name(obj: Any) -> str:
    return str(obj.name)


def probe_name(relationship: Relationship) -> str:
    return str(relationship.from_party.name)


def stage(party: Party) -> str:
    return Party.objects.get(pk=party.pk).stage


def golden_mobile(party: Party) -> Any:
    return GoldenValue.objects.get(party=party, attribute__code="mobile").observation_id


def relationships_of(party: Party) -> int:
    return Relationship.objects.filter(from_party=party).count() + (
        Relationship.objects.filter(to_party=party).count()
    )


def reveals_of(party: Party) -> int:
    return AccessLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Party), object_id=str(party.pk)
    ).count()


def stranger_of(party: Party) -> dict[str, Any]:
    """A second customer of the same owner, for "add a relationship"."""
    assert party.owner is not None
    other = person("亲戚", owner=party.owner, team=party.owner.team)
    return {"other": str(other.pk), "kind": Relationship.Kind.RELATIVE}


SHARE_NOTE = "甄探针共享备注"


def share_recipient() -> User:
    """A colleague outside every matrix team, to share a customer with."""
    return UserFactory.create(role=Role.objects.get(code="salesperson"), team=None)


def shared_probe(owner: User) -> PartyShare:
    """The owner's probe customer, shared with a colleague."""
    party = probe(owner)
    return PartyShare.objects.create(
        party=party, user=share_recipient(), granted_by=owner, note=SHARE_NOTE
    )


def shares_of(party: Party) -> int:
    return PartyShare.objects.filter(party=party).count()


def share_urls(share: PartyShare) -> dict[str, Any]:
    return {"pk": share.party_id, "share_id": share.pk}


def party_form(party: Party) -> dict[str, Any]:
    return {"kind": "person", "name": "甄改名", "stage": "customer", "version": party.version}


def first_nature(_owner: User) -> CustomerNature:
    return CustomerNature.objects.order_by("pk")[0]


def mobile_definition(_owner: User) -> AttributeDefinition:
    return AttributeDefinition.objects.get(code="mobile")


def nature_form(_obj: Any) -> dict[str, Any]:
    return {"code": "matrix", "name_zh": "矩阵", "name_en": "Matrix", "order": 99}


def definition_form(_obj: Any) -> dict[str, Any]:
    return {
        "code": "matrix_note",
        "label_zh": "矩阵备注",
        "label_en": "Matrix note",
        "section": "preferences",
        "data_type": "text",
        "applies_to": "both",
        "sensitivity": "public",
        "reevaluate_days": 365,
        "survivorship": "most_recent",
        "choices": "[]",
        "order": 99,
        "is_active": "on",
    }


VIEW = "parties.view_party"
CHANGE = "parties.change_party"
SCOPED_PARTY: dict[str, Any] = {"make_object": probe, "scoped": True, "model": Party}

HTML_ROUTES = [
    # The customer list, its exports and its bulk bar.
    Route(
        "parties:party_list",
        kind="list",
        permission=VIEW,
        marker=name,
        shows=(MOBILE,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_list",
        kind="export",
        variant="csv",
        query={"export": "csv"},
        permission=VIEW,
        marker=name,
        shows=(MOBILE,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_list",
        kind="export",
        variant="xlsx",
        query={"export": "xlsx"},
        permission=VIEW,
        marker=name,
        shows=(MOBILE,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_bulk",
        kind="bulk",
        method="POST",
        permission=CHANGE,
        data=lambda party: {"selection": [str(party.pk)], "stage": "customer"},
        effect=stage,
        ok=(302,),
        **SCOPED_PARTY,
    ),
    # One customer: the 360° page, the form, lineage, reveal, "still correct", "use this".
    Route("parties:party", kind="detail", permission=VIEW, shows=BOTH, **SCOPED_PARTY),
    Route("parties:party_add", kind="create", permission="parties.add_party", model=Party),
    Route(
        "parties:party_add",
        kind="create",
        method="POST",
        permission="parties.add_party",
        model=Party,
        data={"kind": "person", "name": "甄新客", "stage": "prospect"},
        ok=(302,),
    ),
    Route("parties:party_edit", kind="update", permission=CHANGE, shows=BOTH, **SCOPED_PARTY),
    Route(
        "parties:party_edit",
        kind="update",
        method="POST",
        permission=CHANGE,
        data=party_form,
        ok=(302,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_lineage",
        kind="detail",
        variant="mobile",
        permission=VIEW,
        url_kwargs=lambda party: {"pk": party.pk, "code": "mobile"},
        shows=(MOBILE,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_lineage",
        kind="detail",
        variant="resident_id,htmx",
        permission=VIEW,
        url_kwargs=lambda party: {"pk": party.pk, "code": "resident_id"},
        headers={"HTTP_HX_REQUEST": "true"},
        shows=(RESIDENT_ID,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_reveal",
        kind="action",
        method="POST",
        permission="core.reveal_sensitive",
        role="manager",  # may reveal sensitive values (logged); a salesperson sees them masked
        url_kwargs=lambda party: {"pk": party.pk, "code": "resident_id"},
        data={"reason": "Customer asked to check the ID on file"},
        effect=reveals_of,
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_confirm",
        kind="action",
        method="POST",
        permission=CHANGE,
        data={"attribute": ["mobile"]},
        ok=(302,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_use_value",
        kind="action",
        method="POST",
        permission=CHANGE,
        model=Party,
        make_object=probe_with_history,
        scoped=True,
        url_kwargs=older_mobile,
        effect=golden_mobile,
        ok=(302,),
    ),
    Route(
        "parties:party_relationship_add",
        kind="create",
        method="POST",
        permission="parties.add_relationship",
        url_kwargs=lambda party: {"pk": party.pk},
        data=stranger_of,
        effect=relationships_of,
        ok=(302,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:reevaluation",
        kind="list",
        permission=VIEW,
        model=Party,
        make_object=stale_probe,
        scoped=True,
        marker=name,
        shows=BOTH,
    ),
    # Explicit shares: the panel (a salesperson may see it), sharing and withdrawing (a manager).
    Route(
        "parties:party_shares",
        kind="detail",
        permission="parties.view_partyshare",
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_shares",
        kind="create",
        method="POST",
        permission="parties.add_partyshare",
        url_kwargs=lambda party: {"pk": party.pk},
        data=lambda _party: {"user": str(share_recipient().pk), "note": SHARE_NOTE},
        effect=shares_of,
        ok=(302,),
        **SCOPED_PARTY,
    ),
    Route(
        "parties:party_share_delete",
        kind="delete",
        method="POST",
        permission="parties.delete_partyshare",
        model=PartyShare,
        make_object=shared_probe,
        scoped=True,
        url_kwargs=share_urls,
        ok=(302,),
    ),
    # Reference data and settings.
    Route("parties:region_tree", kind="list"),
    Route("parties:industry_tree", kind="list"),
    Route(
        "parties:customernature_list",
        kind="list",
        permission="parties.view_customernature",
        make_object=first_nature,
        marker=lambda nature: str(nature.code),
    ),
    Route("parties:customernature_add", kind="create", permission="parties.add_customernature"),
    Route(
        "parties:customernature_add",
        kind="create",
        method="POST",
        permission="parties.add_customernature",
        model=CustomerNature,
        data=nature_form,
        ok=(302,),
    ),
    Route(
        "parties:customernature_edit",
        kind="update",
        permission="parties.change_customernature",
        make_object=first_nature,
    ),
    Route(
        "parties:customernature_edit",
        kind="update",
        method="POST",
        permission="parties.change_customernature",
        make_object=first_nature,
        data=lambda nature: {**nature_form(nature), "code": nature.code, "name_en": "Renamed"},
        effect=lambda nature: CustomerNature.objects.get(pk=nature.pk).name_en,
        ok=(302,),
    ),
    Route(
        "parties:attributedefinition_list",
        kind="list",
        permission="parties.view_attributedefinition",
        make_object=mobile_definition,
        marker=lambda definition: str(definition.code),
    ),
    Route(
        "parties:attributedefinition",
        kind="detail",
        permission="parties.view_attributedefinition",
        make_object=mobile_definition,
    ),
    Route(
        "parties:attributedefinition_add",
        kind="create",
        permission="parties.add_attributedefinition",
    ),
    Route(
        "parties:attributedefinition_add",
        kind="create",
        method="POST",
        permission="parties.add_attributedefinition",
        model=AttributeDefinition,
        data=definition_form,
        ok=(302,),
    ),
    Route(
        "parties:attributedefinition_edit",
        kind="update",
        permission="parties.change_attributedefinition",
        make_object=mobile_definition,
    ),
    Route(
        "parties:attributedefinition_edit",
        kind="update",
        method="POST",
        permission="parties.change_attributedefinition",
        make_object=mobile_definition,
        data=lambda definition: {
            **definition_form(definition),
            "code": "mobile",
            "label_en": "Cell phone",
            "section": definition.section,
            "validator": definition.validator,
            "sensitivity": definition.sensitivity,
            "applies_to": definition.applies_to,
        },
        effect=lambda definition: AttributeDefinition.objects.get(pk=definition.pk).label_en,
        ok=(302,),
    ),
]

API_ROUTES = [
    Route(
        "api:party-list",
        kind="list",
        permission=VIEW,
        marker=name,
        shows=BOTH,
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-list",
        kind="search",
        variant="q",
        query={"q": PROBE_PINYIN},
        permission=VIEW,
        marker=name,
        shows=BOTH,
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-list",
        kind="create",
        method="POST",
        permission="parties.add_party",
        model=Party,
        data={"kind": "person", "name": "甄新客", "attributes": {"email": "new@example.com"}},
        ok=(201,),
    ),
    Route("api:party-detail", kind="detail", permission=VIEW, shows=BOTH, **SCOPED_PARTY),
    Route(
        "api:party-detail",
        kind="update",
        method="PUT",
        permission=CHANGE,
        data={"kind": "person", "name": "甄改名", "stage": "customer"},
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-detail",
        kind="update",
        method="PATCH",
        permission=CHANGE,
        data={"stage": "customer"},
        effect=stage,
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-detail",
        kind="delete",
        method="DELETE",
        permission="parties.delete_party",
        ok=(204,),
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-reveal",
        kind="action",
        method="POST",
        permission="core.reveal_sensitive",
        role="manager",
        data={"attributes": ["resident_id"], "reason": "Customer asked to check the ID on file"},
        effect=reveals_of,
        **SCOPED_PARTY,
    ),
    Route(
        "api:party-lineage",
        kind="detail",
        permission=VIEW,
        query={"attribute": "resident_id"},
        shows=(RESIDENT_ID,),
        **SCOPED_PARTY,
    ),
    Route(
        "api:observation-list",
        kind="list",
        permission="parties.view_observation",
        query=lambda party: {"party": party.pk},
        marker=lambda party: f'"party": {party.pk},',
        shows=BOTH,
        **SCOPED_PARTY,
    ),
    Route(
        "api:observation-list",
        kind="create",
        method="POST",
        permission="parties.add_observation",
        data=lambda party: {
            "party": party.pk,
            "attributes": {"email": "probe@example.com"},
            "source": "pos",
        },
        effect=lambda party: Observation.objects.filter(party=party).count(),
        ok=(201,),
        **SCOPED_PARTY,
    ),
    Route("api:attribute-list", kind="list"),
    Route(
        "api:attribute-list",
        kind="create",
        method="POST",
        permission="parties.add_attributedefinition",
        model=AttributeDefinition,
        data={
            "code": "matrix_note",
            "label_zh": "矩阵备注",
            "label_en": "Matrix note",
            "section": "preferences",
            "data_type": "text",
        },
        ok=(201,),
    ),
    Route("api:attribute-detail", kind="detail", make_object=mobile_definition),
    Route(
        "api:attribute-detail",
        kind="update",
        method="PATCH",
        permission="parties.change_attributedefinition",
        make_object=mobile_definition,
        data={"label_en": "Cell phone"},
        effect=lambda definition: AttributeDefinition.objects.get(pk=definition.pk).label_en,
    ),
    Route(
        "api:relationship-list",
        kind="list",
        permission="parties.view_relationship",
        model=Relationship,
        make_object=probe_relationship,
        scoped=True,
        marker=lambda relationship: f'"id": {relationship.pk},',
    ),
    Route(
        "api:relationship-list",
        kind="create",
        method="POST",
        permission="parties.add_relationship",
        model=Relationship,
        make_object=probe,
        scoped=True,
        data=lambda party: {
            "from_party": party.pk,
            "to_party": person("亲戚", owner=party.owner, team=party.team).pk,
            "kind": "relative",
        },
        ok=(201,),
        out_of_scope_status=(400,),  # "no such customer": the same answer as for a wrong id
    ),
    Route(
        "api:relationship-detail",
        kind="detail",
        permission="parties.view_relationship",
        model=Relationship,
        make_object=probe_relationship,
        scoped=True,
    ),
    Route(
        "api:relationship-detail",
        kind="update",
        method="PUT",
        permission="parties.change_relationship",
        model=Relationship,
        make_object=probe_relationship,
        scoped=True,
        data=lambda relationship: {
            "from_party": relationship.from_party_id,
            "to_party": relationship.to_party_id,
            "kind": "friend",
        },
    ),
    Route(
        "api:relationship-detail",
        kind="update",
        method="PATCH",
        permission="parties.change_relationship",
        model=Relationship,
        make_object=probe_relationship,
        scoped=True,
        data={"note": "Met at the fair"},
    ),
    Route(
        "api:relationship-detail",
        kind="delete",
        method="DELETE",
        permission="parties.delete_relationship",
        model=Relationship,
        make_object=probe_relationship,
        scoped=True,
        ok=(204,),
    ),
    Route(
        "api:partyshare-list",
        kind="list",
        permission="parties.view_partyshare",
        model=PartyShare,
        make_object=shared_probe,
        scoped=True,
        marker=lambda _share: SHARE_NOTE,
    ),
    Route(
        "api:partyshare-list",
        kind="create",
        method="POST",
        permission="parties.add_partyshare",
        data=lambda party: {
            "party": party.pk,
            "user": share_recipient().username,
            "note": SHARE_NOTE,
        },
        effect=shares_of,
        ok=(201,),
        out_of_scope_status=(400,),  # "no such customer": the same answer as for a wrong id
        **SCOPED_PARTY,
    ),
    Route(
        "api:partyshare-detail",
        kind="detail",
        permission="parties.view_partyshare",
        model=PartyShare,
        make_object=shared_probe,
        scoped=True,
    ),
    Route(
        "api:partyshare-detail",
        kind="delete",
        method="DELETE",
        permission="parties.delete_partyshare",
        model=PartyShare,
        make_object=shared_probe,
        scoped=True,
        ok=(204,),
    ),
    # Reference data: any signed-in caller.
    Route("api:region-list", kind="list"),
    Route("api:region-detail", kind="detail", url_kwargs=lambda _obj: {"code": "110000"}),
    Route("api:industry-list", kind="list"),
    Route("api:industry-detail", kind="detail", url_kwargs=lambda _obj: {"code": "C"}),
]


class TestPartiesMatrix(PermissionMatrix):
    routes = [*HTML_ROUTES, *API_ROUTES]
