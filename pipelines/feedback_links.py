"""Signed, expiring feedback links: "relevant" / "not relevant" in an alert, one click to record.

A token says (match id, verdict, expiry) and carries an HMAC-SHA256 of them under the app's
secret (``web.secret``), so nobody can forge one for another match or verdict, nor stretch its
life. It holds no secret: a leaked link lets someone record that one verdict on that one match
until it expires, no more. Format: ``<match id>.<r|i>.<expiry, unix seconds>.<signature>``.

For alert messages::

    links = feedback_urls(base_url, secret, match_id)   # {"relevant": url, "irrelevant": url}
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from pipelines.clock import utcnow

CODES = {"relevant": "r", "irrelevant": "i"}
VERDICT_OF = {code: verdict for verdict, code in CODES.items()}
DEFAULT_TTL = timedelta(days=14)


class BadLink(ValueError):
    """A token that is malformed, forged or expired; the message says which, for the page."""


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"newswatch-feedback:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, match_id: int, verdict: str, ttl: timedelta = DEFAULT_TTL,
         now: datetime | None = None) -> str:
    """The token recording ``verdict`` on ``match_id`` until ``now + ttl``."""
    if not secret:
        raise ValueError("no secret: set web.secret to sign feedback links")
    expiry = int(((now or utcnow()) + ttl).timestamp())
    payload = f"{int(match_id)}.{CODES[verdict]}.{expiry}"
    return f"{payload}.{_signature(secret, payload)}"


def verify(secret: str, token: str, now: datetime | None = None) -> tuple[int, str]:
    """(match id, verdict) of a genuine token that has not expired; else ``BadLink``."""
    parts = token.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or parts[1] not in VERDICT_OF or not parts[2].isdigit():
        raise BadLink("this feedback link is malformed (cut short when copied?)")
    payload = ".".join(parts[:3])
    if not secret or not hmac.compare_digest(parts[3], _signature(secret, payload)):
        raise BadLink("this feedback link is not genuine (or the app's secret has changed)")
    if int(parts[2]) < (now or utcnow()).timestamp():
        raise BadLink("this feedback link has expired: judge the match in the app instead")
    return int(parts[0]), VERDICT_OF[parts[1]]


def feedback_urls(base_url: str | None, secret: str | None, match_id: int, ttl: timedelta = DEFAULT_TTL,
                  now: datetime | None = None) -> dict[str, str]:
    """{"relevant": url, "irrelevant": url} for an alert about ``match_id``; {} when the app has
    no ``web.base_url`` or no ``web.secret`` (then alerts carry no links)."""
    if not base_url or not secret:
        return {}
    base = base_url.rstrip("/")
    return {verdict: f"{base}/f/{sign(secret, match_id, verdict, ttl, now)}" for verdict in CODES}
