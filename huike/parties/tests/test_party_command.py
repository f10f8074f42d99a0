"""``huike party show|find|export``: the customer record from the command line."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from huike.accounts.models import User
from huike.cli import main
from huike.parties.api.serializers import PartySerializer
from huike.parties.attributes import ensure_default_attributes
from huike.parties.models import Party, Region, Tag
from huike.parties.services import Provenance, create_party

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]
COLLECTED = datetime.datetime(2026, 3, 1, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
PARTY_HEADER = ["id", "kind", "name", "pinyin", "stage", "owner", "region", "industry", "tags"]


def run(*args: str) -> tuple[str, str]:
    """``huike party ARGS`` in English; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("party", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args: str) -> str:
    """The message of the CommandError ``huike party ARGS`` stops with."""
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("party", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(error.value)


def cells(line: str) -> list[str]:
    """The columns of a line of ``show``'s plain-text output (two or more spaces apart)."""
    return re.split(r" {2,}", line)


@pytest.fixture
def people(make_user: MakeUser) -> dict[str, User]:
    return {
        "boss": make_user("administrator", username="boss"),
        "sales1": make_user("salesperson", username="sales1"),
        "sales2": make_user("salesperson", username="sales2"),
    }


@pytest.fixture
def zhang(people: dict[str, User]) -> Party:
    """sales1's customer in Hangzhou's Xihu district, with values from an import."""
    sales1 = people["sales1"]
    return create_party(
        actor=sales1,
        kind="person",
        name="张三",
        owner=sales1,
        stage="customer",
        region=Region.objects.get(code="330106"),
        tags=[Tag.objects.create(name="重点")],
        attributes={
            "mobile": "138 0013 8000",
            "email": "ZS@Example.com",
            "lunar_birthday": "2020-闰04-08",
            "external_id": "ERP-42",
        },
        provenance=Provenance(
            source="import",
            source_ref="客户表.xlsx",
            collected_at=COLLECTED,
            consent="signed form",
        ),
    )


@pytest.fixture
def company(people: dict[str, User]) -> Party:
    return create_party(
        actor=people["boss"],
        kind="organization",
        name="杭州汇客科技有限公司",
        owner=people["boss"],
        attributes={"phone": "0571-8888 6666"},
    )


@pytest.fixture
def formula(people: dict[str, User]) -> Party:
    """A name a spreadsheet would run as a formula."""
    return create_party(actor=people["boss"], kind="person", name="=1+2", owner=people["boss"])


# --- show ------------------------------------------------------------------------------------


def test_show_prints_the_fields_then_every_value_with_its_source(zhang: Party) -> None:
    out, _err = run("show", str(zhang.pk), "--as", "sales1")

    lines = out.splitlines()
    assert lines[:9] == [
        f"ID        {zhang.pk}",
        "Kind      Person",
        "Name      张三",
        "Pinyin    zhang san",
        "Stage     Customer",
        "Owner     sales1",
        "Region    Xihu District (330106)",
        "Industry  —",
        "Tags      重点",
    ]
    assert lines[9] == ""
    assert [cells(line) for line in lines[10:]] == [
        ["Attribute", "Value", "Source", "Collected by", "Date"],
        ["Name", "张三", "import (客户表.xlsx)", "sales1", "2026-03-01"],
        [
            "Lunar birthday",
            "Lunar 2020, leap month 4, day 8",
            "import (客户表.xlsx)",
            "sales1",
            "2026-03-01",
        ],
        ["Mobile", "138 0013 8000", "import (客户表.xlsx)", "sales1", "2026-03-01"],
        ["Email", "zs@example.com", "import (客户表.xlsx)", "sales1", "2026-03-01"],
        ["External ID", "ERP-42", "import (客户表.xlsx)", "sales1", "2026-03-01"],
    ]


def test_show_aligns_columns_for_chinese_text_which_takes_two_columns(zhang: Party) -> None:
    with translation.override("zh-hans"):
        out = io.StringIO()
        call_command("party", "show", str(zhang.pk), stdout=out)

    table = out.getvalue().splitlines()[10:]
    # The source column starts at the same screen column on every line: 张三 is 4 wide.
    starts = {_screen_width(line[: line.index("import")]) for line in table[1:]}
    assert len(starts) == 1, table


def _screen_width(text: str) -> int:
    return sum(2 if "\u4e00" <= char <= "\u9fff" else 1 for char in text)


def test_show_json_is_the_api_representation_plus_sources(zhang: Party) -> None:
    out, _err = run("show", str(zhang.pk), "--json")

    data = json.loads(out)
    sources = data.pop("sources")
    zhang.refresh_from_db()
    assert data == json.loads(json.dumps(PartySerializer(zhang).data))
    assert data["attributes"] == {
        "name": "张三",
        "mobile": "+8613800138000",
        "email": "zs@example.com",
        "lunar_birthday": "2020-L04-08",
        "external_id": "ERP-42",
    }
    assert set(sources) == set(data["attributes"])
    assert sources["mobile"] == {
        "source": "import",
        "source_ref": "客户表.xlsx",
        "collector": "sales1",
        "collected_at": "2026-03-01T10:30:00+08:00",
        "consent": "signed form",
    }


def test_show_finds_a_customer_by_its_external_id(zhang: Party) -> None:
    out, _err = run("show", "ERP-42", "--json")

    assert json.loads(out)["id"] == zhang.pk


def test_show_refuses_a_customer_outside_the_users_scope(zhang: Party) -> None:
    assert fails("show", str(zhang.pk), "--as", "sales2") == (
        f"No customer '{zhang.pk}' that sales2 may see."
    )
    assert fails("show", "ERP-42", "--as", "sales2") == (
        "No customer 'ERP-42' that sales2 may see."
    )


def test_show_refuses_an_unknown_id(people: dict[str, User]) -> None:
    assert fails("show", "424242") == "No customer '424242' that boss may see."


def test_show_refuses_an_external_id_two_customers_share(
    zhang: Party, people: dict[str, User]
) -> None:
    twin = create_party(
        actor=people["boss"], kind="person", name="张三丰", attributes={"external_id": "ERP-42"}
    )

    assert fails("show", "ERP-42") == (
        f"Several customers have the external id 'ERP-42': {zhang.pk}, {twin.pk}. Give the id."
    )


# --- find ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["zs", "zhangsan", "张", "8000", "138 0013 8000", "zs@ex"])
def test_find_searches_as_the_search_box_does(zhang: Party, company: Party, query: str) -> None:
    out, _err = run("find", query)

    assert out == f"{zhang.pk}\t张三\tzhang san\t+8613800138000\n"


def test_find_prints_the_phone_or_the_email_of_each_match(
    zhang: Party, company: Party, people: dict[str, User]
) -> None:
    hangzhou = create_party(
        actor=people["boss"], kind="person", name="杭晓", attributes={"email": "hx@example.com"}
    )

    out, _err = run("find", "hang")

    assert [line.split("\t") for line in out.splitlines()] == [
        [
            str(company.pk),
            "杭州汇客科技有限公司",
            "hang zhou hui ke ke ji you xian gong si",
            "+8657188886666",
        ],
        [str(hangzhou.pk), "杭晓", "hang xiao", "hx@example.com"],
    ]


def test_find_json_prints_one_api_object_per_line(zhang: Party, company: Party) -> None:
    out, _err = run("find", "8000", "--json")

    [line] = out.splitlines()
    assert json.loads(line)["id"] == zhang.pk
    assert json.loads(line)["attributes"]["mobile"] == "+8613800138000"


def test_find_sees_only_the_users_customers(zhang: Party) -> None:
    assert run("find", "zs", "--as", "sales2") == ("", "")
    assert run("find", "zs", "--as", "sales1")[0].startswith(f"{zhang.pk}\t")


def test_find_prints_nothing_when_nothing_matches(zhang: Party) -> None:
    assert run("find", "nobody at all") == ("", "")


def test_find_stops_at_the_limit(people: dict[str, User]) -> None:
    for name in ["王一", "王二", "王三"]:
        create_party(actor=people["boss"], kind="person", name=name)

    out, _err = run("find", "wang", "--limit", "2")

    assert [line.split("\t")[1] for line in out.splitlines()] == ["王一", "王三"]
    assert fails("find", "wang", "--limit", "0") == "--limit must be at least 1."


# --- export ----------------------------------------------------------------------------------


def test_export_writes_csv_with_a_bom_and_neutralised_formulas(
    zhang: Party, company: Party, formula: Party
) -> None:
    out, _err = run("export")

    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out[1:])))
    assert rows[0] == [
        *PARTY_HEADER,
        "lunar_birthday",
        "mobile",
        "phone",
        "email",
        "external_id",
    ]
    by_id = {row[0]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == [str(zhang.pk), str(company.pk), str(formula.pk)]
    assert by_id[str(zhang.pk)] == [
        str(zhang.pk),
        "person",
        "张三",
        "zhang san",
        "customer",
        "sales1",
        "330106",
        "",
        "重点",
        "2020-L04-08",
        "'+8613800138000",
        "",
        "zs@example.com",
        "ERP-42",
    ]
    assert by_id[str(formula.pk)][2] == "'=1+2"
    assert by_id[str(company.pk)][11] == "'+8657188886666"


def test_export_sees_only_the_users_customers(zhang: Party, company: Party) -> None:
    out, _err = run("export", "--as", "sales1")

    rows = list(csv.reader(io.StringIO(out[1:])))
    assert [row[0] for row in rows[1:]] == [str(zhang.pk)]
    assert "phone" not in rows[0]  # only attributes the exported customers have


@pytest.mark.parametrize(
    "filters",
    [
        ["stage=customer"],
        ["region=330000"],  # Zhejiang includes Hangzhou's Xihu district
        ["q=zs"],
        ["stage=customer", "region=330000", "q=zs"],
        ["stage=customer", "stage=vip"],
        ["owner=sales1"],
        ["kind=person", "attr.external_id=ERP-42"],
    ],
)
def test_export_filters_as_the_customer_list_does(
    zhang: Party, company: Party, formula: Party, filters: list[str]
) -> None:
    args = [part for item in filters for part in ("--filter", item)]

    out, _err = run("export", "--format", "json", *args)

    assert [json.loads(line)["id"] for line in out.splitlines()] == [zhang.pk]


def test_export_filters_that_match_nothing_export_only_the_header(zhang: Party) -> None:
    out, _err = run("export", "--filter", "region=110000")

    assert out == "\ufeff" + ",".join(PARTY_HEADER) + "\r\n"


def test_export_filters_by_tag_name(zhang: Party, company: Party) -> None:
    out, _err = run("export", "--format", "json", "--filter", "tag=重点")

    assert [json.loads(line)["id"] for line in out.splitlines()] == [zhang.pk]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("stage=won", "The filters are not valid: stage: Select a valid choice. won is not one"),
        ("owner=ghost", "The filters are not valid: owner: Select a valid choice."),
        ("colour=red", "Unknown filter 'colour'. Filters: q, kind, stage, owner, team, nature, "),
        ("attr.shoe_size=42", "Unknown attribute “shoe_size”."),
        ("stage", "Write each filter as KEY=VALUE, e.g. stage=customer (not 'stage')."),
    ],
)
def test_export_refuses_a_bad_filter(zhang: Party, item: str, message: str) -> None:
    assert fails("export", "--filter", item).startswith(message)


def test_export_json_lines_are_the_api_representation(zhang: Party, company: Party) -> None:
    out, _err = run("export", "--format", "json")

    objects = [json.loads(line) for line in out.splitlines()]
    zhang.refresh_from_db()
    assert objects[0] == json.loads(json.dumps(PartySerializer(zhang).data))
    assert [o["id"] for o in objects] == [zhang.pk, company.pk]


def test_export_writes_an_excel_file(zhang: Party, formula: Party, tmp_path: Path) -> None:
    target = tmp_path / "customers.xlsx"

    out, err = run("export", "--format", "xlsx", "--output", str(target))

    assert out == ""
    assert err == f"Wrote 2 customers to {target}.\n"
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert list(rows[0]) == [*PARTY_HEADER, "lunar_birthday", "mobile", "email", "external_id"]
    assert rows[1][:3] == (zhang.pk, "person", "张三")
    assert rows[2][2] == "'=1+2"


def test_export_writes_csv_to_a_file(zhang: Party, tmp_path: Path) -> None:
    target = tmp_path / "customers.csv"

    out, err = run("export", "--output", str(target))

    assert out == ""
    assert err == f"Wrote 1 customer to {target}.\n"
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfid,kind,name,")
    assert "张三".encode() in content


class Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_export_writes_excel_to_a_redirected_standard_output(zhang: Party) -> None:
    redirected = io.BytesIO()
    stdout = io.TextIOWrapper(redirected, encoding="utf-8")

    call_command("party", "export", "--format", "xlsx", stdout=stdout)

    stdout.flush()
    rows = list(load_workbook(io.BytesIO(redirected.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][:3] == (zhang.pk, "person", "张三")


def test_export_refuses_to_print_excel_to_a_terminal(zhang: Party) -> None:
    screen = io.BytesIO()
    terminal = Terminal(screen, encoding="utf-8")

    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("party", "export", "--format", "xlsx", stdout=terminal)

    assert str(error.value).startswith("An Excel file is binary")
    assert screen.getvalue() == b""


def test_export_refuses_excel_on_a_text_stream(zhang: Party) -> None:
    assert fails("export", "--format", "xlsx") == (
        "An Excel file is binary: write it with --output FILE or redirect the output."
    )


def test_export_refuses_an_unknown_format(zhang: Party) -> None:
    assert fails("export", "--format", "pdf") == "Unknown format 'pdf'. Choose csv, xlsx or json."


def test_export_refuses_a_file_it_cannot_write(zhang: Party, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.csv"

    assert fails("export", "--output", str(target)) == (
        f"Cannot write {target}: No such file or directory"
    )


def test_export_queries_do_not_grow_with_the_number_of_customers(
    zhang: Party, company: Party, people: dict[str, User]
) -> None:
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            run("export")
        return len(queries)

    few = count_queries()
    for index in range(5):
        create_party(
            actor=people["boss"],
            kind="person",
            name=f"客户{index}",
            tags=[Tag.objects.get_or_create(name=f"t{index}")[0]],
            attributes={"email": f"c{index}@example.com"},
        )

    assert count_queries() == few


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_export_stops_quietly_when_the_reader_closes_the_pipe(zhang: Party) -> None:
    # e.g. ``huike party export | head -1``
    with pytest.raises(SystemExit) as stopped:
        call_command("party", "export", stdout=ClosedPipe(), stderr=io.StringIO())

    assert stopped.value.code == 1


# --- acting user -----------------------------------------------------------------------------


def test_every_subcommand_acts_as_the_first_active_administrator_by_default(
    make_user: MakeUser, zhang: Party, company: Party
) -> None:
    # Given an earlier administrator who was disabled
    User.objects.filter(username="boss").update(is_active=False)
    make_user("administrator", username="chief")

    out, _err = run("export", "--format", "json")

    assert [json.loads(line)["id"] for line in out.splitlines()] == [zhang.pk, company.pk]
    assert run("find", "zs")[0].startswith(f"{zhang.pk}\t")


def test_without_an_active_administrator_a_user_must_be_named(
    people: dict[str, User],
) -> None:
    User.objects.filter(username="boss").update(is_active=False)

    assert fails("find", "zs") == "There is no active administrator; name a user with --as."


def test_unknown_disabled_and_unprivileged_users_are_refused(
    make_user: MakeUser, people: dict[str, User]
) -> None:
    make_user("salesperson", username="gone", is_active=False)
    make_user(None, username="nobody")

    assert fails("find", "zs", "--as", "ghost") == "No user named 'ghost'."
    assert fails("show", "1", "--as", "gone") == "User 'gone' is disabled."
    assert fails("export", "--as", "nobody") == "User 'nobody' may not see customers."


# --- through the ``huike`` entry point -------------------------------------------------------

# ``main()`` closes the database connection when the command ends: real transactions. A
# transactional test starts from a flushed database, so the profile fields are created again.


@pytest.mark.django_db(transaction=True)
def test_huike_party_find_prints_matches_and_exits_zero(
    make_user: MakeUser, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_default_attributes()
    sales1 = make_user("salesperson", username="sales1")
    party = create_party(
        actor=sales1, kind="person", name="张三", owner=sales1, attributes={"mobile": "13800138000"}
    )
    monkeypatch.setenv("HUIKE_LANGUAGE", "en")

    with translation.override("en"):
        assert main(["huike", "party", "find", "8000", "--as", "sales1"]) == 0
        assert capsys.readouterr().out == f"{party.pk}\t张三\tzhang san\t+8613800138000\n"

        assert main(["huike", "party", "find", "8000", "--as", "sales1", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == party.pk


@pytest.mark.django_db(transaction=True)
def test_huike_party_show_exits_one_for_a_customer_out_of_scope(
    make_user: MakeUser, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_default_attributes()
    sales1 = make_user("salesperson", username="sales1")
    make_user("salesperson", username="sales2")
    party = create_party(actor=sales1, kind="person", name="张三", owner=sales1)
    monkeypatch.setenv("HUIKE_LANGUAGE", "en")

    with pytest.raises(SystemExit) as stopped, translation.override("en"):
        main(["huike", "party", "show", str(party.pk), "--as", "sales2"])

    assert stopped.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"CommandError: No customer '{party.pk}' that sales2 may see.\n"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("subcommand", [[], ["show"], ["find"], ["export"]])
def test_huike_party_explains_itself(
    language: str, subcommand: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped, translation.override("en"):
        main(["huike", "--lang", language, "party", *subcommand, "--help"])

    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ")
    assert "--as USERNAME" in out or not subcommand
