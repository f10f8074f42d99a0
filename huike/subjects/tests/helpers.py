"""Helpers shared by the data-subject request tests."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from huike.parties.models import Party
from huike.parties.tests.factories import person
from huike.subjects import services
from huike.subjects.models import SubjectRequest

MOBILE = "13800138000"
MOBILE_E164 = "+8613800138000"
EMAIL = "Zhang.San@Example.com"
RESIDENT_ID = "11010519491231002X"
FORMULA = '=HYPERLINK("http://x")'


def zhang(actor: Any = None, **kwargs: Any) -> Party:
    """张三 with a mobile, an e-mail and an ID number (sensitive), collected by ``actor``."""
    attributes = {"mobile": MOBILE, "email": EMAIL, "resident_id": RESIDENT_ID}
    attributes.update(kwargs.pop("attributes", {}))
    return person("张三", actor=actor, owner=actor, attributes=attributes, **kwargs)


def verified_request(party: Party, actor: Any, kind: str = "access") -> SubjectRequest:
    request = services.open_request(
        actor=actor, kind=kind, requester_name="张三", requester_contact=MOBILE, party=party
    )
    return services.verify_identity(
        request, actor=actor, method="document", evidence="ID card seen, last digits 002X"
    )


def unzip(data: bytes) -> dict[str, Any]:
    """The zip's ``subject.json`` (parsed) and each CSV as a list of rows."""
    bundle = zipfile.ZipFile(io.BytesIO(data))
    files: dict[str, Any] = {}
    for name in bundle.namelist():
        text = bundle.read(name).decode("utf-8")
        if name.endswith(".json"):
            files[name] = json.loads(text)
        else:
            assert text.startswith("\ufeff"), name
            files[name] = list(csv.reader(io.StringIO(text[1:])))
    return files
