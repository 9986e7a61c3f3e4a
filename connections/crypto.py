"""Encryption of API tokens at rest (Fernet; several keys accepted so keys can be rotated)."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from web.errors import ExplainableError


class TokenDecryptionError(ExplainableError):
    """The stored token cannot be decrypted with any configured FIELD_ENCRYPTION_KEY."""

    title = "The saved API token cannot be read"
    hint = "The portal's encryption key changed. A manager can enter the token again on the connection."


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_token(token: str) -> str:
    return _current().encrypt(token.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "The stored API token cannot be decrypted: is FIELD_ENCRYPTION_KEY missing the key it was saved with?"
        ) from None


def reencrypt_token(ciphertext: str) -> str:
    """Re-encrypt with the first (current) key; raises TokenDecryptionError when no key fits."""
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError("The stored API token cannot be decrypted with any configured key") from None


def encrypted_with_current_key(ciphertext: str) -> bool:
    """True when the first (current) key decrypts this ciphertext."""
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    try:
        Fernet(keys[0]).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def can_decrypt(ciphertext: str) -> bool:
    try:
        _current().decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True

