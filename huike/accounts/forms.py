from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from huike.accounts.models import Role, Team, User
from huike.parties.models import Region


class TerritoryPicker(forms.SelectMultiple):
    """The chosen regions as ticked boxes, and a search box that offers more (htmx).

    Only the chosen regions are rendered: listing all 3,600 regions would make a page nobody
    can use. The search box belongs to no form (``form`` names none), so Enter searches instead
    of saving, and its text is never sent with the user's data.
    """

    template_name = "accounts/widgets/territory_picker.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = forms.Widget.get_context(self, name, value, attrs)
        codes = [str(code) for code in (value or []) if code]
        context["widget"]["chosen"] = list(Region.objects.filter(code__in=codes).order_by("path"))
        context["widget"]["search_url"] = reverse("accounts:territory_options")
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        # The project's templates (huike/templates), not the form renderer's app folders.
        return SafeString(
            render_to_string(self.template_name, self.get_context(name, value, attrs))
        )


class UserForm(forms.ModelForm):
    """Create or edit a user; the password is set only when given."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password (new users then cannot sign in)."),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "email",
            "phone",
            "role",
            "team",
            "language",
            "is_active",
            "territories",
        ]
        widgets = {"territories": TerritoryPicker}

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        territories = cast(forms.ModelMultipleChoiceField, self.fields["territories"])
        territories.to_field_name = "code"
        # Only administrators and those who may change users assign territories.
        if actor is not None and not (
            actor.is_administrator or actor.has_perm("accounts.change_user")
        ):
            del self.fields["territories"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password", "")
        if password:
            validate_password(password, self.instance)
        return password


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Team
        fields = ["name", "description", "leader"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.all())


class RoleForm(forms.ModelForm):
    """A role: what its holders may do (permissions), which customers they reach (record scope)
    and how they read and edit personal and sensitive information. Whoever edits it grants only
    what they hold themselves (``services.save_role`` says why when not)."""

    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"),
        queryset=Permission.objects.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 14}),
    )

    class Meta:
        model = Role
        fields = [
            "code",
            "name",
            "description",
            "record_scope",
            "personal_access",
            "sensitive_access",
            "edit_personal",
            "edit_sensitive",
            "require_two_factor",
            "is_admin",
            "permissions",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left out of a submission (an older client), field access stays as it is.
        for name in ("personal_access", "sensitive_access"):
            self.fields[name].required = False

    def clean_personal_access(self) -> str:
        return str(self.cleaned_data.get("personal_access") or self.instance.personal_access)

    def clean_sensitive_access(self) -> str:
        return str(self.cleaned_data.get("sensitive_access") or self.instance.sensitive_access)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for."))
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "phone", "language"]


class TwoFactorCodeForm(forms.Form):
    """The six digits an authenticator app shows."""

    code = forms.CharField(
        label=_("Authentication code"),
        max_length=12,
        help_text=_("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "hk-token",
            }
        ),
    )


class TwoFactorDisableForm(forms.Form):
    """Switching two-factor sign-in off asks for a current code or the password."""

    proof = forms.CharField(
        label=_("Current code or your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
