"""The purposes every installation starts with, a first consent notice for each purpose that
takes consent, and the profile fields each purpose collects (from the default attribute template).

Only missing codes are created, so an administrator's edits are never overwritten. The notices are
a starting point: the data-protection officer adapts them and publishes a new version.
Reversing leaves the rows in place: consent records may already point at them.
"""

from django.db import migrations

MARKETING_FIELDS = ["name", "mobile", "email", "wechat", "preferred_contact", "postal_address"]
PROFILING_SECTIONS = ["personality", "social", "education", "career"]
PROFILING_FIELDS = ["hobbies", "food_drink", "marital_status", "wedding_anniversary"]

PURPOSES = [
    {
        "code": "service",
        "order": 10,
        "name_zh": "提供服务与履行合同",
        "name_en": "Service and contract",
        "description_zh": "报价、订货、交付、收款、售后服务与投诉处理，以及与客户的日常往来。",
        "description_en": (
            "Quotes, orders, delivery, payment, after-sales service and complaints, and everyday "
            "contact with the customer."
        ),
        "legal_basis": "contract",
        "requires_separate_consent": False,
        "retention_days": 1095,
        "recipients_zh": "本公司销售、客服和财务人员；为订单配送的物流服务商。",
        "recipients_en": (
            "Our sales, service and finance staff; logistics providers delivering orders."
        ),
    },
    {
        "code": "marketing",
        "order": 20,
        "name_zh": "营销推广",
        "name_en": "Marketing",
        "description_zh": "通过电话、短信、电子邮件、微信等向客户发送优惠、资讯和活动邀请。",
        "description_en": (
            "Sending offers, news and event invitations by phone, text message, e-mail or WeChat."
        ),
        "legal_basis": "consent",
        "requires_separate_consent": False,
        "retention_days": 30,
        "recipients_zh": "本公司市场人员；受托发送短信和邮件的服务商。",
        "recipients_en": "Our marketing staff; providers that send text messages and e-mails for us.",
        "notice_zh": (
            "我同意贵公司使用我的姓名和联系方式（手机、电子邮件、微信、通信地址），向我发送产品优惠、"
            "资讯和活动邀请。我可以随时撤回同意，撤回后不再收到此类信息。"
        ),
        "notice_en": (
            "I agree that you may use my name and contact details (mobile, e-mail, WeChat, postal "
            "address) to send me offers, news and event invitations. I may withdraw this consent "
            "at any time, and will then receive no more such messages."
        ),
    },
    {
        "code": "profiling",
        "order": 30,
        "name_zh": "用户画像与个性化推荐",
        "name_en": "Profiling and personalisation",
        "description_zh": "根据兴趣、偏好和交往记录分析客户特征，为客户推荐合适的产品与服务。",
        "description_en": (
            "Analysing interests, preferences and history with us to recommend suitable products "
            "and services."
        ),
        "legal_basis": "consent",
        "requires_separate_consent": False,
        "retention_days": 30,
        "recipients_zh": "本公司销售和市场人员。",
        "recipients_en": "Our sales and marketing staff.",
        "notice_zh": (
            "我同意贵公司根据我的兴趣、偏好和往来记录分析我的特点，以便为我推荐合适的产品和服务。"
            "我可以随时撤回同意。"
        ),
        "notice_en": (
            "I agree that you may analyse my interests, preferences and history with you to "
            "recommend products and services that suit me. I may withdraw this consent at any time."
        ),
    },
    {
        "code": "sharing",
        "order": 40,
        "name_zh": "向第三方提供",
        "name_en": "Sharing with third parties",
        "description_zh": "向合作伙伴提供客户个人信息，由其以自己的名义联系客户或提供服务。",
        "description_en": (
            "Giving customers' personal information to partners who contact the customer or "
            "serve them in their own name."
        ),
        "legal_basis": "consent",
        "requires_separate_consent": True,
        "retention_days": 30,
        "recipients_zh": "（请列出接收方的名称、联系方式、处理目的和方式）",
        "recipients_en": "(List each recipient's name, contact, purpose and way of processing.)",
        "notice_zh": (
            "我单独同意贵公司将我的姓名和联系方式提供给以下合作伙伴，用于其向我介绍产品和服务："
            "（接收方名称、联系方式、处理目的和方式）。我可以随时撤回同意。"
        ),
        "notice_en": (
            "I separately agree that you may give my name and contact details to the following "
            "partners so they can present their products and services to me: (recipient's name, "
            "contact, purpose and way of processing). I may withdraw this consent at any time."
        ),
    },
    {
        "code": "sensitive_data",
        "order": 50,
        "name_zh": "处理敏感个人信息",
        "name_en": "Sensitive personal information",
        "description_zh": (
            "为核验身份、开具票据或提供特定服务，处理证件号码、金融账户、健康状况和未成年人信息。"
        ),
        "description_en": (
            "Processing ID numbers, financial accounts, health and information about minors to "
            "verify identity, issue invoices or provide specific services."
        ),
        "legal_basis": "consent",
        "requires_separate_consent": True,
        "retention_days": 30,
        "recipients_zh": "本公司经授权的销售和财务人员。",
        "recipients_en": "Our authorised sales and finance staff.",
        "notice_zh": (
            "我单独同意贵公司处理我的敏感个人信息（证件号码、金融账户、健康状况、未成年子女信息），"
            "仅用于核验身份、开具票据和提供我要求的服务。我已知悉处理这些信息的必要性以及对我个人"
            "权益的影响。我可以随时撤回同意。"
        ),
        "notice_en": (
            "I separately agree that you may process my sensitive personal information (ID "
            "numbers, financial accounts, health, information about my children under 14) only "
            "to verify my identity, issue invoices and provide the services I ask for. I was told "
            "why this is necessary and how it affects me. I may withdraw this consent at any time."
        ),
    },
]


def create_purposes(apps, schema_editor):
    using = schema_editor.connection.alias
    Purpose = apps.get_model("privacy", "Purpose")
    ConsentNotice = apps.get_model("privacy", "ConsentNotice")
    AttributeDefinition = apps.get_model("parties", "AttributeDefinition")
    attributes = AttributeDefinition.objects.using(using)
    fields_of = {
        "service": attributes.exclude(sensitivity="sensitive"),
        "marketing": attributes.filter(code__in=MARKETING_FIELDS),
        "profiling": attributes.filter(section__in=PROFILING_SECTIONS).exclude(
            sensitivity="sensitive"
        )
        | attributes.filter(code__in=PROFILING_FIELDS),
        "sharing": attributes.none(),
        "sensitive_data": attributes.filter(sensitivity="sensitive"),
    }
    for spec in PURPOSES:
        if Purpose.objects.using(using).filter(code=spec["code"]).exists():
            continue
        purpose = Purpose.objects.using(using).create(
            code=spec["code"],
            order=spec["order"],
            name_zh=spec["name_zh"],
            name_en=spec["name_en"],
            description_zh=spec["description_zh"],
            description_en=spec["description_en"],
            legal_basis=spec["legal_basis"],
            requires_separate_consent=spec["requires_separate_consent"],
            retention_days=spec["retention_days"],
            recipients="{}\n{}".format(spec["recipients_zh"], spec["recipients_en"]),
        )
        purpose.attributes.set(fields_of[spec["code"]])
        if "notice_zh" in spec:
            ConsentNotice.objects.using(using).create(
                purpose=purpose, version=1, text_zh=spec["notice_zh"], text_en=spec["notice_en"]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("parties", "0003_default_attributes"),
    ]

    operations = [
        migrations.RunPython(create_purposes, migrations.RunPython.noop),
    ]
