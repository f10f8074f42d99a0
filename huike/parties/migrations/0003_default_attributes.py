"""Create the default attribute template (``huike.parties.attributes.DEFAULT_ATTRIBUTES``).

The template is imported from the app on purpose: a new installation gets the current template,
and ``ensure_default_attributes`` only creates missing codes, so re-running it (here or from code)
never overwrites an administrator's edits. Reversing leaves the definitions in place: they may
already hold observations.
"""

from django.db import migrations

from huike.parties.attributes import ensure_default_attributes


def create_default_attributes(apps, schema_editor):
    ensure_default_attributes(
        apps.get_model("parties", "AttributeDefinition"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0002_reference_data"),
    ]

    operations = [
        migrations.RunPython(create_default_attributes, migrations.RunPython.noop),
    ]
