"""What may be shown of a credential: nothing but its last four characters, and only of a long one."""

TOKEN_MASK = "••••"


def mask_token(token: str) -> str:
    """What may be shown of a token: its last four characters at most, and only for long tokens."""
    return TOKEN_MASK + token[-4:] if len(token) >= 16 else TOKEN_MASK
