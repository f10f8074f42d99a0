"""Add the ``other_id_number`` attribute (other identity documents: a Hong Kong, Macao or
Taiwan permit, a residence permit, another country's ID or social security number). Imports map
"证件号码", "SSN", "National ID" columns to it and duplicate detection compares it as an
identifier. Existing definitions are left as they are."""

from django.db import migrations

from huike.parties.attributes import ensure_default_attributes


def add_new_default_attributes(apps, schema_editor):
    ensure_default_attributes(
        apps.get_model("parties", "AttributeDefinition"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0011_observation_source_ref_index"),
    ]

    operations = [
        migrations.RunPython(add_new_default_attributes, migrations.RunPython.noop),
    ]
