"""Who may use the app: anyone on the loopback address; elsewhere only once authentication is
configured: HTTP basic authentication against ``web.password_hash`` (PBKDF2-SHA256, stdlib), or a
reverse proxy's header naming the user (``web.auth_header``), trusted only when configured."""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets

ITERATIONS = 600_000


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        expected = base64.urlsafe_b64decode(digest + "==")
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.urlsafe_b64decode(salt + "=="), int(iterations))
    except (ValueError, TypeError):
        return False
    return scheme == "pbkdf2_sha256" and hmac.compare_digest(got, expected)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BasicAuth:
    """Checks an Authorization header; a checked header is remembered (PBKDF2 is slow on purpose)."""

    def __init__(self, user: str, password_hash: str):
        self.user, self.password_hash = user, password_hash
        self._good: set[bytes] = set()

    def __call__(self, header: str | None) -> str | None:
        """The user name, or None."""
        if not header or not header.lower().startswith("basic "):
            return None
        key = hashlib.sha256(header.encode()).digest()
        if key in self._good:
            return self.user
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if hmac.compare_digest(user.encode(), self.user.encode()) and check_password(password, self.password_hash):
            if len(self._good) < 1000:
                self._good.add(key)
            return user
        return None
