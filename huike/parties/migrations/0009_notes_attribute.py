"""Add the attributes the default template gained since (``notes``: imports map "Notes" and
"备注" columns to it). Existing definitions are left as they are."""

from django.db import migrations

from huike.parties.attributes import ensure_default_attributes


def add_new_default_attributes(apps, schema_editor):
    ensure_default_attributes(
        apps.get_model("parties", "AttributeDefinition"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0008_protection"),
    ]

    operations = [
        migrations.RunPython(add_new_default_attributes, migrations.RunPython.noop),
    ]
