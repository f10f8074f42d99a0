"""Sign-in, profile and API tokens, language switch, and the administration of users,
teams and roles (administrators manage people here, not only in Django's admin site)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huike.accounts import forms, services, two_factor
from huike.accounts.filters import TeamFilterSet, UserFilterSet
from huike.accounts.models import ApiToken, FieldAccess, Role, Team, User
from huike.accounts.tables import RoleTable, TeamTable, UserTable
from huike.core import ratelimit
from huike.core.views.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from huike.parties.models import Region

# --- Sign-in ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The password step; users with two-factor sign-in go on to the code step, signed out."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if two_factor.is_enabled(user):
            two_factor.begin_challenge(self.request, user, next_url=self.get_success_url())
            return HttpResponseRedirect(reverse("accounts:two_factor_verify"))
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Rate-limited per client address and per e-mail address (each mail costs a stranger)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            ratelimit.limit(request, "password-reset", settings.PASSWORD_RESET_RATE_PER_ADDRESS)
        except ratelimit.RateLimited as error:
            return ratelimit.too_many_requests(request, error)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        try:
            ratelimit.limit(
                self.request, "password-reset-email", settings.PASSWORD_RESET_RATE_PER_EMAIL, email
            )
        except ratelimit.RateLimited as error:
            return ratelimit.too_many_requests(self.request, error)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user and in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    translation.activate(language)
    user = request.user
    if isinstance(user, User) and user.language != language:
        services.set_user_language(user, language, actor=user)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
        httponly=True,
    )
    return response


# --- Profile and tokens -------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    new_key = request.session.pop("new_token_key", None)
    if request.method == "POST":
        form = forms.ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
        if form.is_valid():
            services.update_user(user, actor=user, **form.cleaned_data)
            messages.success(request, _("Your profile was saved."))
            return HttpResponseRedirect(reverse("accounts:profile"))
    else:
        form = forms.ProfileForm(instance=user)
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "token_form": forms.TokenForm(), "tokens": tokens, "new_key": new_key},
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = forms.TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.issue_token(
            user,
            actor=user,
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data["expires_at"],
        )
        # Shown once on the next page, then gone: only the hash is stored.
        request.session["new_token_key"] = key
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    else:
        messages.error(request, _("The token could not be created: give it a name."))
    return HttpResponseRedirect(reverse("accounts:profile"))


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    services.revoke_token(token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return HttpResponseRedirect(reverse("accounts:profile"))


# --- Users --------------------------------------------------------------------------------------


class UserListView(ObjectListView):
    model = User
    filterset_class = UserFilterSet
    table_class = UserTable
    default_order = "username"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("role", "team")


class UserDetailView(ObjectDetailView):
    model = User
    template_name = "accounts/user_detail.html"
    hidden_fields = (
        "id",
        "password",
        "is_superuser",
        "is_staff",
        "totp_secret",
        "totp_last_step",
    )


class UserEditView(ObjectEditView):
    model = User
    form_class = forms.UserForm

    def get_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return forms.UserForm(
            data=data, files=files, instance=self.get_object(), actor=self.request.user
        )

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        data = dict(form.cleaned_data)
        password = data.pop("password", "")
        instance = form.instance  # type: ignore[attr-defined]
        if instance.pk:
            user = User.objects.get(pk=instance.pk)
            services.update_user(user, actor=actor, **data)
            if password:
                services.set_password(user, password, actor=actor)
            return user
        username = data.pop("username")
        role = data.pop("role")
        return services.create_user(
            actor=actor, username=username, role=role, password=password or None, **data
        )


@login_required
def territory_options(request: HttpRequest) -> HttpResponse:
    """Regions matching a search, offered as boxes to tick on the user form (an htmx fragment).

    A non-administrator is offered only regions inside their own territories: the only ones
    they may assign.
    """
    user = request.user
    assert isinstance(user, User)
    if not (user.is_administrator or user.has_perm("accounts.change_user")):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:50]
    regions = Region.objects.none()
    if query:
        regions = Region.objects.filter(
            Q(code__iexact=query) | Q(name_zh__contains=query) | Q(name_en__icontains=query)
        )
        if not user.is_administrator:
            inside = Q(pk__in=[])
            for path in user.territories.values_list("path", flat=True):
                inside |= Q(path__startswith=path)
            regions = regions.filter(inside)
    return render(
        request,
        "accounts/_territory_options.html",
        {"regions": regions.order_by("path")[:30], "query": query},
    )


class UserDeleteView(ObjectDeleteView):
    model = User

    def delete(self, obj: Model, *, actor: Any) -> None:
        assert isinstance(obj, User)
        services.delete_user(obj, actor=actor)


# --- Teams ----------------------------------------------------------------------------------


class TeamListView(ObjectListView):
    model = Team
    filterset_class = TeamFilterSet
    table_class = TeamTable
    default_order = "name"

    def get_queryset(self) -> QuerySet:
        return (
            super().get_queryset().select_related("leader").annotate(member_count=Count("members"))
        )


class TeamDetailView(ObjectDetailView):
    model = Team
    template_name = "accounts/team_detail.html"


class TeamEditView(ObjectEditView):
    model = Team
    form_class = forms.TeamForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        data = dict(form.cleaned_data)
        members = data.pop("members")
        instance = form.instance  # type: ignore[attr-defined]
        team = Team.objects.get(pk=instance.pk) if instance.pk else Team()
        services.save_team(team, actor=actor, **data)
        services.set_team_members(team, members, actor=actor)
        return team


class TeamDeleteView(ObjectDeleteView):
    model = Team

    def delete(self, obj: Model, *, actor: Any) -> None:
        assert isinstance(obj, Team)
        services.delete_team(obj, actor=actor)


# --- Roles ----------------------------------------------------------------------------------


class RoleListView(ObjectListView):
    model = Role
    table_class = RoleTable
    default_order = "name"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().annotate(user_count=Count("users"))


class RoleDetailView(ObjectDetailView):
    model = Role
    template_name = "accounts/role_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        role = context["object"]
        assert isinstance(role, Role)
        rows = []
        for access_field, edit_field, sensitivity in services.FIELD_CLASSES:
            access = FieldAccess.FULL if role.is_admin else FieldAccess(getattr(role, access_field))
            rows.append(
                {
                    "sensitivity": sensitivity,
                    "label": services.class_label(access_field),
                    "access": access.value,
                    "access_label": access.label,
                    "editable": role.is_admin or getattr(role, edit_field),
                }
            )
        context["field_access"] = rows
        return context


class RoleEditView(ObjectEditView):
    model = Role
    form_class = forms.RoleForm

    def save(self, form: BaseForm, *, actor: Any) -> Model:
        data = dict(form.cleaned_data)
        permissions = data.pop("permissions")
        instance = form.instance  # type: ignore[attr-defined]
        role = Role.objects.get(pk=instance.pk) if instance.pk else Role()
        return services.save_role(role, actor=actor, permissions=permissions, **data)


class RoleDeleteView(ObjectDeleteView):
    model = Role

    def delete(self, obj: Model, *, actor: Any) -> None:
        assert isinstance(obj, Role)
        services.delete_role(obj, actor=actor)
