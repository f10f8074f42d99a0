"""Search and list speed at a million customers (docs/development/benchmarks.md).

PostgreSQL: ``SearchKey.value`` gets the "C" collation. The search box asks for key prefixes as
a range (``value >= 'zs' AND value < 'zs' || U+10FFFF``); under a linguistic collation
(en_US.UTF-8, ICU) that range neither means "starts with" nor uses the b-tree index on
(kind, value), so every search read the whole table. With "C" it compares bytes, as SQLite
does, and the index answers it. The model does not declare the collation (SQLite has no "C"
collation), so an ``AlterField`` of ``SearchKey.value`` must repeat this step.
"""

from django.db import migrations

TABLE = "parties_searchkey"


def collate_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE "{TABLE}" ALTER COLUMN "value" TYPE varchar(200) COLLATE "C"'
        )


def collate_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'ALTER TABLE "{TABLE}" ALTER COLUMN "value" TYPE varchar(200) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0003_default_attributes"),
    ]

    operations = [
        migrations.RunPython(collate_c, collate_default),
    ]
