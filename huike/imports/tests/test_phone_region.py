"""Phone numbers without a country code: the row's address country, else the import's phone
region, else the installation's ``PHONE_REGION``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from huike.accounts.models import User
from huike.imports import presets
from huike.imports.forms import UploadForm
from huike.imports.models import ImportJob
from huike.imports.transforms import phone, region_of_country
from huike.parties.models import Party
from huike.parties.text import format_phone, normalise_phone

OUTLOOK_US = (
    "First Name,Last Name,Business Phone,Mobile Phone,Business Country/Region,E-mail Address\n"
    "Anna,Lee,(425) 555-0100,425-555-0199,United States,anna@example.com\n"
    "Wei,Zhang,010-6552 9988,13800138000,,wei@example.cn\n"
    "Karl,Ott,030 1234567,,Deutschland,karl@example.de\n"
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("美国", "US"),
        ("Deutschland", "DE"),
        ("香港", "HK"),
        ("UK", "GB"),
        ("hk", "HK"),
        ("Zhejiang", None),
        ("", None),
    ],
)
def test_country_names_in_addresses_give_a_phone_region(text: str, code: str | None) -> None:
    assert region_of_country(text) == code


def test_each_row_reads_its_numbers_as_its_address_countrys() -> None:
    header, *lines = OUTLOOK_US.splitlines()
    columns = header.split(",")
    mapping = presets.OUTLOOK.mapping_for(columns)
    rows = [dict(zip(columns, line.split(","), strict=True)) for line in lines]

    anna, wei, karl = (presets.map_row(row, mapping)[0] for row in rows)

    assert (anna["phone"], anna["mobile"]) == ("+14255550100", "+14255550199")
    assert (wei["phone"], wei["mobile"]) == ("+861065529988", "+8613800138000")
    assert karl["phone"] == "+49301234567"


def test_the_imports_region_applies_when_the_row_names_no_country() -> None:
    mapping = {"Name": "name", "Tel": "phone"}  # no transform named: phones still read

    values, problems = presets.map_row({"Name": "Anna", "Tel": "(425) 555-0100"}, mapping)
    assert "phone" not in values and problems  # as a Chinese number it is not valid
    values, problems = presets.map_row(
        {"Name": "Anna", "Tel": "(425) 555-0100"}, mapping, region="US"
    )
    assert (values["phone"], problems) == ("+14255550100", [])


def test_the_installation_region_is_the_default(settings: Any) -> None:
    assert normalise_phone("010-6552 9988") == "+861065529988"
    settings.PHONE_REGION = "HK"
    assert normalise_phone("2345 6789") == "+85223456789"
    assert phone("2345 6789") == "+85223456789"
    assert format_phone("+85223456789") == "2345 6789"  # at home: national form
    assert format_phone("+8613800138000").startswith("+86")


@pytest.mark.django_db
def test_cli_phone_region_option(tmp_path: Path, admin_user: User) -> None:
    path = tmp_path / "us.csv"
    path.write_text("Name,Phone\nAnna Lee,(425) 555-0100\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import", str(path), "--json", "--phone-region", "us", "--map", "Phone=phone", stdout=out
    )

    summary = json.loads(out.getvalue())
    assert (summary["created"], summary["rejected"], summary["phone_region"]) == (1, 0, "US")
    assert Party.objects.get(name="Anna Lee").golden["phone"] == "+14255550100"
    with pytest.raises(CommandError, match="XX"):
        call_command("import", str(path), "--phone-region", "XX", stdout=io.StringIO())
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_cli_reads_us_outlook_numbers_by_their_address_country(
    tmp_path: Path, admin_user: User
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(OUTLOOK_US, encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import", str(path), "--json", "--preset", "outlook", stdout=out, stderr=io.StringIO()
    )

    summary = json.loads(out.getvalue())
    assert (summary["created"], summary["rejected"]) == (3, 0)
    assert Party.objects.get(name="Anna Lee").golden["mobile"] == "+14255550199"


@pytest.mark.django_db
def test_upload_page_offers_the_phone_region(
    client: Client, admin_user: User, settings: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from huike.privacy.models import Purpose

    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(admin_user)
    page = client.get(reverse("imports:importjob_add"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'name="phone_region"' in page.content.decode()
    field: Any = UploadForm().fields["phone_region"]
    assert ("US", "US — United States") in field.choices

    purpose = Purpose.objects.filter(is_active=True).first()
    assert purpose is not None
    response = client.post(
        reverse("imports:importjob_add"),
        {
            "purpose": purpose.pk,
            "evidence": "signed forms",
            "policy": "update",
            "phone_region": "US",
            "file": SimpleUploadedFile("us.csv", b"Name,Phone\nAnna Lee,(425) 555-0100\n"),
        },
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.phone_region == "US"
    preview = client.get(reverse("imports:importjob_mapping", args=[job.pk]))
    assert "+1 425-555-0100" in preview.content.decode() or "+14255550100" in (
        preview.content.decode()
    )


@pytest.mark.django_db
def test_a_vcards_address_country_reads_its_phone_numbers(tmp_path: Path, admin_user: User) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Appleseed;John;;;\r\nFN:John Appleseed\r\n"
        "TEL;type=WORK:(415) 555-0132\r\n"
        "ADR;type=WORK:;;1 Infinite Loop;Cupertino;CA;95014;United States\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:王芳\r\nTEL;type=CELL:139 0013 9000\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import", str(path), "--json", stdout=out, stderr=io.StringIO())

    assert json.loads(out.getvalue())["created"] == 2
    assert Party.objects.get(name="John Appleseed").golden["phone"] == "+14155550132"
    assert Party.objects.get(name="王芳").golden["mobile"] == "+8613900139000"


def test_a_column_mapped_to_phone_region_only_says_the_phones_country() -> None:
    mapping = {"Name": "name", "Tel": "phone", "Land": "phone_region"}
    assert presets.check_mapping(mapping, ["name", "phone"]) == []

    values, problems = presets.map_row(
        {"Name": "Karl", "Tel": "030 1234567", "Land": "DE"}, mapping
    )

    assert (values, problems) == ({"name": "Karl", "phone": "+49301234567"}, [])
