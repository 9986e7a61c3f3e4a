"""Sizes shown to people, in one unit system: binary (KiB, MiB, GiB), as the limits are set."""

from __future__ import annotations

UNITS = ("KiB", "MiB", "GiB", "TiB")


def binary_size(size: int) -> str:
    """`size` bytes in words: "512 bytes", "1.5 KiB", "100 MiB". A size that is not a whole number of
    its unit keeps one decimal even when it rounds to one ("100.0 MiB" is just over 100 MiB)."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value = float(size)
    for unit in UNITS:
        value /= 1024
        if round(value, 1) < 1024 or unit == UNITS[-1]:
            break
    if value == int(value):
        return f"{int(value):,} {unit}"
    return f"{value:,.1f} {unit}"
