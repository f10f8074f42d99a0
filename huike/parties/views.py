"""Customer pages: the list, the 360° view, the edit form, lineage, freshness."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huike.accounts.models import User
from huike.core.models import AccessLog
from huike.core.services import log_access
from huike.core.views.generic import ObjectDetailView, ObjectEditView, ObjectListView
from huike.identity import matching
from huike.identity import services as identity
from huike.identity.models import Decision
from huike.parties import privacy, selectors, services
from huike.parties.attributes import SECTIONS
from huike.parties.filters import PartyFilterSet
from huike.parties.forms import AttributeDefinitionForm, CustomerNatureForm, PartyForm
from huike.parties.models import (
    AttributeDefinition,
    CustomerNature,
    GoldenValue,
    Industry,
    Party,
    Region,
    Relationship,
    Tag,
    section_label,
)
from huike.parties.tables import AttributeDefinitionTable, CustomerNatureTable, PartyTable
from huike.parties.values import display


class PartyListView(ObjectListView):
    model = Party
    filterset_class = PartyFilterSet
    table_class = PartyTable
    template_name = "parties/party_list.html"
    default_order = "-pk"

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().select_related("owner", "region")
        if self.request.GET.get("export"):
            # Restricted processing (a data-subject request is open) and erased customers are
            # kept, not used: they never leave in an export.
            queryset = queryset.filter(processing_restricted=False, erased_at__isnull=True)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("parties.change_party"):
            context.update(
                bulk_template="parties/_bulk_actions.html",
                bulk_url=reverse("parties:party_bulk"),
                bulk_owners=User.objects.filter(is_active=True).order_by("username"),
                bulk_stages=Party.Stage.choices,
            )
        return context


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply the bulk bar of the customer list to the selected (and visible) customers."""
    if not request.user.has_perm("parties.change_party"):
        raise PermissionDenied
    next_url = request.POST.get("next") or reverse("parties:party_list")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("parties:party_list")
    ids = [int(pk) for pk in request.POST.getlist("selection") if pk.isdigit()][
        : services.BULK_LIMIT
    ]
    owner = User.objects.filter(username=request.POST.get("owner") or None, is_active=True).first()
    stage = request.POST.get("stage") or None
    tag_name = (request.POST.get("tag") or "").strip()[:50]
    if not ids or not (owner or stage or tag_name):
        messages.warning(request, _("Select customers and choose what to change."))
        return HttpResponseRedirect(next_url)
    tag = Tag.objects.get_or_create(name=tag_name)[0] if tag_name else None
    parties = Party.objects.visible_to(request.user).filter(pk__in=ids)
    try:
        count = services.bulk_update(
            parties, actor=request.user, owner=owner, stage=stage, add_tag=tag
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Changed {count} customers.").format(count=count))
    return HttpResponseRedirect(next_url)


@dataclass
class DuplicateCheck:
    """What the at-entry check found (every customer, scope aside) and, when the form must
    not be saved, the page to answer with instead."""

    found: list[matching.Candidate]
    answer: HttpResponse | None


class PartyEditView(ObjectEditView):
    model = Party
    form_class = PartyForm
    template_name = "parties/party_edit.html"

    def get_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return PartyForm(
            owner=self.request.user,
            user=self.request.user,
            data=data,
            files=files,
            instance=self.get_object() or Party(),
            kind=self.request.GET.get("kind"),
        )

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        assert isinstance(form, PartyForm)
        fields = form.party_fields()
        tags = form.cleaned_data["tags"]
        attributes = form.attribute_values()
        party = self.get_object()
        if party is None:
            kind = fields.pop("kind")
            name = fields.pop("name")
            if fields.get("owner") is None:
                fields["owner"] = actor
            return services.create_party(
                actor=actor, kind=kind, name=name, attributes=attributes, tags=tags, **fields
            )
        fields.pop("kind", None)
        assert isinstance(party, Party)
        return services.update_party(
            party,
            actor=actor,
            expected_version=form.cleaned_data.get("version"),
            attributes=attributes,
            tags=tags,
            **fields,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            assert isinstance(form, PartyForm)
            creating = self.get_object() is None
            try:
                with transaction.atomic():
                    check = self.check_duplicates(form) if creating else None
                    if check is not None and check.answer is not None:
                        return check.answer
                    party = self.save(form, actor=request.user)
                    if check is not None and check.found:
                        # Created although it looks like someone already on file (perhaps
                        # someone this user may not see): a reviewer gets the pairs.
                        identity.queue_found(party, check.found)
            except services.VersionConflict:
                form.add_error(
                    None,
                    _(
                        "Someone else saved this customer while you were editing. Your changes "
                        "are still in the form: check the current record in another tab, then "
                        "save again."
                    ),
                )
                data = form.data.copy()  # type: ignore[attr-defined]
                data["version"] = str(self.get_object().version)  # type: ignore[union-attr]
                form.data = data
            except ValidationError as error:
                form.add_service_errors(
                    error.message_dict
                    if hasattr(error, "error_dict")
                    else {"__all__": error.messages}
                )
            else:
                messages.success(request, _("Saved {name}.").format(name=party))
                return HttpResponseRedirect(cast(Party, party).get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def check_duplicates(self, form: PartyForm) -> DuplicateCheck:
        """The at-entry check of a new customer: likely duplicates among every customer (all
        of them are queued when it is created anyway), the ones this user may see shown as a
        warning unless the form says "create anyway". "Add these details to this customer"
        (``add_to``) answers with the values recorded on that customer instead."""
        request = self.request
        kind = form.cleaned_data["kind"]
        values = form.entered_values()
        # What saving would refuse is reported first, as usual (not hidden by a warning).
        services.check_edit_rights(request.user, services.validate_values(kind, values))
        services.check_assignment(
            request.user, form.cleaned_data.get("owner"), form.cleaned_data.get("team")
        )
        services.check_suppression(values)
        wanted = request.POST.get("add_to", "")
        if wanted:
            return DuplicateCheck([], self.add_to_existing(kind, wanted, values))
        check = identity.check_at_entry(kind, values, user=request.user)
        found, shown = check.found, check.shown
        if not shown or request.POST.get("create_anyway"):
            return DuplicateCheck(found, None)
        may_change = request.user.has_perm("parties.change_party")
        duplicates = [
            {
                "party": c.party,
                "percent": round(c.score.probability * 100),
                "decision": c.score.decision,
                "decision_label": Decision(c.score.decision).label,
                "reasons": [part.label for part in c.score.parts if part.agrees],
                "can_add": may_change,
            }
            for c in shown
        ]
        context = self.get_context_data(form=form, duplicates=duplicates)
        return DuplicateCheck(found, self.render_to_response(context, status=200))

    def add_to_existing(self, kind: str, wanted: str, values: dict[str, Any]) -> HttpResponse:
        """Record what was typed as observations of the customer it duplicates (its name,
        owner, stage and tags stay as they are)."""
        request = self.request
        party = get_object_or_404(
            Party.objects.visible_to(request.user), pk=int(wanted) if wanted.isdigit() else 0
        )
        if not request.user.has_perm("parties.change_party"):
            raise PermissionDenied
        if party.kind != kind:
            raise Http404
        details = {code: value for code, value in values.items() if code != services.NAME}
        services.record_observations(party, details, actor=request.user)
        messages.success(request, _("Added the details to {name}.").format(name=party))
        return HttpResponseRedirect(party.get_absolute_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["sections"] = [
            (section_label(code), [form[name] for name in names])
            for code, names in form.sections.items()
            if names
        ]
        return context


class PartyDetailView(ObjectDetailView):
    model = Party
    template_name = "parties/party_detail.html"

    def get_object(self) -> Party:
        try:
            return selectors.party_for_360(self.request.user, self.kwargs["pk"])
        except Party.DoesNotExist:
            raise Http404 from None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # A customer merged away: off to the one it lives on in, when the reader sees it.
            from huike.identity.views import merged_redirect

            redirect = merged_redirect(request, self.kwargs["pk"])
            if redirect is None:
                raise
            return redirect

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        party: Party = context["object"]
        from huike.identity.views import party_panel

        context.update(party_panel(self.request.user, party))
        now = timezone.now()
        sections: OrderedDict[str, list[dict[str, Any]]] = OrderedDict(
            (code, []) for code in SECTIONS
        )
        for golden in sorted(
            party.golden_values.all(), key=lambda g: (g.attribute.section, g.attribute.order)
        ):
            attribute = golden.attribute
            if attribute.code == "name":
                continue
            observation = golden.observation
            seen = privacy.shown(self.request.user, attribute, golden.value)
            if not seen.visible:
                continue
            sections.setdefault(attribute.section, []).append(
                {
                    "attribute": attribute,
                    "display": seen.text,
                    "shown": seen,
                    "golden": golden,
                    "observation": observation,
                    "stale": golden.stale_at is not None and golden.stale_at <= now,
                }
            )
        context["profile"] = [
            (section_label(code), rows) for code, rows in sections.items() if rows
        ]
        context["relationships"] = [
            (rel, rel.to_party, False) for rel in party.relationships_out.all()
        ] + [(rel, rel.from_party, True) for rel in party.relationships_in.all()]
        context["org_chart"] = org_chart(party) if party.kind == Party.Kind.ORGANIZATION else []
        context["relationship_kinds"] = Relationship.Kind.choices
        context["stakeholder_roles"] = Relationship.StakeholderRole.choices
        context["stale_count"] = sum(
            1 for rows in sections.values() for row in rows if row["stale"]
        )
        return context


def org_chart(organisation: Party) -> list[dict[str, Any]]:
    """The organisation's people as a tree by "reports to" (roots first, then their reports)."""
    employments = [
        rel
        for rel in organisation.relationships_in.all()
        if rel.kind == Relationship.Kind.EMPLOYMENT
    ]
    people = {rel.from_party_id for rel in employments}
    children: dict[int | None, list[Relationship]] = {}
    for rel in employments:
        boss = rel.reports_to_id if rel.reports_to_id in people else None
        children.setdefault(boss, []).append(rel)

    def branch(boss: int | None, seen: frozenset[int]) -> list[dict[str, Any]]:
        return [
            {"relationship": rel, "reports": branch(rel.from_party_id, seen | {rel.from_party_id})}
            for rel in sorted(children.get(boss, []), key=lambda r: (r.title, r.pk))
            if rel.from_party_id not in seen
        ]

    return branch(None, frozenset())


@login_required
@require_POST
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link this customer to another one (given by number or by a search that finds one)."""
    if not request.user.has_perm("parties.add_relationship"):
        raise PermissionDenied
    visible = Party.objects.visible_to(request.user)
    party = get_object_or_404(visible, pk=pk)
    wanted = (request.POST.get("other") or "").strip()
    other = None
    if wanted.isdigit():
        other = visible.filter(pk=int(wanted)).first()
    elif wanted:
        matches = list(selectors.search_parties(request.user, wanted)[:2])
        if len(matches) == 1:
            other = matches[0]
        elif len(matches) > 1:
            messages.error(
                request,
                _("Several customers match “{query}”: give the customer's number.").format(
                    query=wanted
                ),
            )
            return HttpResponseRedirect(party.get_absolute_url())
    if other is None:
        messages.error(request, _("No customer matches “{query}”.").format(query=wanted))
        return HttpResponseRedirect(party.get_absolute_url())
    kind = request.POST.get("kind", "")
    source, target = party, other
    # "Works at" always points from the person to the organisation, whichever page it was added on.
    if kind == Relationship.Kind.EMPLOYMENT and party.kind == Party.Kind.ORGANIZATION:
        source, target = other, party
    try:
        services.save_relationship(
            Relationship(),
            actor=request.user,
            from_party=source,
            to_party=target,
            kind=kind,
            title=(request.POST.get("title") or "")[:100],
            department=(request.POST.get("department") or "")[:100],
            stakeholder_role=request.POST.get("stakeholder_role") or "",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Relationship added."))
    return HttpResponseRedirect(party.get_absolute_url())


@login_required
def lineage(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Every value ever observed for one attribute (an htmx fragment, or a page)."""
    if not request.user.has_perm("parties.view_party"):
        raise PermissionDenied
    party = get_object_or_404(Party.objects.visible_to(request.user), pk=pk)
    attribute = get_object_or_404(AttributeDefinition, code=code)
    observations = list(selectors.lineage(party, code)[:200])
    golden = GoldenValue.objects.filter(party=party, attribute=attribute).first()
    if privacy.access(request.user, attribute) == privacy.HIDDEN:
        raise Http404
    rows = []
    for o in observations:
        seen = privacy.shown(request.user, attribute, o.value)
        rows.append(
            {
                "observation": o,
                "display": seen.text,
                "shown": seen,
                "current": golden is not None and golden.observation_id == o.pk,
            }
        )
    template = "parties/_lineage.html" if request.htmx else "parties/lineage.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "party": party,
            "attribute": attribute,
            "rows": rows,
            "can_change": request.user.has_perm("parties.change_party"),
        },
    )


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Show one masked value in clear to a reader allowed to reveal it; logged with a reason."""
    party = get_object_or_404(Party.objects.visible_to(request.user), pk=pk)
    attribute = get_object_or_404(AttributeDefinition, code=code)
    if not privacy.may_reveal(request.user, attribute):
        raise PermissionDenied
    golden = get_object_or_404(GoldenValue, party=party, attribute=attribute)
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        return render(
            request,
            "parties/_reveal.html",
            {"party": party, "attribute": attribute, "error": _("Say why you need the value.")},
            status=400,
        )
    log_access(
        actor=request.user,
        action=AccessLog.Action.REVEAL,
        obj=party,
        fields=[code],
        reason=reason,
        request=request,
    )
    value = privacy.plain_or_none(code, golden.value)
    text = display(attribute, value) if value is not None else _("unreadable")
    return render(
        request, "parties/_reveal.html", {"party": party, "attribute": attribute, "text": text}
    )


@login_required
@require_POST
def use_value(request: HttpRequest, pk: int, observation_id: int) -> HttpResponse:
    if not request.user.has_perm("parties.change_party"):
        raise PermissionDenied
    party = get_object_or_404(Party.objects.visible_to(request.user), pk=pk)
    observation = get_object_or_404(
        party.observations.select_related("attribute"), pk=observation_id
    )
    services.use_observation(party, observation, actor=request.user)
    messages.success(
        request,
        _("“{label}” now uses the value you chose.").format(label=observation.attribute.label),
    )
    return HttpResponseRedirect(party.get_absolute_url())


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Still correct": confirms the given attributes (or all stale ones)."""
    if not request.user.has_perm("parties.change_party"):  # it records observations
        raise PermissionDenied
    party = get_object_or_404(Party.objects.visible_to(request.user), pk=pk)
    codes = request.POST.getlist("attribute") or list(
        party.golden_values.filter(stale_at__lte=timezone.now()).values_list(
            "attribute__code", flat=True
        )
    )
    count = services.confirm_values(party, codes, actor=request.user)
    messages.success(request, _("Confirmed {count} values.").format(count=count))
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = party.get_absolute_url()  # never off to another site
    return HttpResponseRedirect(next_url)


@login_required
def reevaluation(request: HttpRequest) -> HttpResponse:
    """The signed-in user's customers with values older than their re-evaluation period."""
    if not request.user.has_perm("parties.view_party"):
        raise PermissionDenied
    stale = (
        GoldenValue.objects.filter(
            stale_at__lte=timezone.now(),
            party__in=Party.objects.visible_to(request.user)
            .filter(owner=request.user)
            .values("pk"),
        )
        .select_related("party", "attribute")
        .order_by("stale_at", "pk")[:200]
    )
    rows = []
    for g in stale:
        seen = privacy.shown(request.user, g.attribute, g.value)
        if seen.visible:
            rows.append({"golden": g, "display": seen.text})
    return render(request, "parties/reevaluation.html", {"rows": rows})


class AttributeDefinitionListView(ObjectListView):
    model = AttributeDefinition
    table_class = AttributeDefinitionTable
    default_order = "code"


class AttributeDefinitionEditView(ObjectEditView):
    model = AttributeDefinition
    form_class = AttributeDefinitionForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        instance = form.instance  # type: ignore[attr-defined]
        definition = (
            AttributeDefinition.objects.get(pk=instance.pk)
            if instance.pk
            else AttributeDefinition()
        )
        data = {k: v for k, v in form.cleaned_data.items() if k in services.DEFINITION_FIELDS}
        return services.save_definition(definition, actor=actor, **data)

    def get_success_url(self, obj: Model) -> str:
        return reverse("parties:attributedefinition_list")


class AttributeDefinitionDetailView(ObjectDetailView):
    model = AttributeDefinition


@login_required
def reference_tree(request: HttpRequest, tree: str) -> HttpResponse:
    """Browse regions (GB/T 2260 and countries) or industries (GB/T 4754) level by level."""
    model: type[Region] | type[Industry] = Region if tree == "regions" else Industry
    code = request.GET.get("parent", "").strip()
    query = request.GET.get("q", "").strip()[:50]
    node = model.objects.filter(code=code).first() if code else None
    if query:
        children = model.objects.filter(
            Q(code__iexact=query) | Q(name_zh__contains=query) | Q(name_en__icontains=query)
        )[:200]
    else:
        children = model.objects.filter(parent_id=node.pk if node else None)[:500]
    ancestors = []
    if node is not None:
        codes = node.path.split("/")
        by_code = {n.code: n for n in model.objects.filter(code__in=codes)}
        ancestors = [by_code[c] for c in codes if c in by_code]
    with_children = set(
        model.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct()
    )
    return render(
        request,
        "parties/reference_tree.html",
        {
            "tree": tree,
            "title": _("Regions") if tree == "regions" else _("Industries"),
            "node": node,
            "ancestors": ancestors,
            "children": children,
            "with_children": with_children,
            "query": query,
            "filter_key": "region" if tree == "regions" else "industry",
        },
    )


class CustomerNatureListView(ObjectListView):
    model = CustomerNature
    table_class = CustomerNatureTable
    default_order = "order"


class CustomerNatureEditView(ObjectEditView):
    model = CustomerNature
    form_class = CustomerNatureForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        instance = form.instance  # type: ignore[attr-defined]
        nature = CustomerNature.objects.get(pk=instance.pk) if instance.pk else CustomerNature()
        return services.save_nature(nature, actor=actor, **form.cleaned_data)

    def get_success_url(self, obj: Model) -> str:
        return reverse("parties:customernature_list")
