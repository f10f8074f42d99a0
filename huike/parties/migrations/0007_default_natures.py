"""The customer natures Huike ships with (administrators edit the list on its page)."""

from django.db import migrations

NATURES = [
    ("wholesaler", "批发商", "Wholesaler"),
    ("retailer", "零售商", "Retailer"),
    ("distributor", "经销商", "Distributor"),
    ("agent", "代理商", "Agent"),
    ("chain", "连锁企业", "Chain"),
    ("project", "工程项目客户", "Project customer"),
    ("government", "政府及事业单位", "Government or public institution"),
    ("end_user", "终端用户", "End user"),
]


def add_natures(apps, schema_editor):
    nature = apps.get_model("parties", "CustomerNature")
    for order, (code, zh, en) in enumerate(NATURES, start=1):
        nature.objects.using(schema_editor.connection.alias).get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0006_search_speed_indexes"),
    ]

    operations = [migrations.RunPython(add_natures, migrations.RunPython.noop)]
