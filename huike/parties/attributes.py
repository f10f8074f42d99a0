"""Profile sections and the default attribute template.

``SECTIONS`` lists the headings of a customer profile in display order. ``DEFAULT_ATTRIBUTES``
is the template every new installation starts with: one dict per ``AttributeDefinition``,
created by migration ``0003_default_attributes`` and by ``ensure_default_attributes``.
Administrators may relabel, reorder or retire these definitions afterwards; the template never
overwrites their edits.

Codes are an API: clients send ``{"attributes": {"mobile": …, "uscc": …}}``. Never rename a
code; retire the definition and add a new one instead.

The values below are plain strings rather than ``AttributeDefinition`` choices so that this
module imports without the app registry (migrations, settings checks). The tests check every
value against the model's choices.

Judgement calls, recorded where a reader will look for them:

- Sensitivity. Organisation facts are ``public``: they are not personal information under PIPL,
  and record-level permissions still decide who sees the customer at all. A definition shared by
  people and organisations (phone, e-mail, fax…) takes the stricter class, ``personal``, because
  on a person it is personal information. ``sensitive`` is kept to the PIPL art. 28 categories:
  ID documents, financial accounts, health and minors (children).
- Survivorship. ``manual_wins`` is the default: what a colleague typed after speaking to the
  customer beats an old spreadsheet. Three exceptions:
  * registration facts (USCC, registered address, legal representative, capital…) use
    ``source_trust``: the business registry, or a licence scan, is more reliable than a note;
  * where people and companies are *located* (office, warehouse, home, work address) and where
    people work (employer, job title) use ``most_recent``: these move, and an entry typed years
    ago should not outvote a newer observation from any channel;
  * credit standing uses ``most_recent``: only the latest assessment matters.
- Re-evaluation. Contact details and addresses 365 days; business assessments 180 days; credit
  90 days; slowly changing facts 730 days; facts that do not change (birth date, ID number,
  founding date) never go stale.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SECTIONS: dict[str, Promise] = {
    "basic": _("Basic information"),
    "contact": _("Contact"),
    "identity": _("Identity documents"),
    "address": _("Addresses"),
    "company": _("Company profile"),
    "business": _("Business assessment"),
    "management": _("Owner and managers"),
    "education": _("Education"),
    "family": _("Family"),
    "social": _("Social ties"),
    "career": _("Career"),
    "life": _("Life and health"),
    "personality": _("Personality and interests"),
    "experience": _("Experience"),
    "other": _("Other"),
}

# Codes Huike's own code relies on (imports, the API, matching, reminders): built in, cannot be
# retired.
SYSTEM_CODES = frozenset(
    {
        "name",
        "mobile",
        "phone",
        "email",
        "uscc",
        "resident_id",
        "birth_date",
        "lunar_birthday",
        "external_id",
        "gender",
    }
)

BOTH, PERSON, ORG = "both", "person", "organization"
PUBLIC, PERSONAL, SENSITIVE = "public", "personal", "sensitive"
MANUAL_WINS, SOURCE_TRUST, MOST_RECENT = "manual_wins", "source_trust", "most_recent"
NEVER, TWO_YEARS, YEAR, HALF_YEAR, QUARTER = None, 730, 365, 180, 90


def _choices(*options: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"value": value, "zh": zh, "en": en} for value, zh, en in options]


def _attribute(
    code: str,
    label_zh: str,
    label_en: str,
    *,
    applies_to: str,
    sensitivity: str,
    reevaluate_days: int | None,
    data_type: str = "text",
    validator: str = "",
    choices: list[dict[str, str]] | None = None,
    survivorship: str = MANUAL_WINS,
    help_zh: str = "",
    help_en: str = "",
) -> dict[str, Any]:
    return {
        "code": code,
        "label_zh": label_zh,
        "label_en": label_en,
        "data_type": data_type,
        "validator": validator,
        "choices": choices or [],
        "applies_to": applies_to,
        "sensitivity": sensitivity,
        "reevaluate_days": reevaluate_days,
        "survivorship": survivorship,
        "help_zh": help_zh,
        "help_en": help_en,
        "is_active": True,
        "is_system": code in SYSTEM_CODES,
    }


def _org_assessment(code: str, label_zh: str, label_en: str, **kwargs: Any) -> dict[str, Any]:
    """A salesperson's written assessment of an organisation, reviewed twice a year."""
    kwargs.setdefault("data_type", "long_text")
    kwargs.setdefault("reevaluate_days", HALF_YEAR)
    return _attribute(code, label_zh, label_en, applies_to=ORG, sensitivity=PUBLIC, **kwargs)


def _person_note(code: str, label_zh: str, label_en: str, **kwargs: Any) -> dict[str, Any]:
    """Free text about a person: personal information, reviewed yearly unless told."""
    kwargs.setdefault("data_type", "long_text")
    kwargs.setdefault("reevaluate_days", YEAR)
    kwargs.setdefault("sensitivity", PERSONAL)
    return _attribute(code, label_zh, label_en, applies_to=PERSON, **kwargs)


# Section by section, in display order; ``order`` is numbered 10, 20, … from this order.
_TEMPLATE: dict[str, list[dict[str, Any]]] = {
    "basic": [
        # The name is an attribute too, so every name ever given keeps its source; the party's
        # own ``name`` column is the golden copy used for lists and search.
        _attribute(
            "name",
            "名称",
            "Name",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            survivorship=MANUAL_WINS,
        ),
        _attribute(
            "short_name",
            "简称",
            "Short name",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=TWO_YEARS,
            help_zh="日常称呼的简称，如“华为”。",
            help_en="The name people use day to day, e.g. “Huawei”.",
        ),
        _attribute(
            "english_name",
            "英文名称",
            "English name",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=TWO_YEARS,
            help_zh="公司的英文名称，或个人常用的英文名。",
            help_en="A company's English name, or the English name a person goes by.",
        ),
        _attribute(
            "former_names",
            "曾用名",
            "Former names",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=NEVER,
            survivorship=SOURCE_TRUST,
            help_zh="企业更名前登记过的名称，多个用分号分隔。",
            help_en="Names the company was registered under before; separate several with “;”.",
        ),
        _attribute(
            "gender",
            "性别",
            "Gender",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            data_type="choice",
            choices=_choices(("male", "男", "Male"), ("female", "女", "Female")),
        ),
        _attribute(
            "birth_date",
            "出生日期",
            "Date of birth",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            data_type="date",
            help_zh="公历日期。按农历过生日的请同时填写农历生日。",
            help_en="Gregorian date. If they celebrate by the lunar calendar, fill in that too.",
        ),
        _attribute(
            "lunar_birthday",
            "农历生日",
            "Lunar birthday",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            data_type="lunar_date",
            help_zh="按农历过生日的客户填写。",
            help_en="For customers who celebrate their birthday by the Chinese lunar calendar.",
        ),
        _attribute(
            "native_place",
            "籍贯",
            "Native place",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            help_zh="祖籍所在地；同乡是常见的交往话题。",
            help_en="Ancestral hometown (籍贯); a shared hometown is a common bond.",
        ),
        _attribute(
            "nationality",
            "国籍",
            "Nationality",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
        ),
        _attribute(
            "employer",
            "工作单位",
            "Employer",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
            help_zh="单位名称；与机构客户的任职关系请在“关系”中建立。",
            help_en="The name as given; link the person to an organisation customer with a "
            "“works at” relationship.",
        ),
        _attribute(
            "job_title",
            "职务",
            "Job title",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
        ),
    ],
    "contact": [
        _attribute(
            "mobile",
            "手机",
            "Mobile",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            validator="phone",
            survivorship=MANUAL_WINS,
        ),
        _attribute(
            "phone",
            "电话",
            "Phone",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            validator="phone",
            help_zh="座机或总机号码。",
            help_en="Landline or switchboard number.",
        ),
        _attribute(
            "fax",
            "传真",
            "Fax",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            validator="phone",
        ),
        _attribute(
            "email",
            "电子邮箱",
            "Email",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            validator="email",
        ),
        _attribute(
            "website",
            "网址",
            "Website",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            validator="url",
        ),
        _attribute(
            "wechat",
            "微信号",
            "WeChat ID",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
        ),
        _attribute(
            "qq",
            "QQ号",
            "QQ number",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
        ),
        _attribute(
            "other_handles",
            "其他联系方式",
            "Other contact handles",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            help_zh="如 WhatsApp、LinkedIn、企业微信、钉钉等。",
            help_en="WhatsApp, LinkedIn, WeCom, DingTalk and the like.",
        ),
        _attribute(
            "preferred_contact",
            "首选联系方式",
            "Preferred contact channel",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            data_type="choice",
            choices=_choices(
                ("mobile", "手机", "Mobile"),
                ("phone", "座机", "Landline"),
                ("wechat", "微信", "WeChat"),
                ("email", "电子邮件", "Email"),
                ("visit", "上门拜访", "Visit in person"),
            ),
        ),
    ],
    "identity": [
        _attribute(
            "uscc",
            "统一社会信用代码",
            "Unified social credit code",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            validator="uscc",
            survivorship=SOURCE_TRUST,
            help_zh="18 位，见营业执照。",
            help_en="18 characters, printed on the business licence.",
        ),
        _attribute(
            "tax_id",
            "境外税号或注册号",
            "Tax or company number (outside mainland China)",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            help_zh="境外企业的 VAT 号、EIN 或公司注册号；中国大陆企业请填统一社会信用代码。",
            help_en="VAT number, EIN or company number of a company outside mainland China; "
            "mainland companies use the unified social credit code.",
        ),
        _attribute(
            "business_licence",
            "营业执照",
            "Business licence",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="file",
            survivorship=MOST_RECENT,
            help_zh="营业执照扫描件或照片。",
            help_en="A scan or photo of the business licence.",
        ),
        _attribute(
            "resident_id",
            "居民身份证号码",
            "Resident ID number",
            applies_to=PERSON,
            sensitivity=SENSITIVE,
            reevaluate_days=NEVER,
            validator="resident_id",
            help_zh="敏感个人信息：加密保存，仅在确有必要时收集。",
            help_en="Sensitive personal information: stored encrypted; collect only when needed.",
        ),
        _attribute(
            "passport_number",
            "护照号码",
            "Passport number",
            applies_to=PERSON,
            sensitivity=SENSITIVE,
            reevaluate_days=5 * YEAR,
            help_zh="敏感个人信息；护照换发后号码会变。",
            help_en="Sensitive personal information; the number changes when a passport is "
            "renewed.",
        ),
        _attribute(
            "other_id_number",
            "其他证件号码",
            "Other ID number",
            applies_to=PERSON,
            sensitivity=SENSITIVE,
            reevaluate_days=None,
            help_zh="敏感个人信息：港澳台居民证件、外国人居留证、其他国家的身份或社会保障号码等。",
            help_en="Sensitive personal information: a Hong Kong, Macao or Taiwan permit, a "
            "foreigner's residence permit, another country's identity or social security number.",
        ),
    ],
    "address": [
        _attribute(
            "registered_address",
            "注册地址",
            "Registered address",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            survivorship=SOURCE_TRUST,
            help_zh="营业执照上登记的住所。",
            help_en="The address on the business licence.",
        ),
        _attribute(
            "office_address",
            "办公地址",
            "Office address",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
        ),
        _attribute(
            "warehouse_address",
            "仓库地址",
            "Warehouse address",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
        ),
        _attribute(
            "home_address",
            "家庭住址",
            "Home address",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
        ),
        _attribute(
            "work_address",
            "工作地址",
            "Work address",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            survivorship=MOST_RECENT,
        ),
        # Where the customer asked us to send things: a deliberate choice, so manual entry wins.
        _attribute(
            "postal_address",
            "邮寄地址",
            "Mailing address",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            help_zh="寄送礼品、发票和资料的地址。",
            help_en="Where to send gifts, invoices and documents.",
        ),
    ],
    "company": [
        _attribute(
            "company_type",
            "企业类型",
            "Type of organisation",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=TWO_YEARS,
            data_type="choice",
            survivorship=SOURCE_TRUST,
            choices=_choices(
                ("limited", "有限责任公司", "Limited liability company"),
                ("joint_stock", "股份有限公司", "Company limited by shares"),
                ("state_owned", "全民所有制企业", "State-owned enterprise"),
                ("collective", "集体所有制企业", "Collective enterprise"),
                ("partnership", "合伙企业", "Partnership"),
                ("sole_proprietorship", "个人独资企业", "Sole proprietorship"),
                ("individual_business", "个体工商户", "Individual business"),
                ("foreign", "境外企业", "Company outside mainland China"),
                ("public_institution", "事业单位", "Public institution"),
                ("government", "政府机关", "Government agency"),
                ("social_organization", "社会组织", "Social organisation"),
                ("other", "其他", "Other"),
            ),
        ),
        _attribute(
            "founding_date",
            "成立日期",
            "Date founded",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=NEVER,
            data_type="date",
            survivorship=SOURCE_TRUST,
        ),
        _attribute(
            "registered_capital",
            "注册资本",
            "Registered capital",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="money",
            survivorship=SOURCE_TRUST,
        ),
        _attribute(
            "paid_in_capital",
            "实缴资本",
            "Paid-in capital",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="money",
            survivorship=SOURCE_TRUST,
        ),
        _attribute(
            "total_assets",
            "资产总额",
            "Total assets",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="money",
        ),
        _attribute(
            "annual_revenue",
            "年营业收入",
            "Annual revenue",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="money",
        ),
        _attribute(
            "employees",
            "员工人数",
            "Number of employees",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="number",
        ),
        _attribute(
            "scale",
            "企业规模",
            "Company size",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="choice",
            choices=_choices(
                ("micro", "微型", "Micro"),
                ("small", "小型", "Small"),
                ("medium", "中型", "Medium"),
                ("large", "大型", "Large"),
            ),
            help_zh="按国家统计局《统计上大中小微型企业划分办法》。",
            help_en="As classified by the National Bureau of Statistics for large, medium, "
            "small and micro enterprises.",
        ),
        _attribute(
            "industry_note",
            "行业说明",
            "Industry note",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="long_text",
            help_zh="行业分类之外的补充：主营业务、主要产品。",
            help_en="Beyond the industry classification: main business and products.",
        ),
        _attribute(
            "business_scope",
            "经营范围",
            "Business scope",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            data_type="long_text",
            survivorship=SOURCE_TRUST,
            help_zh="营业执照上登记的经营范围。",
            help_en="The business scope registered on the business licence.",
        ),
        _attribute(
            "bank_account",
            "开户银行及账号",
            "Bank and account number",
            applies_to=ORG,
            sensitivity=SENSITIVE,
            reevaluate_days=YEAR,
            help_zh="金融账户属敏感信息（个体工商户常用个人账户），加密保存。",
            help_en="Financial accounts are sensitive (individual businesses often use a "
            "personal account); stored encrypted.",
        ),
    ],
    "business": [
        _org_assessment(
            "service_area",
            "经营区域",
            "Service area",
            help_zh="客户销售或服务覆盖的地区。",
            help_en="The regions the customer sells to or serves.",
        ),
        _org_assessment(
            "sales_capability",
            "销售能力",
            "Sales capability",
            help_zh="销售团队、渠道与网点。",
            help_en="Sales team, channels and outlets.",
        ),
        _org_assessment("development_potential", "发展潜力", "Development potential"),
        _org_assessment(
            "business_philosophy", "经营理念与方向", "Business philosophy and direction"
        ),
        _org_assessment(
            "sales_performance",
            "销售业绩",
            "Sales performance",
            help_zh="近期销售额、增长情况，以及我方产品的销量。",
            help_en="Recent sales and growth, and how our products sell.",
        ),
        _org_assessment("staff_quality", "员工素质", "Staff quality"),
        _org_assessment(
            "competitor_relations",
            "与竞争对手的关系",
            "Relations with competitors",
            help_zh="是否同时经营竞品，与哪些竞争对手合作。",
            help_en="Whether they also carry competing products, and which competitors they "
            "work with.",
        ),
        _org_assessment(
            "cooperation_attitude",
            "合作态度",
            "Attitude to cooperation",
            data_type="choice",
            choices=_choices(
                ("enthusiastic", "积极主动", "Enthusiastic"),
                ("cooperative", "配合", "Cooperative"),
                ("neutral", "一般", "Neutral"),
                ("passive", "消极", "Passive"),
                ("resistant", "抵触", "Resistant"),
            ),
        ),
        _org_assessment("trading_status", "目前交易状况", "Current trading situation"),
        _org_assessment("strengths", "优势", "Strengths"),
        _org_assessment("problems", "存在的问题", "Problems"),
        _org_assessment(
            "credit_status",
            "信用状况",
            "Credit standing",
            data_type="choice",
            reevaluate_days=QUARTER,
            survivorship=MOST_RECENT,
            choices=_choices(
                ("excellent", "优秀", "Excellent"),
                ("good", "良好", "Good"),
                ("fair", "一般", "Fair"),
                ("poor", "较差", "Poor"),
            ),
            help_zh="付款是否及时、有无拖欠或涉诉；每季度复核。",
            help_en="Whether they pay on time, any arrears or lawsuits; review every quarter.",
        ),
        _org_assessment(
            "credit_limit",
            "信用额度",
            "Credit limit",
            data_type="money",
            reevaluate_days=QUARTER,
            help_zh="我方给予的赊销上限。",
            help_en="The most we let them owe us.",
        ),
        _org_assessment(
            "trading_terms",
            "交易条件",
            "Trading terms",
            help_zh="付款方式与账期、折扣、返利、交货条件。",
            help_en="Payment method and terms, discounts, rebates, delivery terms.",
        ),
        _org_assessment("reputation", "商业信誉与口碑", "Reputation"),
    ],
    "management": [
        _attribute(
            "legal_representative",
            "法定代表人",
            "Legal representative",
            applies_to=ORG,
            sensitivity=PUBLIC,
            reevaluate_days=YEAR,
            survivorship=SOURCE_TRUST,
            help_zh="营业执照上登记的法定代表人（公示信息）。",
            help_en="As registered on the business licence (publicly disclosed).",
        ),
        _attribute(
            "owner",
            "老板/实际控制人",
            "Owner",
            applies_to=ORG,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            help_zh="真正拍板的人，未必是法定代表人。",
            help_en="The person who really decides, not necessarily the legal representative.",
        ),
        _attribute(
            "key_managers",
            "主要管理人员",
            "Key managers",
            applies_to=ORG,
            sensitivity=PERSONAL,
            reevaluate_days=HALF_YEAR,
            data_type="long_text",
            help_zh="姓名与职务；常打交道的人请建为客户，用“任职于”关系关联。",
            help_en="Names and titles; add the people you deal with as customers linked by a "
            "“works at” relationship.",
        ),
        _attribute(
            "management_notes",
            "经营者特点",
            "Management notes",
            applies_to=ORG,
            sensitivity=PERSONAL,
            reevaluate_days=HALF_YEAR,
            data_type="long_text",
            help_zh="老板和管理层的背景、作风与决策方式。",
            help_en="Background and style of the owner and managers, and how they decide.",
        ),
    ],
    "education": [
        _attribute(
            "highest_degree",
            "最高学历",
            "Highest education",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=TWO_YEARS,
            data_type="choice",
            choices=_choices(
                ("middle_school", "初中及以下", "Middle school or below"),
                ("high_school", "高中/中专", "High school or vocational school"),
                ("associate", "大专", "Associate degree"),
                ("bachelor", "本科", "Bachelor's degree"),
                ("master", "硕士", "Master's degree"),
                ("doctorate", "博士", "Doctorate"),
            ),
        ),
        _person_note(
            "schools",
            "毕业院校",
            "Schools attended",
            reevaluate_days=NEVER,
            help_zh="含 EMBA 等进修经历；校友是常见的交往纽带。",
            help_en="Include EMBA and other executive courses; alumni ties are a common bond.",
        ),
        _person_note("major", "专业", "Field of study", data_type="text", reevaluate_days=NEVER),
    ],
    "family": [
        _attribute(
            "marital_status",
            "婚姻状况",
            "Marital status",
            applies_to=PERSON,
            sensitivity=PERSONAL,
            reevaluate_days=TWO_YEARS,
            data_type="choice",
            choices=_choices(
                ("single", "未婚", "Single"),
                ("married", "已婚", "Married"),
                ("divorced", "离异", "Divorced"),
                ("widowed", "丧偶", "Widowed"),
            ),
        ),
        _person_note(
            "spouse_name", "配偶姓名", "Spouse's name", data_type="text", reevaluate_days=TWO_YEARS
        ),
        _person_note(
            "spouse_birthday",
            "配偶生日",
            "Spouse's birthday",
            data_type="date",
            reevaluate_days=NEVER,
        ),
        _person_note(
            "wedding_anniversary",
            "结婚纪念日",
            "Wedding anniversary",
            data_type="date",
            reevaluate_days=NEVER,
        ),
        _person_note(
            "children",
            "子女及生日",
            "Children and their birthdays",
            sensitivity=SENSITIVE,
            help_zh="未满十四周岁未成年人的信息属敏感个人信息（个人信息保护法第二十八条）。",
            help_en="Information about children under 14 is sensitive personal information "
            "(PIPL art. 28).",
        ),
    ],
    "social": [
        _person_note(
            "clubs",
            "俱乐部",
            "Clubs",
            help_zh="高尔夫、车友会、读书会等。",
            help_en="Golf, car clubs, book clubs and the like.",
        ),
        _attribute(
            "associations",
            "协会与商会",
            "Associations and chambers of commerce",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=YEAR,
            data_type="long_text",
            help_zh="行业协会、商会、同乡会、校友会，以及所任职务。",
            help_en="Trade associations, chambers of commerce, hometown and alumni "
            "associations, and any office held.",
        ),
        _person_note(
            "social_circle",
            "社交圈",
            "Social circle",
            help_zh="常来往的朋友和信任的人；能关联的请在“关系”中建立。",
            help_en="Friends and people they trust; link them as relationships where you can.",
        ),
    ],
    "career": [
        _person_note(
            "previous_employers", "曾任职单位", "Previous employers", reevaluate_days=TWO_YEARS
        ),
        _person_note("career_history", "职业经历", "Career history", reevaluate_days=TWO_YEARS),
        _person_note("career_goals", "事业目标", "Career goals"),
    ],
    "life": [
        _person_note(
            "health",
            "健康状况",
            "Health",
            sensitivity=SENSITIVE,
            help_zh="敏感个人信息：需单独同意，只记录必要的内容（如接待时的饮食或行动限制）。",
            help_en="Sensitive personal information: needs separate consent; record only what "
            "is needed, such as dietary or mobility needs when hosting.",
        ),
        _person_note(
            "hobbies",
            "业余爱好",
            "Hobbies",
            help_zh="运动、旅行、收藏等。",
            help_en="Sports, travel, collecting and the like.",
        ),
        _person_note(
            "food_drink",
            "饮食与烟酒偏好",
            "Food, drink and smoking preferences",
            help_zh="宴请和送礼时参考；不要记录宗教或健康方面的原因。",
            help_en="For hosting and gifts; do not record religious or health reasons.",
        ),
    ],
    "personality": [
        _person_note("personality", "性格特点", "Personality", reevaluate_days=TWO_YEARS),
        _person_note(
            "interests",
            "兴趣与话题",
            "Interests and favourite topics",
            help_zh="喜欢聊的话题、关注的领域。",
            help_en="Topics they enjoy talking about and fields they follow.",
        ),
        _person_note(
            "communication_style",
            "沟通风格",
            "Communication style",
            reevaluate_days=TWO_YEARS,
            help_zh="直接还是委婉，重数据还是重关系，方便联系的时间。",
            help_en="Direct or indirect, data or relationship first, good times to reach them.",
        ),
        _person_note(
            "gift_preferences",
            "送礼偏好",
            "Gift preferences",
            help_zh="喜欢什么、送过什么、忌讳什么；须遵守反商业贿赂规定。",
            help_en="What they like, what they have received, what to avoid; keep within "
            "anti-bribery rules.",
        ),
        _person_note(
            "taboos",
            "禁忌",
            "Taboos",
            reevaluate_days=TWO_YEARS,
            help_zh="应避免的话题、数字、颜色等。",
            help_en="Topics, numbers, colours and the like to avoid.",
        ),
    ],
    "experience": [
        _person_note(
            "experience_notes",
            "经历备注",
            "Experience notes",
            reevaluate_days=NEVER,
            help_zh="重要经历：求学、从军、海外工作、创业等。",
            help_en="Notable experiences: studies, military service, working abroad, "
            "founding a business.",
        ),
        _attribute(
            "achievements",
            "荣誉与成就",
            "Honours and achievements",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=TWO_YEARS,
            data_type="long_text",
        ),
        _person_note(
            "history_with_us",
            "与我方交往经历",
            "History with us",
            reevaluate_days=NEVER,
            help_zh="如何结识、谁介绍的、重要的往来。",
            help_en="How we met, who introduced us, key moments.",
        ),
    ],
    "other": [
        _attribute(
            "notes",
            "备注",
            "Notes",
            applies_to=BOTH,
            sensitivity=PERSONAL,
            reevaluate_days=NEVER,
            data_type="long_text",
            survivorship=MOST_RECENT,
            help_zh="其他系统或名片上的备注；导入时“备注/Notes”列写到这里。",
            help_en="Remarks from another system or a business card; imports put “Notes” "
            "columns here.",
        ),
        _attribute(
            "external_id",
            "外部系统编号",
            "External ID",
            applies_to=BOTH,
            sensitivity=PUBLIC,
            reevaluate_days=NEVER,
            help_zh="在其他系统（ERP、旧 CRM、POS）中的编号；导入和接口据此匹配记录。",
            help_en="The identifier in another system (ERP, former CRM, POS); imports and the "
            "API use it to match records.",
        ),
    ],
}

DEFAULT_ATTRIBUTES: list[dict[str, Any]] = [
    {**attribute, "section": section, "order": 10 * position}
    for section, attributes in _TEMPLATE.items()
    for position, attribute in enumerate(attributes, start=1)
]


def ensure_default_attributes(
    model: type[models.Model] | None = None, *, using: str | None = None
) -> int:
    """Create the template's definitions whose code does not exist yet; return how many.

    Existing definitions are left as they are, even when an administrator edited or retired
    them. ``model`` may be the historical model a migration gets from ``apps.get_model``;
    template keys the model does not have (fields added by a later migration) are skipped.
    """
    if model is None:
        from huike.parties.models import AttributeDefinition

        model = AttributeDefinition
    manager = model._default_manager.db_manager(using)
    fields = {field.name for field in model._meta.concrete_fields}
    existing = set(manager.values_list("code", flat=True))
    missing = [
        model(**{key: copy.deepcopy(value) for key, value in entry.items() if key in fields})
        for entry in DEFAULT_ATTRIBUTES
        if entry["code"] not in existing
    ]
    manager.bulk_create(missing)
    return len(missing)
