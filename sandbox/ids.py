"""Identifier and token generation in the formats Qualtrics uses (`PREFIX_` + 15 alphanumerics)."""

from __future__ import annotations

import random
import string
import uuid

ALPHANUMERIC = string.ascii_letters + string.digits
TOKEN_LENGTH = 40


class IdFactory:
    """Makes IDs from one random source: seeded for reproducible seeds, system randomness at run time."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.SystemRandom()

    def chars(self, length: int) -> str:
        return "".join(self.rng.choice(ALPHANUMERIC) for _ in range(length))

    def make(self, prefix: str, length: int = 15) -> str:
        return f"{prefix}_{self.chars(length)}"

    def token(self) -> str:
        return self.chars(TOKEN_LENGTH)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def request_id() -> str:
    return str(uuid.uuid4())
