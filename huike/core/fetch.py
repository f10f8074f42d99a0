"""The one way Huike reaches another server (webhooks, integrations): safe against SSRF.

A URL that a user or an integration typed must not become a way into the machines behind the
firewall (the database, the cloud's metadata service at 169.254.169.254, an admin console on
localhost). :func:`fetch` therefore

- accepts only ``http`` and ``https`` URLs without user name or password;
- resolves the host once and refuses the request if *any* of its addresses is private,
  loopback, link-local, multicast, reserved, unspecified or otherwise not global, IPv4 or IPv6,
  including IPv4 addresses hidden in IPv6 ones (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64) and
  the numeric spellings of IPv4 that resolvers accept (``0x7f.1``, ``2130706433``);
- connects to the very address it checked, so a DNS answer that changes between the check and
  the connection (DNS rebinding) cannot redirect it; TLS still checks the certificate against
  the host name;
- follows no redirect unless asked to, and then checks every hop as if it were a new URL;
- gives up after ``OUTBOUND_TIMEOUT_SECONDS`` and refuses answers larger than
  ``OUTBOUND_MAX_BYTES``.

Intranet servers the administrator trusts (an ERP at ``erp.internal``, ``10.1.2.0/24``) are
listed in ``OUTBOUND_ALLOWED_HOSTS``: host names match exactly (``.corp.example`` matches every
name ending so), addresses match an address or network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = {"http": 80, "https": 443}
REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
_NUMERIC_IPV4 = re.compile(r"^[0-9a-fx.]+$")
CHUNK = 64 * 1024


class FetchError(Exception):
    """The request was not made or did not complete; ``str(error)`` is a translated message."""


class FetchRefused(FetchError):
    """The URL or its answer breaks a rule (scheme, address, size): never retried."""


class FetchFailed(FetchError):
    """The server could not be reached or did not answer in time: may be retried later."""


@dataclass(frozen=True)
class FetchResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def forbidden_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is anything but an ordinary public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if any(ip in network for network in _NAT64):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(forbidden_address(inner) for inner in embedded):
            return True
        if ip.is_site_local:
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, including IPv4's odd spellings (``0x7f.1``, ``127.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []):
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _name_allowed(host: str, names: Iterable[str]) -> bool:
    return any(host == name or (name.startswith(".") and host.endswith(name)) for name in names)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchFailed(_("The host {host} could not be found.").format(host=host)) from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchFailed(_("The host {host} could not be found.").format(host=host))
    return addresses


def check_url(url: str) -> Target:
    """Check ``url`` and resolve its host; raise :class:`FetchRefused` if it may not be fetched."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise FetchRefused(_("This is not a valid web address.")) from error
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise FetchRefused(_("Only http and https addresses can be reached."))
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(_("Web addresses with a user name or password are not accepted."))
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        raise FetchRefused(_("This is not a valid web address."))
    port = port or SCHEMES[scheme]
    names, networks = _allowed_entries()

    literal = _literal_address(raw_host)
    if literal is not None:
        host = str(literal)
        addresses: list[IPAddress] = [literal]
    else:
        try:
            host = raw_host.encode("idna").decode("ascii").lower()
        except UnicodeError as error:
            raise FetchRefused(_("This is not a valid web address.")) from error
        if not _HOST_NAME.match(host):
            raise FetchRefused(_("This is not a valid web address."))
        addresses = _resolve(host, port)

    trusted_name = _name_allowed(host, names)
    for address in addresses:
        trusted = trusted_name or any(address in network for network in networks)
        if forbidden_address(address) and not trusted:
            raise FetchRefused(
                _(
                    "{host} is an internal address; an administrator can allow it with "
                    "OUTBOUND_ALLOWED_HOSTS."
                ).format(host=host)
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, address=str(addresses[0]), path=path)


def _open(
    target: Target,
    method: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
) -> tuple[urllib3.HTTPConnectionPool, urllib3.BaseHTTPResponse]:
    pool: urllib3.HTTPConnectionPool
    timeouts = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeouts,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeouts, retries=False, maxsize=1
        )
    all_headers = {"User-Agent": "Huike", **headers, "Host": target.host_header}
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=body,
            headers=all_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as error:
        pool.close()
        raise FetchFailed(
            _("{host} could not be reached: {reason}").format(host=target.host, reason=error)
        ) from error
    return pool, response


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, host: str) -> bytes:
    too_large = FetchRefused(
        _("The answer of {host} is larger than {size} bytes.").format(host=host, size=max_bytes)
    )
    try:
        declared = int(response.headers.get("Content-Length", "") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.stream(CHUNK, decode_content=True):
            total += len(chunk)
            if total > max_bytes:
                raise too_large
            chunks.append(chunk)
    except urllib3.exceptions.HTTPError as error:
        raise FetchFailed(
            _("{host} could not be reached: {reason}").format(host=host, reason=error)
        ) from error
    return b"".join(chunks)


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    redirects: int = 0,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> FetchResponse:
    """Request ``url`` under the rules above and return the whole (size-capped) answer.

    ``redirects`` is how many redirects to follow (each re-checked); with 0 a redirect is
    returned as it is. Raises :class:`FetchRefused` or :class:`FetchFailed`.
    """
    timeout = float(timeout if timeout is not None else settings.OUTBOUND_TIMEOUT_SECONDS)
    max_bytes = int(max_bytes if max_bytes is not None else settings.OUTBOUND_MAX_BYTES)
    headers = dict(headers or {})
    method = method.upper()
    current = url
    while True:
        target = check_url(current)
        pool, response = _open(target, method, body, headers, timeout)
        try:
            location = response.headers.get("Location")
            if response.status in REDIRECTS and location and redirects > 0:
                redirects -= 1
                current = urljoin(current, location)
                if response.status == 303 or (
                    response.status in (301, 302) and method not in ("GET", "HEAD")
                ):
                    method, body = "GET", None
                continue
            content = _read(response, max_bytes, target.host)
            return FetchResponse(
                status=response.status,
                headers=dict(response.headers.items()),
                body=content,
                url=current,
            )
        finally:
            response.release_conn()
            response.close()
            pool.close()
