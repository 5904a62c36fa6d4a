"""Rules made before rural and community members existed get their common-pledge texts (the
unit may edit them); rules that have texts for these tiers keep them."""
from django.db import migrations

TEXTS = {
    "rural_member": [
        "带头学习实用技术，带头致富、带领群众共同致富",
        "带头参与村级事务和新农村建设，经常联系服务群众",
        "遵纪守法，带头移风易俗、文明新风",
    ],
    "community_member": [
        "参加党员志愿服务，开展便民利民活动",
        "带头参与治安联防、环境整治等公益活动",
        "遵守社区公约，带头邻里互助、和谐共处",
    ],
}


def add_texts(apps, schema_editor):
    PledgeRules = apps.get_model("pledges", "PledgeRules")
    for rules in PledgeRules.objects.all():
        templates = dict(rules.common_templates or {})
        missing = {tier: list(texts) for tier, texts in TEXTS.items() if tier not in templates}
        if missing:
            rules.common_templates = {**templates, **missing}
            rules.save(update_fields=["common_templates"])


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0002_defaults_and_admin_records"),
        ("organization", "0004_rural_and_community_members"),
    ]

    operations = [migrations.RunPython(add_texts, migrations.RunPython.noop)]
