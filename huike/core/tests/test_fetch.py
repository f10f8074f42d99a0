"""The outbound fetcher refuses to be turned against the machines behind the firewall.

Hostile URLs are refused before any connection is made; the few tests that do connect talk to
a server on this machine's loopback address, allowed for the test through
OUTBOUND_ALLOWED_HOSTS. Nothing reaches the network.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from huike.core import fetch
from huike.core.fetch import FetchFailed, FetchRefused, check_url, forbidden_address

REAL_GETADDRINFO = socket.getaddrinfo


def is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    """``/`` says hello with the Host header it saw, ``/big`` is 1 MB, ``/to?u`` redirects."""

    def do_GET(self) -> None:
        if self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", self.path.split("?", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (
            b"x" * 1_000_000 if self.path == "/big" else b"hello " + self.headers["Host"].encode()
        )
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A web server on 127.0.0.1; yields ``127.0.0.1:<port>``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make getaddrinfo answer ``answers`` (host → addresses); returns the hosts looked up."""
    asked: list[str] = []

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if is_literal(host):  # urllib3 "resolves" the checked address again: that is a no-op
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown host")
        result = []
        for address in answers[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return result

    monkeypatch.setattr(fetch.socket, "getaddrinfo", fake)
    return asked


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the fetcher tries to open a connection at all."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(fetch, "_open", refuse)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8000/admin",
        "http://intranet.example/",  # a name that resolves to 127.0.0.1
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.0.0.5/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://[fd00::1]/",
        "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
        "http://240.0.0.1/",
    ],
)
def test_internal_addresses_are_refused_before_connecting(
    url: str, monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    resolving(monkeypatch, {"intranet.example": ["127.0.0.1"]})

    with pytest.raises(FetchRefused) as refused:
        fetch.fetch(url)

    assert "internal address" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://example.com/",
        "dict://127.0.0.1:11211/",
        "javascript:alert(1)",
        "//example.com/",
        "http:///nohost",
        "http://user:secret@example.com/",
        "http://example.com@127.0.0.1/",
        "http://exa mple.com/",
        "http://example.com:99999/",
    ],
)
def test_other_schemes_and_malformed_addresses_are_refused(url: str, no_connections: None) -> None:
    with pytest.raises(FetchRefused):
        fetch.fetch(url)


def test_a_name_that_resolves_to_loopback_is_refused(
    monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    resolving(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})

    with pytest.raises(FetchRefused):
        fetch.fetch("https://hooks.example.com/notify")


def test_a_name_with_one_internal_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    resolving(monkeypatch, {"hooks.example.com": ["93.184.216.34", "10.0.0.7"]})

    with pytest.raises(FetchRefused):
        fetch.fetch("https://hooks.example.com/")


def test_a_name_that_does_not_resolve_fails_without_a_connection(
    monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    resolving(monkeypatch, {})

    with pytest.raises(FetchFailed):
        fetch.fetch("https://nowhere.example/")


def test_a_public_name_is_checked_and_pinned_to_its_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})

    target = check_url("https://Hooks.Example.com/notify?x=1")

    assert target.address == "93.184.216.34"
    assert target.host == "hooks.example.com"
    assert target.port == 443
    assert target.path == "/notify?x=1"
    assert target.host_header == "hooks.example.com"


def test_the_fetcher_connects_to_the_address_it_checked_and_sends_the_host_name(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a name whose DNS answer would change after the check (DNS rebinding)
    port = server.split(":")[1]
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    asked: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if is_literal(host):
            return REAL_GETADDRINFO(host, *args, **kwargs)
        asked.append(host)
        address = next(answers)[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(fetch.socket, "getaddrinfo", rebinding)

    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1/32"]):
        response = fetch.fetch(f"http://erp.internal:{port}/")

    # then the name was resolved once, and the request went to the checked address
    assert asked == ["erp.internal"]
    assert response.status == 200
    assert response.body == f"hello erp.internal:{port}".encode()


def test_allowed_intranet_hosts_can_be_reached_by_name_or_network(server: str) -> None:
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"]):
        assert fetch.fetch(f"http://{server}/").body.startswith(b"hello")
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["10.0.0.0/8"]), pytest.raises(FetchRefused):
        fetch.fetch(f"http://{server}/")


def test_redirects_are_not_followed_unless_asked(server: str) -> None:
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"]):
        response = fetch.fetch(f"http://{server}/to?http://{server}/")

    assert response.status == 302
    assert response.headers["Location"] == f"http://{server}/"


def test_each_redirect_is_checked_again(server: str) -> None:
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"]):
        followed = fetch.fetch(f"http://{server}/to?/", redirects=2)
        assert followed.status == 200
        assert followed.url == f"http://{server}/"
        # a redirect to the metadata service is refused like a typed URL would be
        with pytest.raises(FetchRefused):
            fetch.fetch(f"http://{server}/to?http://169.254.169.254/latest/", redirects=2)
        with pytest.raises(FetchRefused):
            fetch.fetch(f"http://{server}/to?file:///etc/passwd", redirects=2)


def test_answers_larger_than_the_cap_are_refused(server: str) -> None:
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"]):
        with pytest.raises(FetchRefused) as refused:
            fetch.fetch(f"http://{server}/big", max_bytes=1000)
        assert "larger than 1000 bytes" in str(refused.value)
        assert len(fetch.fetch(f"http://{server}/big", max_bytes=2_000_000).body) == 1_000_000


def test_an_unreachable_server_fails_cleanly() -> None:
    # a port nobody listens on: bind one, close it, connect to it
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"]), pytest.raises(FetchFailed):
        fetch.fetch(f"http://127.0.0.1:{port}/", timeout=2)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("::ffff:8.8.8.8", True),  # mapped addresses are never needed: refused outright
        ("198.18.0.1", True),  # benchmarking network
        ("192.0.2.1", True),  # documentation
        ("255.255.255.255", True),
    ],
)
def test_address_classification(address: str, forbidden: bool) -> None:
    assert forbidden_address(ipaddress.ip_address(address)) is forbidden
