"""The roles Huike ships with. Administrators may edit them afterwards in the UI.

Roles are created (never overwritten) after each migration, because model permissions only exist
once every app has migrated. Later apps add their permissions to ``DEFAULT_ROLES`` here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# What working with customers takes, by depth.
READ_CUSTOMERS = [
    "parties.view_party",
    "parties.view_observation",
    "parties.view_relationship",
    "parties.view_attributedefinition",
    "parties.view_goldenvalue",
]
WORK_CUSTOMERS = [
    *READ_CUSTOMERS,
    "parties.add_party",
    "parties.change_party",
    "parties.add_observation",
    "parties.add_relationship",
    "parties.change_relationship",
    "parties.delete_relationship",
]

# How each shipped role reads and edits attributes by sensitivity class:
# (personal information, sensitive information, may edit personal, may edit sensitive).
FIELDS: dict[str, tuple[str, str, bool, bool]] = {
    "administrator": ("full", "full", True, True),
    "manager": ("full", "reveal", True, False),
    "salesperson": ("full", "masked", True, True),
    "service_agent": ("full", "masked", True, False),
    "marketer": ("masked", "hidden", False, False),
    "analyst": ("masked", "hidden", False, False),
    "auditor": ("masked", "masked", False, False),
    "data_protection_officer": ("full", "reveal", True, True),
}

# The privacy app's permissions, by depth.
PRIVACY_ALL = [
    f"privacy.{action}_{model}"
    for model in ("purpose", "consentnotice", "impactassessment")
    for action in ("view", "add", "change")
] + ["privacy.view_consentrecord", "privacy.add_consentrecord", "privacy.view_partyconsent"]
PRIVACY_VIEW = [name for name in PRIVACY_ALL if ".view_" in name]
RECORD_CONSENT = ["privacy.view_consentrecord", "privacy.add_consentrecord"]
SUBJECTS_ALL = [
    "subjects.view_subjectrequest",
    "subjects.add_subjectrequest",
    "subjects.change_subjectrequest",
    "subjects.erase_party",
    "subjects.export_subject",
    "subjects.view_suppressionentry",
    "subjects.change_suppressionentry",
    "subjects.view_retentionrule",
    "subjects.add_retentionrule",
    "subjects.change_retentionrule",
]
SUBJECTS_VIEW = [name for name in SUBJECTS_ALL if ".view_" in name]
# Public web forms: marketing builds them; privacy roles read the submissions as evidence.
WEBFORMS_ALL = [
    "webforms.view_webform",
    "webforms.add_webform",
    "webforms.change_webform",
    "webforms.delete_webform",
    "webforms.view_submission",
]
WEBFORMS_VIEW = ["webforms.view_webform", "webforms.view_submission"]
# Imports of customer files: start, follow and stop one's own (every one with scope "all").
IMPORTS_WORK = ["imports.view_importjob", "imports.add_importjob", "imports.change_importjob"]
IMPORTS_VIEW = ["imports.view_importjob"]
# Identity resolution: review and merge likely duplicates, run searches for them, read merges.
IDENTITY_WORK = [
    "identity.view_matchcandidate",
    "identity.change_matchcandidate",
    "identity.merge_parties",
    "identity.view_dedupejob",
    "identity.add_dedupejob",
    "identity.change_dedupejob",
    "identity.view_merge",
]
IDENTITY_VIEW = ["identity.view_matchcandidate", "identity.view_merge"]

# code: (name, description, scope, is_admin, permission codenames "app.codename")
DEFAULT_ROLES: dict[str, dict[str, Any]] = {
    "administrator": {
        "name": _("Administrator"),
        "description": _("Manages users, roles, settings and all records."),
        "record_scope": "all",
        "is_admin": True,
        "permissions": [],
    },
    "manager": {
        "name": _("Manager"),
        "description": _("Leads a team; sees and reassigns the team's customers."),
        "record_scope": "team",
        "is_admin": False,
        "permissions": [
            *RECORD_CONSENT,
            "accounts.view_team",
            "accounts.view_user",
            "core.view_changelog",
            *WORK_CUSTOMERS,
            "parties.delete_party",
            "core.reveal_sensitive",
            "parties.view_partyshare",
            "parties.add_partyshare",
            "parties.delete_partyshare",
            "intake.submit_intake",
            *IMPORTS_WORK,
            *IDENTITY_WORK,
        ],
    },
    "salesperson": {
        "name": _("Salesperson"),
        "description": _("Works their own customers."),
        "record_scope": "own",
        "is_admin": False,
        "permissions": [
            *WORK_CUSTOMERS,
            "parties.view_partyshare",
            *RECORD_CONSENT,
            "intake.submit_intake",
            *IMPORTS_WORK,
            "identity.view_matchcandidate",
        ],
    },
    "service_agent": {
        "name": _("Service agent"),
        "description": _("Handles after-sales service and complaints."),
        "record_scope": "team",
        "is_admin": False,
        "permissions": [
            *READ_CUSTOMERS,
            "parties.change_party",
            "parties.add_observation",
            *RECORD_CONSENT,
            "intake.submit_intake",
        ],
    },
    "marketer": {
        "name": _("Marketer"),
        "description": _("Builds segments and campaigns from consenting customers."),
        "record_scope": "all",
        "is_admin": False,
        "permissions": [
            *READ_CUSTOMERS,
            "privacy.view_consentrecord",
            "privacy.view_purpose",
            *WEBFORMS_ALL,
        ],
    },
    "analyst": {
        "name": _("Analyst"),
        "description": _("Reads reports and analytics."),
        "record_scope": "all",
        "is_admin": False,
        "permissions": [*READ_CUSTOMERS],
    },
    "data_protection_officer": {
        "name": _("Data-protection officer"),
        "description": _(
            "Handles consent, data-subject requests, erasure and the records of processing."
        ),
        "record_scope": "all",
        "is_admin": False,
        "permissions": [
            *PRIVACY_ALL,
            *SUBJECTS_ALL,
            *WEBFORMS_VIEW,
            "core.view_changelog",
            "core.view_accesslog",
            "core.reveal_sensitive",
            "accounts.view_user",
            "accounts.view_role",
            *READ_CUSTOMERS,
            "parties.change_party",
            "parties.add_observation",
            *IMPORTS_VIEW,
            *IDENTITY_VIEW,
        ],
    },
    "auditor": {
        "name": _("Auditor"),
        "description": _("Reads the change history and access logs; changes nothing."),
        "record_scope": "all",
        "is_admin": False,
        "permissions": [
            *PRIVACY_VIEW,
            *SUBJECTS_VIEW,
            *WEBFORMS_VIEW,
            "core.view_changelog",
            "core.view_accesslog",
            "accounts.view_user",
            "accounts.view_team",
            "accounts.view_role",
            *READ_CUSTOMERS,
            *IMPORTS_VIEW,
            *IDENTITY_VIEW,
        ],
    },
}


def field_defaults(code: str) -> dict[str, Any]:
    """The shipped field access of role ``code`` as model field values."""
    personal, sensitive, edit_personal, edit_sensitive = FIELDS[code]
    return {
        "personal_access": personal,
        "sensitive_access": sensitive,
        "edit_personal": edit_personal,
        "edit_sensitive": edit_sensitive,
    }


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            found.append(permission)
    return found


def _is_last_app_migrated(sender: Any) -> bool:
    """``post_migrate`` fires once per app; permissions of later apps exist only after the last."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    return sender is None or not with_models or sender is with_models[-1]


def ensure_default_roles(sender: Any = None, **kwargs: Any) -> None:
    """Create the shipped roles that are missing and grant default permissions added since.

    Names are stored as the English source text and shown translated (``Role.__str__``), so a
    shipped role follows each reader's language until an administrator renames it. A default
    permission is granted once: one an administrator later removes stays removed, while
    permissions that a new release adds to ``DEFAULT_ROLES`` reach existing installations.
    """
    from huike.accounts.models import Role

    if not _is_last_app_migrated(sender):
        return
    using = kwargs.get("using", "default")
    with translation.override(None):  # the untranslated source text
        for code, spec in DEFAULT_ROLES.items():
            role, _created = Role.objects.using(using).get_or_create(
                code=code,
                defaults={
                    "name": str(spec["name"]),
                    "description": str(spec["description"]),
                    "record_scope": spec["record_scope"],
                    "is_admin": spec["is_admin"],
                    **field_defaults(code),
                },
            )
            new = [name for name in spec["permissions"] if name not in role.applied_defaults]
            if new:
                role.permissions.add(*_permissions(new))
                role.applied_defaults = [*role.applied_defaults, *new]
                role.save(update_fields=["applied_defaults"])
