"""Search and list speed at a million customers (docs/development/benchmarks.md).

``SearchKey``: the (kind, value) index becomes (kind, value, party), so the search box's prefix
ranges read the matching parties from the index alone instead of visiting every matching key's
row: at 1M parties on SQLite, "zs" went from 14.5 ms to 2.6 ms and a phone suffix from 1.4 ms to
1.0 ms (warm cache). On PostgreSQL the new index also takes the "C" collation of migration 0004.

``Party`` (owner, stage, -id): "my customers at this stage", the list a salesperson lives in, walks
only those rows in page order. At 1M parties, stage + province + owner took 264 ms for an owner
with few customers in a small province (every row of the owner visited), 3.8 ms with it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0005_profile_field_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="party",
            index=models.Index(
                fields=["owner", "stage", "-id"], name="parties_par_owner_i_aa8e8e_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="searchkey",
            index=models.Index(
                fields=["kind", "value", "party"], name="parties_sea_kind_761ff8_idx"
            ),
        ),
        migrations.RemoveIndex(
            model_name="searchkey",
            name="parties_sea_kind_638aa4_idx",
        ),
    ]
