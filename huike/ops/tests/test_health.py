"""The health check: the database answers and a worker beat recently."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

import huike
from huike.core.models import WorkerHeartbeat
from huike.ops import services
from huike.ops.services import beat, health

HEALTH = "/api/v1/health/"

pytestmark = pytest.mark.django_db


def test_without_any_heartbeat_the_worker_and_the_system_are_down() -> None:
    report = health()

    assert report["database"]["ok"] is True
    assert report["worker"]["ok"] is False
    assert report["worker"]["last_seen"] is None
    assert report["ok"] is False


def test_a_fresh_heartbeat_makes_the_system_healthy() -> None:
    beat("w1")

    report = health()

    assert report["ok"] is True
    assert report["worker"]["ok"] is True
    assert report["worker"]["name"] == "w1"
    assert report["worker"]["backend"] == settings.HUEY["huey_class"]


def test_a_heartbeat_older_than_the_allowed_age_counts_as_down() -> None:
    beat("w1")
    stale = timezone.now() - settings.WORKER_HEARTBEAT_MAX_AGE - timedelta(seconds=1)
    WorkerHeartbeat.objects.update(last_seen=stale)

    report = health()

    assert report["worker"]["ok"] is False
    assert report["worker"]["last_seen"] == stale.isoformat()
    assert report["ok"] is False


def test_the_freshest_of_several_workers_decides() -> None:
    beat("old")
    WorkerHeartbeat.objects.filter(name="old").update(last_seen=timezone.now() - timedelta(days=1))
    beat("new")

    report = health()

    assert report["worker"]["name"] == "new"
    assert report["ok"] is True


def test_beating_again_updates_the_one_row_of_a_worker() -> None:
    beat("w1")
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(days=1))

    beat("w1")

    heartbeat = WorkerHeartbeat.objects.get()
    assert timezone.now() - heartbeat.last_seen < settings.WORKER_HEARTBEAT_MAX_AGE


def test_beating_inside_a_transaction_leaves_the_callers_connection_usable() -> None:
    # Regression: beat() closed "old" connections, which on PostgreSQL closed the caller's own
    # connection in the middle of its transaction.
    with transaction.atomic():
        beat("w1")

        assert WorkerHeartbeat.objects.filter(name="w1").exists()


def test_a_failing_database_is_reported_without_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenConnection:
        vendor = "sqlite"

        def cursor(self) -> Any:
            raise OperationalError("database is locked")

    monkeypatch.setattr(services, "connection", BrokenConnection())

    report = health()

    assert report["database"] == {"ok": False, "vendor": "sqlite", "error": "OperationalError"}
    assert report["worker"]["ok"] is False
    assert report["ok"] is False


def test_the_endpoint_answers_200_with_ok_false_while_only_the_worker_is_down(
    api_client: APIClient,
) -> None:
    # A load balancer keeps routing to a web server whose database works.
    response = api_client.get(HEALTH)

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["worker"]["ok"] is False
    assert body["database"]["ok"] is True
    assert body["version"] == huike.__version__


def test_the_endpoint_answers_503_without_a_worker_when_monitoring_requires_one(
    api_client: APIClient,
) -> None:
    response = api_client.get(HEALTH, {"require": "worker"})

    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False


def test_the_endpoint_answers_200_after_a_heartbeat_even_when_requiring_the_worker(
    api_client: APIClient,
) -> None:
    beat("w1")

    response = api_client.get(HEALTH, {"require": "worker"})

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["worker"]["ok"] is True


def test_the_endpoint_answers_503_for_a_stale_heartbeat_when_requiring_the_worker(
    api_client: APIClient,
) -> None:
    beat("w1")
    WorkerHeartbeat.objects.update(
        last_seen=timezone.now() - settings.WORKER_HEARTBEAT_MAX_AGE - timedelta(minutes=1)
    )

    required = api_client.get(HEALTH, {"require": "worker"})
    plain = api_client.get(HEALTH)

    assert required.status_code == 503
    assert required.json()["worker"]["ok"] is False
    assert plain.status_code == 200
    assert plain.json()["ok"] is False


def test_the_endpoint_answers_503_when_the_database_fails(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class BrokenConnection:
        vendor = "postgresql"

        def cursor(self) -> Any:
            raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "connection", BrokenConnection())

    response = api_client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_the_endpoint_ignores_credentials_it_does_not_need(api_client: APIClient) -> None:
    beat("w1")
    api_client.credentials(HTTP_AUTHORIZATION="Token hk_revoked-or-bogus")

    response = api_client.get(HEALTH, {"require": "worker"})

    assert response.status_code == 200
