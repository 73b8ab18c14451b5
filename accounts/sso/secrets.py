"""The client secrets of the organizations' identity providers, encrypted at rest.

A secret is sealed with Fernet (AES-128-CBC and HMAC-SHA256) under a key
derived from ``SECRET_KEY``: a copy of the database or a backup alone does not
give anyone the secret. ``SECRET_KEY_FALLBACKS`` still open secrets sealed
under an earlier key, so rotating the key does not lock organizations out;
the next save seals them under the new key. The secret is never rendered back
to anyone: pages and the API say only whether one is set."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_LABEL = b"covenant.sso.client-secret:"


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_LABEL + key.encode()).digest()))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(k) for k in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]])


def seal(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """The secret, or "" when none is stored or no key opens it (the provider
    then refuses the token request, and the admin enters the secret again)."""
    if not sealed:
        return ""
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""
