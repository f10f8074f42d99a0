"""Load countries, Chinese regions and industries (GB/T 4754-2017) from huike/parties/data/."""

from django.db import migrations

from huike.parties.reference import load_reference_data


def load(apps, schema_editor):
    load_reference_data(
        apps.get_model("parties", "Region"),
        apps.get_model("parties", "Industry"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
