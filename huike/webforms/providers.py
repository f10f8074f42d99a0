"""What submissions hold about a person, for the data-subject requests app: exported with the
customer's other data, and deleted when the customer is erased (the consent ledger keeps the
proof of consent; the values themselves go)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from huike.parties import privacy
from huike.parties.models import Party
from huike.webforms.models import Submission


def export(party: Party) -> list[dict[str, Any]]:
    return [
        {
            "form": submission.form.slug,
            "sent_at": submission.created_at.isoformat(),
            "status": submission.status,
            "language": submission.language,
            "values": {
                code: privacy.plain_or_none(code, stored)
                for code, stored in submission.data.items()
            },
            "consents": submission.consents,
        }
        for submission in Submission.objects.filter(party=party).select_related("form")
    ]


def erase(party: Party, actor: Any) -> dict[str, Any]:
    count, _detail = Submission.objects.filter(party=party).delete()
    return {"submissions": count}


def register() -> None:
    if not apps.is_installed("huike.subjects"):
        return
    from huike.subjects import registry

    registry.register(
        "web_form_submissions",
        label=_("Web form submissions"),
        export=export,
        erase=erase,
        count=lambda party: Submission.objects.filter(party=party).count(),
        active=lambda since: Submission.objects.filter(
            created_at__gte=since, party__isnull=False
        ).values("party_id"),
        order=40,
    )
