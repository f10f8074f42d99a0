"""Customer pages: the list and its exports, the 360° page, lineage, forms and freshness."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from huike.accounts.models import Team, User
from huike.accounts.tests.factories import TeamFactory
from huike.parties import services
from huike.parties.models import (
    AttributeDefinition,
    GoldenValue,
    Observation,
    Party,
    Region,
    Relationship,
    Tag,
)
from huike.parties.tests.factories import observe, organisation, person

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
LIST = "/customers/"
ADD = "/customers/add/"
MOBILE = "+8613800138000"
FORMULA = '=HYPERLINK("http://x")'
LONG_AGO = datetime.timedelta(days=400)


def page(party: Party) -> str:
    return f"/customers/{party.pk}/"


def html(response: Any) -> str:
    return str(response.content.decode())


def csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def form_data(**values: Any) -> dict[str, Any]:
    """What the person form posts when only the name is filled in."""
    data: dict[str, Any] = {"kind": "person", "name": "张三", "stage": "prospect"}
    data.update(values)
    return data


@pytest.fixture
def east() -> Team:
    return TeamFactory.create(name="East")


@pytest.fixture
def mei(make_user: MakeUser, east: Team) -> User:
    return make_user("salesperson", username="mei", team=east)


@pytest.fixture
def mei_client(client: Client, mei: User) -> Client:
    client.force_login(mei)
    return client


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


# --- Sign-in, permission and scope ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [LIST, ADD, "/customers/reevaluation/", "/customers/attributes/", "/customers/1/"],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_user_without_customer_permissions_gets_403(client: Client, make_user: MakeUser) -> None:
    client.force_login(make_user(None))

    assert client.get(LIST).status_code == 403
    assert client.get(ADD).status_code == 403


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "edit/"),
        ("get", "lineage/mobile/"),
        ("post", "confirm/"),
    ],
)
def test_a_customer_out_of_scope_answers_404(
    mei_client: Client, make_user: MakeUser, method: str, suffix: str
) -> None:
    theirs = person("李四", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})

    response = getattr(mei_client, method)(page(theirs) + suffix)

    assert response.status_code == 404
    assert Observation.objects.filter(party=theirs).count() == 2


def test_using_a_value_of_a_customer_out_of_scope_answers_404(
    mei_client: Client, make_user: MakeUser
) -> None:
    theirs = person("李四", owner=make_user("salesperson"), attributes={"mobile": "13800138000"})
    [mobile] = Observation.objects.filter(party=theirs, attribute__code="mobile")

    response = mei_client.post(f"{page(theirs)}use/{mobile.pk}/")

    assert response.status_code == 404
    assert Observation.objects.filter(party=theirs).count() == 2


# --- List and exports -------------------------------------------------------------------------


def test_the_list_shows_only_the_users_customers(
    mei_client: Client, mei: User, make_user: MakeUser
) -> None:
    person("张三", owner=mei, attributes={"mobile": "13800138000"})
    person("李四", owner=make_user("salesperson"))

    content = html(mei_client.get(LIST))

    assert "张三" in content
    assert "138 0013 8000" in content  # a salesperson reads her own customers' phones
    assert "李四" not in content


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"q": "zs"}, "张三", "李四"),
        ({"q": "8000"}, "张三", "李四"),
        ({"stage": "vip"}, "李四", "张三"),
        ({"region": "330000"}, "张三", "李四"),
        ({"tag": "重点"}, "李四", "张三"),
        ({"attr.gender": "female"}, "李四", "张三"),
    ],
)
def test_the_list_filters_like_the_api(
    admin_client: Client, query: dict[str, str], shown: str, hidden: str
) -> None:
    person(
        "张三",
        region=Region.objects.get(code="330106"),
        attributes={"mobile": "13800138000", "gender": "male"},
    )
    person(
        "李四",
        stage=Party.Stage.VIP,
        tags=[Tag.objects.create(name="重点")],
        attributes={"gender": "female"},
    )

    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    assert shown in html(response)
    assert hidden not in html(response)


def test_the_csv_export_neutralises_formulas_and_follows_the_filters(
    admin_client: Client,
) -> None:
    person(FORMULA, attributes={"mobile": "13800138000"})
    person("李四")

    response = admin_client.get(LIST, {"export": "csv", "q": "=HYPER"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert "Name" in header and "Pinyin" in header
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Name"] == "'" + FORMULA
    assert row["Phone or e-mail"] == "138 0013 8000"  # shown as people read it
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in rows[0])


def test_the_excel_export_stores_formulas_as_text(admin_client: Client) -> None:
    person(FORMULA)

    response = admin_client.get(LIST, {"export": "xlsx"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows()]
    header = [cell.value for cell in rows[0]]
    name = rows[1][header.index("Name")]
    assert name.value == "'" + FORMULA
    assert name.data_type == "s"
    assert all(cell.data_type != "f" for row in rows for cell in row)


def test_the_export_holds_only_customers_the_user_may_see(
    mei_client: Client, mei: User, make_user: MakeUser
) -> None:
    person("张三", owner=mei)
    person("李四", owner=make_user("salesperson"))

    _header, *rows = csv_rows(mei_client.get(LIST, {"export": "csv"}))

    assert [row[0] for row in rows] == ["张三"]


def list_queries(client: Client, query: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response: Any = client.get(LIST, query)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", [{}, {"export": "csv"}], ids=["page", "csv"])
def test_the_list_query_count_does_not_grow_with_the_customers(
    admin_client: Client, admin_user: User, query: dict[str, str]
) -> None:
    region = Region.objects.get(code="330106")

    def add(count: int) -> None:
        for number in range(count):
            person(f"客户{number}", owner=admin_user, region=region)

    add(3)
    few = list_queries(admin_client, query)
    add(17)
    many = list_queries(admin_client, query)

    assert many == few


# --- The 360° page and lineage ----------------------------------------------------------------


def test_the_360_page_shows_each_value_with_its_source(
    mei_client: Client, mei: User, admin_user: User
) -> None:
    party = person(
        "张三",
        actor=mei,
        owner=mei,
        attributes={"mobile": "13800138000", "gender": "male", "lunar_birthday": "四月初八"},
    )
    services.record_observations(
        party,
        {"email": "zs@example.com"},
        actor=admin_user,
        provenance=services.Provenance(source="import", source_ref="客户表.xlsx"),
    )

    response = mei_client.get(page(party))

    assert response.status_code == 200
    content = html(response)
    assert "张三" in content and "zhang san" in content
    assert "138 0013 8000" in content  # a home number reads in national format
    assert "Male" in content
    assert "Lunar month 4, day 8" in content
    assert "zs@example.com" in content
    assert "客户表.xlsx" in content
    profile = response.context["profile"]
    rows = {row["attribute"].code: row for _label, section in profile for row in section}
    assert set(rows) == {"mobile", "gender", "lunar_birthday", "email"}  # the name is the title
    assert (rows["mobile"]["observation"].source, rows["mobile"]["observation"].collector) == (
        "manual",
        mei,
    )
    assert rows["email"]["observation"].source == "import"
    assert f"/customers/{party.pk}/lineage/mobile/" in content


def test_the_360_page_query_count_does_not_grow_with_values_and_relationships(
    admin_client: Client,
) -> None:
    def queries(party: Party) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(page(party)).status_code == 200
        return len(captured)

    few = organisation("甲有限公司", attributes={"phone": "010-6552 9988"})
    many = organisation(
        "乙有限公司",
        tags=[Tag.objects.create(name="重点"), Tag.objects.create(name="展会")],
        attributes={
            "phone": "010-6552 9988",
            "email": "b@example.com",
            "uscc": "91110000600037341L",
            "scale": "large",
            "registered_capital": "¥1,000,000",
            "founding_date": "2001-01-01",
        },
    )
    for index, party in enumerate((few, many)):
        for number in range(1 if party is few else 6):
            services.save_relationship(
                Relationship(),
                actor=None,
                from_party=person(f"员工{index}{number}"),
                to_party=party,
                kind="employment",
                title=f"T{number}",
            )
    queries(few)  # warm caches (content types, attribute definitions)

    assert queries(many) == queries(few)


def test_the_360_page_marks_stale_values(admin_client: Client) -> None:
    party = person(
        "张三",
        attributes={"mobile": "13800138000", "birth_date": "1990-05-30"},
        provenance=services.Provenance(collected_at=timezone.now() - LONG_AGO),
    )

    response = admin_client.get(page(party))

    rows = {
        row["attribute"].code: row
        for _label, section in response.context["profile"]
        for row in section
    }
    assert rows["mobile"]["stale"] is True
    assert rows["birth_date"]["stale"] is False
    assert response.context["stale_count"] == 1
    assert "1 value is due for re-evaluation." in html(response)


def test_the_lineage_fragment_lists_every_value_for_htmx(admin_client: Client) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})
    observe(party, {"mobile": "13900139000"}, source="import", days_ago=-1)

    response = admin_client.get(f"{page(party)}lineage/mobile/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = html(response)
    assert "<html" not in content  # a fragment, swapped into the page
    assert content.index("139 0013 9000") < content.index("138 0013 8000")  # newest first
    assert "import" in content and "entered by hand" in content
    assert content.count("Use this value instead") == 1  # for the value not in use
    rows = response.context["rows"]
    assert [row["current"] for row in rows] == [False, True]


def test_the_lineage_is_a_full_page_without_htmx(admin_client: Client) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})

    response = admin_client.get(f"{page(party)}lineage/mobile/")

    assert response.status_code == 200
    assert "<html" in html(response)
    assert party.get_absolute_url() in html(response)  # the breadcrumb back


def test_the_lineage_of_an_unknown_attribute_answers_404(admin_client: Client) -> None:
    party = person("张三")

    assert admin_client.get(f"{page(party)}lineage/shoe_size/").status_code == 404


def test_use_this_value_instead_makes_an_older_value_golden(
    admin_client: Client, admin_user: User
) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})
    observe(party, {"mobile": "13900139000"}, source="manual")
    older = Observation.objects.filter(party=party, attribute__code="mobile").order_by("pk")[0]

    response = admin_client.post(f"{page(party)}use/{older.pk}/")

    assert response.status_code == 302
    assert response["Location"] == page(party)
    stored = Party.objects.get(pk=party.pk)
    assert stored.golden["mobile"] == MOBILE
    newest = Observation.objects.filter(party=party, attribute__code="mobile").latest("pk")
    assert (newest.source, newest.collector) == ("manual", admin_user)
    assert Observation.objects.filter(party=party, attribute__code="mobile").count() == 3


def test_use_this_value_instead_needs_post_and_the_change_permission(
    client: Client, make_user: MakeUser
) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})
    observation = Observation.objects.get(party=party, attribute__code="mobile")
    client.force_login(make_user("analyst"))

    assert client.get(f"{page(party)}use/{observation.pk}/").status_code == 405
    assert client.post(f"{page(party)}use/{observation.pk}/").status_code == 403
    assert Observation.objects.filter(party=party).count() == 2


def test_confirming_all_stale_values_makes_them_fresh(admin_client: Client) -> None:
    party = person(
        "张三",
        attributes={"mobile": "13800138000", "email": "zs@example.com"},
        provenance=services.Provenance(collected_at=timezone.now() - LONG_AGO),
    )

    response = admin_client.post(f"{page(party)}confirm/")

    assert response.status_code == 302
    assert response["Location"] == page(party)
    now = timezone.now()
    for golden in GoldenValue.objects.filter(party=party, attribute__code__in=["mobile", "email"]):
        assert golden.stale_at is not None and golden.stale_at > now
        assert golden.observation.source == "confirmation"


def test_confirming_one_attribute_goes_back_to_the_given_page(admin_client: Client) -> None:
    party = person(
        "张三",
        attributes={"mobile": "13800138000", "email": "zs@example.com"},
        provenance=services.Provenance(collected_at=timezone.now() - LONG_AGO),
    )

    response = admin_client.post(
        f"{page(party)}confirm/", {"attribute": "mobile", "next": "/customers/reevaluation/"}
    )

    assert response["Location"] == "/customers/reevaluation/"
    fresh = GoldenValue.objects.filter(party=party, stale_at__gt=timezone.now())
    assert [g.attribute.code for g in fresh] == ["mobile"]


def test_a_read_only_role_cannot_confirm_values(client: Client, make_user: MakeUser) -> None:
    # Regression: confirming needed only a signed-in user, though it records observations.
    party = person(
        "张三",
        attributes={"mobile": "13800138000"},
        provenance=services.Provenance(collected_at=timezone.now() - LONG_AGO),
    )
    client.force_login(make_user("analyst"))

    response = client.post(f"{page(party)}confirm/")

    assert response.status_code == 403
    assert Observation.objects.filter(party=party).count() == 2
    stale_at = GoldenValue.objects.get(party=party, attribute__code="mobile").stale_at
    assert stale_at is not None and stale_at < timezone.now()


def test_confirm_does_not_redirect_to_another_site(admin_client: Client) -> None:
    # Regression: "next" was followed wherever it pointed (an open redirect).
    party = person("张三")

    response = admin_client.post(f"{page(party)}confirm/", {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == page(party)


def test_the_reevaluation_page_lists_only_the_users_own_stale_values(
    mei_client: Client, mei: User, make_user: MakeUser, east: Team
) -> None:
    long_ago = services.Provenance(collected_at=timezone.now() - LONG_AGO)
    person("张三", owner=mei, attributes={"mobile": "13800138000"}, provenance=long_ago)
    person("王五", owner=mei, attributes={"mobile": "13700137000"})  # fresh
    person(
        "李四",
        owner=make_user("salesperson", team=east),
        team=east,
        attributes={"mobile": "13900139000"},
        provenance=long_ago,
    )

    response = mei_client.get("/customers/reevaluation/")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["golden"].party.name, row["golden"].attribute.code) for row in rows] == [
        ("张三", "mobile")
    ]
    assert "李四" not in html(response)
    assert "王五" not in html(response)


def test_the_reevaluation_page_says_when_everything_is_fresh(mei_client: Client, mei: User) -> None:
    person("张三", owner=mei, attributes={"mobile": "13800138000"})

    response = mei_client.get("/customers/reevaluation/")

    assert response.context["rows"] == []
    assert "every value of your customers is fresh" in html(response)


# --- Create and edit --------------------------------------------------------------------------


def test_the_person_form_offers_person_fields_only(mei_client: Client) -> None:
    form = mei_client.get(ADD, {"kind": "person"}).context["form"]

    assert {"attr_mobile", "attr_gender", "attr_lunar_birthday"} <= set(form.fields)
    assert "attr_uscc" not in form.fields
    assert "attr_name" not in form.fields  # the name has its own field


def test_the_organisation_form_offers_organisation_fields_only(mei_client: Client) -> None:
    form = mei_client.get(ADD, {"kind": "organization"}).context["form"]

    assert {"attr_uscc", "attr_registered_capital", "attr_phone"} <= set(form.fields)
    assert "attr_mobile" not in form.fields


def test_creating_a_person_records_the_values_and_makes_the_user_owner(
    mei_client: Client, mei: User
) -> None:
    response = mei_client.post(
        f"{ADD}?kind=person",
        form_data(
            attr_mobile="138 0013 8000",
            attr_email="ZS@example.com",
            attr_gender="male",
            attr_birth_date="1990-05-30",
            region_code="330106",
            tags="重点，展会",
        ),
    )

    party = Party.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page(party)
    assert party.owner == mei
    assert party.region is not None and party.region.code == "330106"
    assert sorted(tag.name for tag in party.tags.all()) == ["展会", "重点"]
    assert party.golden == {
        "name": "张三",
        "mobile": MOBILE,
        "email": "zs@example.com",
        "gender": "male",
        "birth_date": "1990-05-30",
    }
    assert {o.source for o in Observation.objects.filter(party=party)} == {"manual"}
    assert {o.collector for o in Observation.objects.filter(party=party)} == {mei}


def test_creating_an_organisation_with_its_credit_code(admin_client: Client) -> None:
    response = admin_client.post(
        f"{ADD}?kind=organization",
        form_data(
            kind="organization",
            name="华为技术有限公司",
            attr_uscc="91110000600037341L",
            attr_registered_capital="¥4,000,000",
            industry_code="65",
        ),
    )

    assert response.status_code == 302
    party = Party.objects.get()
    assert party.kind == "organization"
    assert party.industry is not None and party.industry.code == "65"
    assert party.golden["uscc"] == "91110000600037341L"
    assert party.golden["registered_capital"] == {"amount": "4000000.00", "currency": "CNY"}


def test_an_invalid_phone_shows_the_error_and_keeps_what_was_typed(mei_client: Client) -> None:
    response = mei_client.post(
        f"{ADD}?kind=person",
        form_data(name="张三", attr_mobile="12345", attr_email="zs@example.com"),
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["attr_mobile"] == ["“12345” is not a valid phone number."]
    content = html(response)
    assert 'value="12345"' in content
    assert 'value="zs@example.com"' in content
    assert 'value="张三"' in content
    assert not Party.objects.exists()
    assert not Observation.objects.exists()


def test_an_unknown_region_code_is_a_field_error(mei_client: Client) -> None:
    response = mei_client.post(f"{ADD}?kind=person", form_data(region_code="999999"))

    assert response.status_code == 400
    assert response.context["form"].errors["region_code"] == ["No region has the code 999999."]
    assert not Party.objects.exists()


def test_editing_saves_changed_values_only(admin_client: Client) -> None:
    party = person("张三", attributes={"mobile": "13800138000"})

    response = admin_client.post(
        f"{page(party)}edit/",
        form_data(version="1", attr_mobile="138-0013-8000", attr_email="zs@example.com"),
    )

    assert response.status_code == 302
    added = Observation.objects.filter(party=party).order_by("pk")[2:]
    assert [o.attribute.code for o in added] == ["email"]
    assert Party.objects.get(pk=party.pk).version == 2


def test_editing_an_outdated_version_shows_the_conflict_and_keeps_the_typed_values(
    admin_client: Client, admin_user: User
) -> None:
    # given an editor who loaded version 1, and a colleague who saved in between
    party = person("张三", attributes={"mobile": "13800138000"})
    loaded = admin_client.get(f"{page(party)}edit/").context["form"]
    assert loaded["version"].value() == 1
    services.update_party(party, actor=admin_user, stage=Party.Stage.CUSTOMER)

    # when the editor saves what they typed
    response = admin_client.post(
        f"{page(party)}edit/",
        form_data(version="1", name="张叁", attr_mobile="13900139000"),
    )

    # then nothing is saved, the conflict is explained, and the typed values are still there
    assert response.status_code == 400
    content = html(response)
    assert "Someone else saved this customer while you were editing." in content
    assert 'value="张叁"' in content
    assert 'value="13900139000"' in content
    stored = Party.objects.get(pk=party.pk)
    assert (stored.name, stored.stage, stored.golden["mobile"]) == ("张三", "customer", MOBILE)
    # and saving again (the form now carries the current version) goes through
    assert response.context["form"]["version"].value() == "2"
    again = admin_client.post(
        f"{page(party)}edit/", form_data(version="2", name="张叁", stage="customer")
    )
    assert again.status_code == 302
    assert Party.objects.get(pk=party.pk).name == "张叁"


def test_the_edit_form_shows_the_golden_values(admin_client: Client) -> None:
    party = person(
        "张三", attributes={"mobile": "13800138000", "gender": "female", "birth_date": "1990-05-30"}
    )

    form = admin_client.get(f"{page(party)}edit/").context["form"]

    assert form["attr_mobile"].value() == MOBILE
    assert form["attr_gender"].value() == "female"
    assert form["attr_birth_date"].value() == "1990-05-30"
    assert form.fields["kind"].disabled


def test_an_analyst_cannot_open_the_edit_form(client: Client, make_user: MakeUser) -> None:
    party = person("张三")
    client.force_login(make_user("analyst"))

    assert client.get(page(party)).status_code == 200
    assert client.get(f"{page(party)}edit/").status_code == 403
    assert client.post(f"{page(party)}edit/", form_data(version="1")).status_code == 403


# --- Attribute definitions --------------------------------------------------------------------


def test_an_administrator_adds_a_custom_field_that_then_appears_on_the_person_form(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/customers/attributes/add/",
        {
            "code": "favourite_tea",
            "label_zh": "喜欢的茶",
            "label_en": "Favourite tea",
            "section": "personality",
            "order": "10",
            "data_type": "choice",
            "validator": "",
            "choices": json.dumps(
                [
                    {"value": "green", "zh": "绿茶", "en": "Green tea"},
                    {"value": "black", "zh": "红茶", "en": "Black tea"},
                ]
            ),
            "applies_to": "person",
            "sensitivity": "personal",
            "reevaluate_days": "",
            "survivorship": "manual_wins",
            "help_zh": "",
            "help_en": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == "/customers/attributes/"
    tea = AttributeDefinition.objects.get(code="favourite_tea")
    assert not tea.is_system
    person_form = admin_client.get(ADD, {"kind": "person"})
    assert "Favourite tea" in html(person_form)
    assert person_form.context["form"].fields["attr_favourite_tea"].choices == [
        ("", "—"),
        ("green", "Green tea"),
        ("black", "Black tea"),
    ]
    assert (
        "attr_favourite_tea"
        not in admin_client.get(ADD, {"kind": "organization"}).context["form"].fields
    )
    created = admin_client.post(f"{ADD}?kind=person", form_data(attr_favourite_tea="black"))
    assert created.status_code == 302
    assert Party.objects.get().golden["favourite_tea"] == "black"


def test_the_attribute_list_shows_the_fields(admin_client: Client) -> None:
    response = admin_client.get("/customers/attributes/")

    assert response.status_code == 200
    assert "Mobile" in html(response)
    assert "email" in html(response)


def test_a_built_in_field_keeps_its_type_in_the_edit_form(admin_client: Client) -> None:
    mobile = AttributeDefinition.objects.get(code="mobile")

    form = admin_client.get(f"/customers/attributes/{mobile.pk}/edit/").context["form"]

    assert form.fields["code"].disabled
    assert form.fields["data_type"].disabled
    assert form.fields["validator"].disabled


def test_retiring_a_built_in_field_in_the_form_shows_the_refusal(admin_client: Client) -> None:
    mobile = AttributeDefinition.objects.get(code="mobile")
    form = admin_client.get(f"/customers/attributes/{mobile.pk}/edit/").context["form"]
    data = {
        name: value
        for name, value in (
            (name, form[name].value()) for name in form.fields if name != "is_active"
        )
        if value is not None
    }
    data["choices"] = json.dumps(data.get("choices") or [])

    response = admin_client.post(f"/customers/attributes/{mobile.pk}/edit/", data)

    assert response.status_code == 400
    assert "Built-in fields cannot be retired." in html(response)
    mobile.refresh_from_db()
    assert mobile.is_active


def test_a_salesperson_cannot_add_fields(mei_client: Client) -> None:
    assert mei_client.get("/customers/attributes/add/").status_code == 403


def test_a_retired_field_disappears_from_the_form_but_keeps_its_values(
    admin_client: Client,
) -> None:
    party = person("张三", attributes={"qq": "12345"})
    AttributeDefinition.objects.filter(code="qq").update(is_active=False)

    form = admin_client.get(ADD, {"kind": "person"}).context["form"]

    assert "attr_qq" not in form.fields
    assert Party.objects.get(pk=party.pk).golden["qq"] == "12345"


def test_the_organisation_page_links_its_people(admin_client: Client) -> None:
    huawei = organisation()
    zhang = person("张三")
    services.save_relationship(
        Relationship(),
        actor=None,
        from_party=zhang,
        to_party=huawei,
        kind="employment",
        title="CTO",
    )

    content = html(admin_client.get(page(huawei)))

    assert zhang.get_absolute_url() in content
    assert "CTO" in content
