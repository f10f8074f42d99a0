"""Which address is the client's, with and without trusted reverse proxies."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory, override_settings

from huike.core.http import client_ip


def request(remote: str, forwarded: str | None = None) -> object:
    headers: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_proxies_the_client_is_the_connecting_address_whatever_headers_say() -> None:
    assert client_ip(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"  # type: ignore[arg-type]


@override_settings(PROXY_COUNT=1)
def test_behind_one_proxy_the_client_is_the_last_forwarded_address() -> None:
    # a client may send its own X-Forwarded-For; only what our proxy appended counts
    forged = request("10.0.0.2", "6.6.6.6, 198.51.100.7")
    assert client_ip(forged) == "198.51.100.7"  # type: ignore[arg-type]


@override_settings(PROXY_COUNT=2)
def test_behind_two_proxies_the_client_is_second_from_the_right() -> None:
    chain = request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1")
    assert client_ip(chain) == "198.51.100.7"  # type: ignore[arg-type]


@override_settings(PROXY_COUNT=1)
def test_a_missing_or_garbled_forwarded_header_falls_back_to_the_connecting_address() -> None:
    assert client_ip(request("10.0.0.2")) == "10.0.0.2"  # type: ignore[arg-type]
    assert client_ip(request("10.0.0.2", "not-an-ip")) == "10.0.0.2"  # type: ignore[arg-type]
