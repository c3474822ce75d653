"""Argon2id password hashes (argon2-cffi's defaults follow RFC 9106's recommendations).

Hashing takes ~50 ms of CPU on purpose. The async variants run it on a small thread pool of its
own, so logins never stall the event loop (other requests, sockets, /healthz) and a burst of
logins cannot take every thread of the default executor.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..core.errors import HandoverError

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_DUMMY = _hasher.hash("timing-equaliser")

MIN_LENGTH = 12
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


class WeakPassword(HandoverError, ValueError):
    code = "weak_password"


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    if len(password) < MIN_LENGTH:  # checked here too, so the error comes without a thread hop
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool, verify_password, password_hash, password)
