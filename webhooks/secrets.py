"""Webhook signing secrets, kept encrypted at rest.

A receiver checks each request with the secret it was shown once, so Covenant
must keep the secret itself (a hash cannot sign). It is stored encrypted with
a key derived from ``SECRET_KEY``: a copy of the database alone (a backup, a
read-only leak) then cannot forge requests to receivers. Rotating
``SECRET_KEY`` keeps old secrets readable while the old key stays in
``SECRET_KEY_FALLBACKS``; drop a fallback only after rotating the webhook
secrets it encrypted (recreate the endpoint)."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

PREFIX = "whsec_"


def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(b"covenant.webhooks.secret:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    return _keys().decrypt(sealed.encode()).decode()
