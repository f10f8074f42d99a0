"""Sign-in, profile and API tokens, language switch, and the administration of users,
teams and roles (administrators manage people here, not only in Django's admin site)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huike.accounts import forms, services
from huike.accounts.filters import TeamFilterSet, UserFilterSet
from huike.accounts.models import ApiToken, Role, Team, User
from huike.accounts.tables import RoleTable, TeamTable, UserTable
from huike.core.views.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)

# --- Sign-in ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


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
    hidden_fields = ("id", "password", "is_superuser", "is_staff")


class UserEditView(ObjectEditView):
    model = User
    form_class = forms.UserForm

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
