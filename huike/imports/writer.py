"""Set-based writes for imports: a batch of new customers in a few multi-row statements.

Creating customers one by one through ``services.create_party`` costs a dozen queries each. For
rows that create a customer, the engine checks what the services check — values through
``services.validate_values`` (with the definitions read once), field edit rights, the suppression
list (one query per batch) — and this module then writes the batch's parties, observations,
search keys, change-log rows and consent-ledger rows with multi-row inserts (``executemany`` on
SQLite, ``COPY`` on PostgreSQL), the way ``parties.population`` loads generated data, and copies
the golden values from the observations in one ``INSERT … SELECT``. What it stores is what
``create_party`` (and ``privacy.services.grant``) would store;
``huike/imports/tests/test_writer.py`` compares the two.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from huike.core.models import ChangeLog
from huike.core.services import diff, snapshot
from huike.imports.prepare import NewCustomer
from huike.parties import population, services
from huike.parties.models import AttributeDefinition, GoldenValue, Observation, Party
from huike.privacy.models import (
    Channel,
    ConsentNotice,
    ConsentRecord,
    ConsentStatus,
    PartyConsent,
    Purpose,
)

CONSENT_RECORD = population.Table(
    ConsentRecord,
    "id party purpose status notice notice_version notice_language notice_text channel "
    "evidence collected_by collected_by_name occurred_at recorded_at".split(),
)
PROSPECT = Party.Stage.PROSPECT.value
_NAME_MARKER = "\x00name\x00"  # stands for the name in a kind's change-log text
PARTY_CONSENT = population.Table(PartyConsent, "party purpose granted since record".split())


@dataclass
class Consent:
    """The consent the importer declared for the file, written to the ledger for each customer."""

    purpose: Purpose
    notice: ConsentNotice | None
    evidence: str
    language: str


class Writer:
    """Writes batches of new customers for one import job or intake call (call inside its
    transaction). Each value is stamped with ``source``, the actor as collector, ``note`` and
    the consent text; its time is the batch's ``collected_at`` (default: now)."""

    def __init__(
        self,
        *,
        actor: Any,
        source: str,
        consent_text: str,
        consent: Consent | None,
        known: Mapping[str, AttributeDefinition],
        note: str = "",
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        is_user = actor is not None and getattr(actor, "is_authenticated", False)
        self.owner = actor if is_user else None
        self.collector_id = actor.pk if is_user else None
        self.collector_name = (actor.get_username() if is_user else "system")[:150]
        self.source = source[:30]
        self.consent_text = consent_text[:200]
        self.note = note[:200]
        self.consent = consent
        self.using = using
        self.party_type_id = ContentType.objects.get_for_model(Party).pk
        self.attributes = {
            code: (definition.pk, definition.reevaluate_days) for code, definition in known.items()
        }
        self._base: dict[str, dict[str, Any]] = {}
        self._logged: dict[str, tuple[str, str] | None] = {}

    def _changes(self, kind: str, name: str) -> dict[str, Any]:
        """``diff({}, snapshot(party, PARTY_FIELDS))`` of the new party, as ``create_party``
        logs it (plus the consent granted, as ``grant`` logs it)."""
        if kind not in self._base:
            self._base[kind] = snapshot(
                Party(kind=kind, name="", owner=self.owner), services.PARTY_FIELDS
            )
        changes = diff({}, {**self._base[kind], "name": name})
        if self.consent is not None:
            changes[f"consent.{self.consent.purpose.code}"] = [None, ConsentStatus.GRANTED.value]
        return changes

    def _changes_json(self, kind: str, name: str) -> str:
        """``json.dumps(self._changes(kind, name))``, from the text around the name (the
        same for every customer of a kind) made once per kind."""
        if kind not in self._logged:
            marker = json.dumps(_NAME_MARKER)
            parts = json.dumps(self._changes(kind, _NAME_MARKER)).split(marker)
            self._logged[kind] = (parts[0], parts[1]) if len(parts) == 2 else None
        around = self._logged[kind]
        if around is None or not name.strip():
            return json.dumps(self._changes(kind, name))
        return around[0] + json.dumps(name) + around[1]

    def write(
        self,
        parties: Sequence[NewCustomer],
        source_refs: Sequence[str],
        *,
        collected_at: datetime.datetime | None = None,
    ) -> list[int]:
        """Write the customers ``parties`` describe (rows prepared by
        :func:`huike.imports.prepare.prepare`, or :meth:`NewCustomer.build`), each value
        naming its row in ``source_refs``; returns their new primary keys, in order."""
        if not parties:
            return []
        connection = connections[self.using]
        vendor = connection.vendor
        now = timezone.now()
        collected_at = collected_at or now

        def adapt(moment: datetime.datetime) -> Any:
            if vendor == "sqlite":
                return connection.ops.adapt_datetimefield_value(moment)
            return moment

        when, collected = adapt(now), adapt(collected_at)

        Row = tuple[Any, ...]
        party_rows: list[Row] = []
        observation_rows: list[Row] = []
        key_rows: list[Row] = []
        change_rows: list[Row] = []
        record_rows: list[Row] = []
        current_rows: list[Row] = []
        stale: dict[int, Any] = {}
        owner_id = self.owner.pk if self.owner is not None else None
        consent = self.consent
        notice = consent.notice if consent is not None else None
        with connection.cursor() as cursor:
            party_ids = population.reserve_ids(cursor, vendor, Party, len(parties))
            observation_ids = iter(
                population.reserve_ids(
                    cursor, vendor, Observation, sum(len(p.stored) for p in parties)
                )
            )
            record_ids = iter(
                population.reserve_ids(cursor, vendor, ConsentRecord, len(parties))
                if consent is not None
                else ()
            )
            for party, party_id, source_ref in zip(parties, party_ids, source_refs, strict=True):
                for code, encoded, stored_text in party.stored:
                    attribute_id, days = self.attributes[code]
                    observation_id = next(observation_ids)
                    observation_rows.append(
                        (
                            observation_id,
                            party_id,
                            attribute_id,
                            encoded,
                            stored_text,
                            self.source,
                            source_ref[:200],
                            self.collector_id,
                            self.collector_name,
                            collected,
                            when,
                            self.consent_text,
                            1.0,
                            self.note,
                        )
                    )
                    if days and days not in stale:
                        stale[days] = adapt(collected_at + datetime.timedelta(days=days))
                name = party.party_name
                # Columns in population.PARTY's order; no nature, region, industry, first deal.
                head = (party_id, party.kind, name, party.pinyin, owner_id, None, PROSPECT)
                tail = ("", party.golden, 1, False, when, when)
                party_rows.append((*head, None, None, None, None, *tail))
                key_rows.extend((party_id, kind, value) for kind, value in party.search_keys)
                change_rows.append(
                    (
                        when,
                        self.collector_id,
                        self.collector_name,
                        ChangeLog.Action.CREATE.value,
                        self.party_type_id,
                        str(party_id),
                        name,
                        "",
                        self._changes_json(party.kind, name),
                        None,
                    )
                )
                if consent is not None:
                    record_id = next(record_ids)
                    record_rows.append(
                        (
                            record_id,
                            party_id,
                            consent.purpose.pk,
                            ConsentStatus.GRANTED.value,
                            notice.pk if notice else None,
                            notice.version if notice else None,
                            consent.language if notice else "",
                            notice.text_in(consent.language) if notice else "",
                            Channel.IMPORT.value,
                            consent.evidence,
                            self.collector_id,
                            self.collector_name,
                            when,
                            when,
                        )
                    )
                    current_rows.append((party_id, consent.purpose.pk, True, when, record_id))
            # Rows in the order of their tables' value indexes (party names, search keys): a
            # batch then touches each index page once, in order, instead of at random.
            party_rows.sort(key=lambda row: row[2])
            key_rows.sort(key=lambda row: (row[1], row[2]))
            for table, rows in (
                (population.PARTY, party_rows),
                (population.OBSERVATION, observation_rows),
                (population.SEARCH_KEY, key_rows),
                (population.CHANGE, change_rows),
                (CONSENT_RECORD, record_rows),
                (PARTY_CONSENT, current_rows),
            ):
                table.insert(cursor, vendor, rows)
            if observation_rows:
                self._golden_from_observations(
                    cursor, vendor, [row[0] for row in observation_rows], stale
                )
        return party_ids

    def _golden_from_observations(
        self, cursor: Any, vendor: str, ids: list[int], stale: Mapping[int, Any]
    ) -> None:
        """Each new customer's golden values are its observations (one each), copied in one
        ``INSERT … SELECT`` instead of being sent row by row. On SQLite the ids are a range of
        this transaction's own (one writer), so the range holds nothing else; on PostgreSQL
        (sequence values, other writers between them) the list itself is the condition."""
        cases: list[Any] = []
        for attribute_id, days in self.attributes.values():
            if days:
                cases += [attribute_id, stale[days]] if days in stale else []
        when = " ".join("WHEN %s THEN %s" for _pair in range(len(cases) // 2))
        stale_at = f"CASE attribute_id {when} ELSE NULL END" if cases else "NULL"
        golden = GoldenValue._meta.db_table
        observation = Observation._meta.db_table
        chosen: list[Any] = [ids[0], ids[-1]] if vendor == "sqlite" else [ids]
        which = "id BETWEEN %s AND %s" if vendor == "sqlite" else "id = ANY(%s)"
        cursor.execute(
            f'INSERT INTO "{golden}" (party_id, attribute_id, value, value_text, observation_id, '  # noqa: S608
            f"confirmed_at, stale_at) SELECT party_id, attribute_id, value, value_text, id, "
            f'collected_at, {stale_at} FROM "{observation}" WHERE {which} '
            "ORDER BY attribute_id, value_text",
            [*cases, *chosen],
        )
