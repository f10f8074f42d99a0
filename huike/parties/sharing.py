"""Explicit shares: a customer shown to a user or a whole team beyond their record scope.

The record-level gate (``Party.objects.visible_to``) already honours shares; this module says who
may grant and withdraw them (the owner, a manager of the owner's team, an administrator), makes
the writes (each one in the customer's change log) and serves the panel on the customer page.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huike.accounts.models import Team, User
from huike.core.services import record_change
from huike.parties.models import Party, PartyShare

# --- Rules and writes ---------------------------------------------------------------------------


def may_manage_shares(actor: Any, party: Party) -> bool:
    """Whether ``actor`` may share ``party`` or withdraw its shares (model permissions aside).

    The owner may; so may the leader of the owner's team (or of the customer's team) and its
    members whose role reaches the whole team; and administrators. ``None`` is the system.
    """
    if actor is None or getattr(actor, "is_administrator", False):
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if party.owner_id is not None and party.owner_id == actor.pk:
        return True
    teams = {
        team_id
        for team_id in (party.owner.team_id if party.owner else None, party.team_id)
        if team_id is not None
    }
    if not teams:
        return False
    if Team.objects.filter(pk__in=teams, leader=actor.pk).exists():
        return True
    return actor.team_id in teams and actor.record_scope != "own"


def _refuse_unless_allowed(actor: Any, party: Party) -> None:
    if not may_manage_shares(actor, party):
        raise PermissionDenied(
            _(
                "Only the owner, a manager of the owner's team or an administrator can change "
                "who this customer is shared with."
            )
        )


def _describe(share: PartyShare) -> str:
    """How a share reads in the change log (stored text, like other log messages)."""
    if share.user_id is not None and share.user is not None:
        return f"user {share.user.get_username()}"
    return f"team {share.team}"


@transaction.atomic
def share_party(
    party: Party,
    *,
    actor: Any,
    user: User | None = None,
    team: Team | None = None,
    note: str = "",
) -> PartyShare:
    """Show ``party`` to ``user`` or to every member of ``team``, whatever their record scope.

    Refused (``PermissionDenied``) unless ``actor`` may manage the party's shares; refused
    (``ValidationError``) without exactly one of user and team, for an inactive user, for the
    owner, and for a share that already exists. Writes the customer's change log.
    """
    _refuse_unless_allowed(actor, party)
    if (user is None) == (team is None):
        raise ValidationError(_("Share with either a user or a team."))
    if user is not None:
        if not user.is_active:
            raise ValidationError({"user": [_("This user is disabled.")]})
        if user.pk == party.owner_id:
            raise ValidationError({"user": [_("The owner already sees this customer.")]})
    if PartyShare.objects.filter(party=party, user=user, team=team).exists():
        raise ValidationError(
            _("This customer is already shared with {name}.").format(name=user or team)
        )
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    share = PartyShare.objects.create(
        party=party,
        user=user,
        team=team,
        granted_by=actor if is_user else None,
        note=note.strip()[:200],
    )
    message = "shared with " + _describe(share)
    if share.note:
        message += ": " + share.note
    record_change(party, actor=actor, action="action", message=message)
    return share


@transaction.atomic
def withdraw_share(share: PartyShare, *, actor: Any) -> None:
    """Remove a share; the user or team no longer reaches the customer through it."""
    party = share.party
    _refuse_unless_allowed(actor, party)
    message = "share withdrawn: " + _describe(share)
    share.delete()
    record_change(party, actor=actor, action="action", message=message)


# --- The panel on the customer page ---------------------------------------------------------------


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("User"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm mb-2", "id": "share-user"}),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm mb-2", "id": "share-team"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm mb-2", "id": "share-note"}
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        if (data.get("user") is None) == (data.get("team") is None):
            raise ValidationError(_("Choose either a user or a team."))
        return data


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _panel(
    request: HttpRequest, party: Party, form: ShareForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    manage = may_manage_shares(user, party)
    shares = party.shares.select_related("user", "team", "granted_by").order_by("created_at", "pk")
    return render(
        request,
        "parties/_shares.html",
        {
            "party": party,
            "shares": shares,
            "form": form or ShareForm(),
            "can_add": manage and user.has_perm("parties.add_partyshare"),
            "can_remove": manage and user.has_perm("parties.delete_partyshare"),
        },
        status=status,
    )


def _visible_party(request: HttpRequest, pk: int) -> Party:
    queryset = Party.objects.visible_to(request.user).select_related("owner")
    return get_object_or_404(queryset, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def party_shares(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: who the customer is shared with (an htmx panel). POST: share it with one more."""
    needed = "parties.add_partyshare" if request.method == "POST" else "parties.view_partyshare"
    if not request.user.has_perm(needed):
        raise PermissionDenied
    party = _visible_party(request, pk)
    if request.method != "POST":
        return _panel(request, party)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            share_party(
                party,
                actor=request.user,
                user=form.cleaned_data["user"],
                team=form.cleaned_data["team"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Shared."))
                return HttpResponseRedirect(party.get_absolute_url())
            return _panel(request, party)
    if not _is_htmx(request):
        messages.error(request, " ".join(_messages(form)))
        return HttpResponseRedirect(party.get_absolute_url())
    # htmx swaps only successful answers: the panel comes back with the reasons in it.
    return _panel(request, party, form)


def _messages(form: ShareForm) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@login_required
@require_POST
def party_share_delete(request: HttpRequest, pk: int, share_id: int) -> HttpResponse:
    """Withdraw one share of the customer."""
    if not request.user.has_perm("parties.delete_partyshare"):
        raise PermissionDenied
    party = _visible_party(request, pk)
    share = get_object_or_404(PartyShare, pk=share_id, party=party)
    withdraw_share(share, actor=request.user)
    if not _is_htmx(request):
        messages.success(request, _("Share withdrawn."))
        return HttpResponseRedirect(party.get_absolute_url())
    return _panel(request, party)
