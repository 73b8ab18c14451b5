from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken

from webhooks import secrets


def test_a_sealed_secret_survives_a_key_rotation_only_with_the_fallback(settings):
    settings.SECRET_KEY = "old-key"
    settings.SECRET_KEY_FALLBACKS = []
    secret = secrets.generate()
    sealed = secrets.seal(secret)
    assert secret not in sealed and secrets.unseal(sealed) == secret

    settings.SECRET_KEY = "new-key"
    with pytest.raises(InvalidToken):
        secrets.unseal(sealed)
    settings.SECRET_KEY_FALLBACKS = ["old-key"]
    assert secrets.unseal(sealed) == secret
