from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _

from huike.parties import privacy
from huike.parties.models import AttributeDefinition, CustomerNature, Party


class PartyTable(tables.Table):
    selection = tables.CheckBoxColumn(accessor="pk", orderable=False, exclude_from_export=True)
    name = tables.Column(linkify=True)
    pinyin = tables.Column(orderable=False)
    kind = tables.Column(orderable=False)
    stage = tables.Column(orderable=False)
    contact = tables.Column(empty_values=(), orderable=False, verbose_name=_("Phone or e-mail"))
    owner = tables.Column(orderable=False)
    region = tables.Column(orderable=False)
    updated_at = tables.DateTimeColumn(verbose_name=_("Updated"), format="SHORT_DATE_FORMAT")

    class Meta:
        model = Party
        fields = (
            "selection",
            "name",
            "pinyin",
            "kind",
            "stage",
            "contact",
            "owner",
            "region",
            "updated_at",
        )
        attrs = {"class": "table table-hover align-middle"}

    def render_contact(self, record: Party) -> str:
        if not hasattr(self, "_contact_definitions"):
            self._contact_definitions = privacy.definitions_by_code(privacy.CONTACT_CODES)
        user = getattr(getattr(self, "request", None), "user", None)
        if user is None:  # a table built without a request shows nothing personal
            user = AnonymousUser()
        return privacy.contact_for(user, record, self._contact_definitions) or "—"

    def value_contact(self, record: Party) -> str:
        return self.render_contact(record)


class AttributeDefinitionTable(tables.Table):
    label = tables.Column(linkify=True, accessor="code", verbose_name=_("Label"))
    code = tables.Column()
    section = tables.Column(orderable=False)
    data_type = tables.Column(orderable=False)
    sensitivity = tables.Column(orderable=False)
    reevaluate_days = tables.Column(orderable=False)
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))

    class Meta:
        model = AttributeDefinition
        fields = (
            "label",
            "code",
            "section",
            "data_type",
            "sensitivity",
            "reevaluate_days",
            "is_active",
        )
        attrs = {"class": "table table-hover align-middle"}

    def render_label(self, record: AttributeDefinition) -> str:
        return record.label

    def render_section(self, record: AttributeDefinition) -> Any:
        from huike.parties.models import section_label

        return section_label(record.section)


class CustomerNatureTable(tables.Table):
    code = tables.Column(linkify=lambda record: record.get_edit_url())
    name_zh = tables.Column(orderable=False)
    name_en = tables.Column(orderable=False)
    order = tables.Column()
    is_active = tables.BooleanColumn(orderable=False, verbose_name=_("Active"))

    class Meta:
        model = CustomerNature
        fields = ("code", "name_zh", "name_en", "order", "is_active")
        attrs = {"class": "table table-hover align-middle"}
