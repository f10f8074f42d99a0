"""Who may send customers through the intake API (the permission matrix: see
``huike.core.testing.matrix``).

The route is played by a salesperson (record scope "own"). A customer outside the caller's
scope is never written to: named with ``match``, the item is rejected as "no such customer"
(the call itself answers 200); found by its mobile, a new customer is created instead.
"""

from __future__ import annotations

from typing import Any

from huike.accounts.models import User
from huike.core.testing.matrix import MOBILE, PROBE_NAME, PermissionMatrix, Route
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import person

SUBMIT = "intake.submit_intake"


def customer(owner: User) -> Party:
    return person(
        PROBE_NAME, actor=None, owner=owner, team=owner.team, attributes={"mobile": MOBILE}
    )


def observations_of(party: Party) -> int:
    return Observation.objects.filter(party=party).count()


def naming(party: Party) -> dict[str, Any]:
    return {"match": party.pk, "attributes": {"email": "probe@example.com"}}


class TestIntakeMatrix(PermissionMatrix):
    routes = [
        Route(
            "api:intake",
            kind="create",
            method="POST",
            permission=SUBMIT,
            model=Party,
            data={"name": "甄新客", "attributes": {"mobile": "13900139000"}},
        ),
        Route(
            "api:intake",
            kind="create",
            method="POST",
            variant="match",
            permission=SUBMIT,
            make_object=customer,
            scoped=True,
            data=naming,
            effect=observations_of,
            out_of_scope_status=(200,),
        ),
        Route(
            "api:intake",
            kind="create",
            method="POST",
            variant="by mobile",
            permission=SUBMIT,
            make_object=customer,
            scoped=True,
            data={"name": PROBE_NAME, "attributes": {"mobile": MOBILE}, "source": "pos"},
            effect=observations_of,
            out_of_scope_status=(200,),
        ),
    ]
