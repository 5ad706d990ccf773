"""Logins: salted scrypt password hashes, signed bearer tokens with expiry, rate-limited attempts.

Tokens are HMAC-signed (secret kept in the state dir, mode 0600, new at every portal start), so
every worker process checks them without shared memory. A token names only the user and a
fingerprint of that user's account (role, password hash, cameras): the role is looked up in the
current config on every request, and a changed account invalidates its old tokens. Login attempts
are counted in a small SQLite file (mode 0600) in the state dir, so the limit holds across workers.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt_b64$hash_b64``; a fresh random salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, hash_b64 = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r),
                                p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(hash_b64))


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_login(password: str, encoded: str | None) -> bool:
    """``verify_password``, but an unknown user (``encoded`` None) costs the same scrypt and fails:
    the answer's timing does not tell which user names exist."""
    if encoded is None:
        verify_password(password, _dummy_hash())
        return False
    return verify_password(password, encoded)


def account_fingerprint(*parts: object) -> str:
    """A short digest of what a token stands for (role, password hash, visible cameras)."""
    return _b64(hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()[:12])


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    expires: float


@dataclass(frozen=True)
class TokenClaims:
    username: str
    fingerprint: str
    expires: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and checks ``payload.signature`` bearer tokens (HMAC-SHA256, wall-clock expiry)."""

    def __init__(self, secret: bytes, ttl_s: float):
        self._secret = secret
        self.ttl_s = ttl_s

    @classmethod
    def from_state_dir(cls, state_dir: Path, ttl_s: float) -> "TokenSigner":
        path = Path(state_dir) / "token.secret"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        except FileExistsError:
            pass
        for _ in range(50):  # another worker may be writing it this instant
            secret = path.read_bytes()
            if len(secret) == 32:
                return cls(secret, ttl_s)
            time.sleep(0.01)
        raise RuntimeError(f"token secret {path} is not 32 bytes")

    @staticmethod
    def rotate(state_dir: Path) -> None:
        """Forget the secret (call before the workers start): every earlier token stops working."""
        (Path(state_dir) / "token.secret").unlink(missing_ok=True)

    def issue(self, username: str, fingerprint: str, now: float | None = None) -> tuple[str, float]:
        expires = (now if now is not None else time.time()) + self.ttl_s
        payload = _b64(json.dumps({"u": username, "f": fingerprint, "e": expires}).encode())
        sig = _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())
        return f"{payload}.{sig}", expires

    def check(self, token: str, now: float | None = None) -> TokenClaims | None:
        if len(token) > 1024:
            return None
        try:
            payload, sig = token.split(".")
            want = _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, want):
                return None
            data = json.loads(_unb64(payload))
            claims = TokenClaims(str(data["u"]), str(data["f"]), float(data["e"]))
        except (ValueError, TypeError, KeyError, UnicodeError):
            return None
        if claims.expires < (now if now is not None else time.time()):
            return None
        return claims


class LoginLimiter:
    """At most ``attempts`` logins per (user, client IP) and ``ip_attempts`` per client IP in a sliding
    ``window_s``.

    Every attempt counts (right or wrong), so guessing is slow and a stolen password is no faster.
    The per-user budget is per client address, so a stranger's wrong guesses never lock the real
    user (at another address) out of their account; the client address is the TCP peer (proxy
    headers are not trusted, see ``analytics.portal.serve``).
    """

    def __init__(self, path: Path, attempts: int, window_s: float, ip_attempts: int | None = None):
        self.attempts, self.window_s = attempts, window_s
        self.ip_attempts = ip_attempts if ip_attempts is not None else attempts
        path.parent.mkdir(parents=True, exist_ok=True)
        # attempted user names and addresses are private: the file (and SQLite's -wal and -shm files,
        # which copy its mode) is readable by the portal's user only
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        # One connection per limiter, used from the server's thread pool: the lock keeps two threads
        # from opening a transaction on it at once; SQLite's own locking orders the worker processes.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS attempts (key TEXT NOT NULL, t REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS attempts_key ON attempts(key, t)")

    def allow(self, username: str, ip: str, now: float | None = None) -> float:
        """Record an attempt; 0.0 if allowed, else seconds until the next attempt is allowed."""
        now = now if now is not None else time.time()
        since = now - self.window_s
        keys = {f"user:{username}|ip:{ip}": self.attempts, f"ip:{ip}": self.ip_attempts}
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM attempts WHERE t < ?", (since,))
            wait = 0.0
            for key, limit in keys.items():
                rows = self._db.execute("SELECT t FROM attempts WHERE key = ? ORDER BY t", (key,)).fetchall()
                if len(rows) >= limit:
                    wait = max(wait, rows[len(rows) - limit][0] + self.window_s - now)
            if wait <= 0:
                self._db.executemany("INSERT INTO attempts VALUES (?, ?)", [(k, now) for k in keys])
        return max(wait, 0.0)

    def close(self) -> None:
        with self._lock:
            self._db.close()
