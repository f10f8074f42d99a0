"""Encryption at rest for sensitive personal information, and keyed blind indexes.

Keys live in a JSON file outside the database (``HUIKE_KEYS_FILE``, by default ``var/keys.json``,
created on first use with owner-only permissions)::

    {"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "…"}, "index_key": "<base64>"}

Values are sealed with AES-256-GCM. The attribute's code is the associated data, so a
ciphertext copied into another field, or altered by one bit, does not open. A sealed value reads
``enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``; it names its key, so old keys keep
opening old values while ``huike rotate-keys`` re-seals them under the new active key.

The blind index (HMAC-SHA256 with a separate key that is never rotated with the encryption keys)
lets an exact match find a value without decrypting anything: callers normalise first (E.164,
upper-case ID numbers) so equal values give equal digests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc:v1:"
INDEX_PREFIX = "bi:"
_NONCE = 12


class KeyFileError(Exception):
    """The key file is missing a key, unreadable or malformed."""


class TamperedValue(Exception):
    """A sealed value that does not open: altered, moved to another field, or an unknown key."""


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]
    index_key: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "keys": {kid: _b64(key) for kid, key in self.keys.items()},
            "index_key": _b64(self.index_key),
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


_lock = threading.Lock()
_cache: dict[str, tuple[float, KeyRing]] = {}


def keys_file() -> Path:
    return Path(settings.HUIKE_KEYS_FILE)


def new_ring() -> KeyRing:
    return KeyRing(
        active="k1",
        keys={"k1": AESGCM.generate_key(bit_length=256)},
        index_key=secrets.token_bytes(32),
    )


def write_ring(ring: KeyRing, path: Path | None = None) -> None:
    """Write ``ring`` atomically with owner-only permissions."""
    path = path or keys_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(ring.as_json(), handle, indent=2)
    os.replace(temporary, path)
    _cache.clear()


def parse_ring(data: dict[str, Any]) -> KeyRing:
    try:
        keys = {str(kid): _unb64(str(key)) for kid, key in data["keys"].items()}
        ring = KeyRing(active=str(data["active"]), keys=keys, index_key=_unb64(data["index_key"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise KeyFileError(f"malformed key file: {error}") from error
    if ring.active not in ring.keys or any(len(k) != 32 for k in ring.keys.values()):
        raise KeyFileError("malformed key file: the active key is missing or a key is not 32 bytes")
    return ring


_held = threading.local()


@contextlib.contextmanager
def held() -> Iterator[KeyRing]:
    """Within the block, this thread's :func:`ring` is the one read on entering it: sealing or
    indexing many values (a batch of an import) then checks the key file once, not once per
    value. A rotation during the block takes effect after it (old keys keep opening values)."""
    outer = getattr(_held, "ring", None)
    _held.ring = outer or ring()
    try:
        yield _held.ring
    finally:
        _held.ring = outer


def ring() -> KeyRing:
    """The key ring, read from the key file (created on first use), cached until it changes."""
    pinned = getattr(_held, "ring", None)
    if pinned is not None:
        return pinned
    path = keys_file()
    with _lock:
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                fresh = new_ring()
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    json.dump(fresh.as_json(), handle, indent=2)
        stamp = path.stat().st_mtime
        cached = _cache.get(str(path))
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise KeyFileError(f"cannot read the key file {path.name}: {error}") from error
        loaded = parse_ring(data)
        _cache[str(path)] = (stamp, loaded)
        return loaded


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id(sealed: str) -> str:
    return sealed[len(PREFIX) :].split(":", 1)[0]


def seal(plaintext: str, context: str) -> str:
    """Encrypt ``plaintext`` for the field named ``context`` (an attribute code)."""
    keys = ring()
    nonce = secrets.token_bytes(_NONCE)
    box = AESGCM(keys.keys[keys.active]).encrypt(
        nonce, plaintext.encode("utf-8"), context.encode("utf-8")
    )
    return f"{PREFIX}{keys.active}:{_b64(nonce + box)}"


def unseal(sealed: str, context: str) -> str:
    """Decrypt a value sealed for ``context``; raise :class:`TamperedValue` if it does not open."""
    if not is_sealed(sealed):
        raise TamperedValue("not a sealed value")
    try:
        kid, body = sealed[len(PREFIX) :].split(":", 1)
        raw = _unb64(body)
        key = ring().keys[kid]
        data = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8"))
    except (KeyError, ValueError, InvalidTag) as error:
        raise TamperedValue(str(error) or type(error).__name__) from error
    return data.decode("utf-8")


def reseal(sealed: str, context: str) -> str:
    """The same value sealed under the active key (unchanged if it already is)."""
    if key_id(sealed) == ring().active:
        return sealed
    return seal(unseal(sealed, context), context)


def blind_index(normalised: str, context: str) -> str:
    """A keyed digest of an already-normalised value, for exact-match search and equality."""
    digest = hmac.new(
        ring().index_key, f"{context}\x00{normalised}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{INDEX_PREFIX}{digest[:48]}"


def rotate(path: Path | None = None) -> str:
    """Add a new active encryption key to the key file; return its id. Old keys stay."""
    current = ring()
    number = 1 + max(int(kid[1:]) for kid in current.keys if kid[1:].isdigit())
    kid = f"k{number}"
    keys = {**current.keys, kid: AESGCM.generate_key(bit_length=256)}
    write_ring(KeyRing(active=kid, keys=keys, index_key=current.index_key), path)
    return kid


# Re-sealing after a rotation -----------------------------------------------------------------

Progress = Callable[[str, int, int], None]
_resealers: dict[str, Callable[[Progress | None], int]] = {}


def register_resealer(name: str, function: Callable[[Progress | None], int]) -> None:
    """Apps that store sealed values register a function that re-seals them all under the
    active key (``function(progress) -> number of values changed``)."""
    _resealers[name] = function


def reseal_everything(progress: Progress | None = None) -> dict[str, int]:
    """Re-seal every stored value under the active key; ``progress(name, done, total)``."""
    return {name: function(progress) for name, function in sorted(_resealers.items())}
