"""SPSS system files (.sav): an uncompressed, little-endian writer for numeric, string and date variables.

The layout: the file header, one variable record per variable (plus a continuation record per further 8 bytes
of a string), value labels for numeric variables, machine information, long variable names and the character
encoding (UTF-8), the end of the dictionary, then each case as 8-byte slots.
"""

from __future__ import annotations

import math
import struct
import sys
from dataclasses import dataclass, field
from datetime import datetime

SYSMIS = -sys.float_info.max
HIGHEST = sys.float_info.max
LOWEST = math.nextafter(-sys.float_info.max, 0.0)
GREGORIAN_START = datetime(1582, 10, 14)
FORMAT_STRING, FORMAT_NUMBER, FORMAT_DATETIME = 1, 5, 22
MAX_STRING = 255
MAX_VALUE_LABEL = 120
NAME_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@#$")


@dataclass
class Variable:
    name: str
    label: str = ""
    kind: str = "numeric"  # "numeric" | "string" | "datetime"
    width: int = 8  # bytes, for strings
    decimals: int = 0
    value_labels: dict[float, str] = field(default_factory=dict)

    @property
    def segments(self) -> int:
        return math.ceil(self.width / 8) if self.kind == "string" else 1


def valid_name(name: str, taken: set[str]) -> str:
    """An SPSS variable name for `name`: letters, digits and `_.@#$`, starting with a letter, at most 64 bytes."""
    clean = "".join(c if c in NAME_CHARACTERS else "_" for c in name) or "V"
    if not clean[0].isalpha():
        clean = "V" + clean
    clean = clean.rstrip(".")[:64] or "V"
    candidate, number = clean, 1
    while candidate.upper() in taken:
        number += 1
        candidate = f"{clean[: 64 - len(str(number)) - 1]}_{number}"
    taken.add(candidate.upper())
    return candidate


def seconds_since_1582(moment: datetime) -> float:
    """SPSS dates count seconds from 14 October 1582; `moment` is read as the wall-clock time it shows."""
    return (moment.replace(tzinfo=None) - GREGORIAN_START).total_seconds()


def _clip(text: str, limit: int) -> bytes:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:limit].decode("utf-8", "ignore").encode("utf-8")


def _pad(data: bytes, size: int) -> bytes:
    return data + b" " * (size - len(data))


def _format(variable: Variable) -> int:
    if variable.kind == "string":
        return (FORMAT_STRING << 16) | (variable.width << 8)
    if variable.kind == "datetime":
        return (FORMAT_DATETIME << 16) | (20 << 8)
    return (FORMAT_NUMBER << 16) | (max(8, variable.decimals + 4) << 8) | variable.decimals


def _short_names(variables: list[Variable]) -> list[str]:
    taken: set[str] = set()
    shorts = []
    for number, variable in enumerate(variables, start=1):
        base = "".join(c for c in variable.name.upper() if c in NAME_CHARACTERS)[:8] or f"V{number}"
        if not base[0].isalpha():
            base = ("V" + base)[:8]
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base[: 8 - len(str(suffix))]}{suffix}"
        taken.add(candidate)
        shorts.append(candidate)
    return shorts


def write(variables: list[Variable], cases: list[list[object]], file_label: str = "",
          created: datetime | None = None) -> bytes:
    """The .sav bytes. A case's values: numbers (or None for missing), strings, or datetimes for date variables."""
    moment = created or datetime(2000, 1, 1)
    slots = sum(variable.segments for variable in variables)
    out = bytearray()
    out += b"$FL2"
    out += _pad(b"@(#) SPSS DATA FILE - Qualtrics API sandbox", 60)
    out += struct.pack("<iiiii", 2, slots, 0, 0, len(cases))
    out += struct.pack("<d", 100.0)
    out += moment.strftime("%d %b %y").encode("ascii")
    out += moment.strftime("%H:%M:%S").encode("ascii")
    out += _pad(_clip(file_label, 64), 64)
    out += b"\x00\x00\x00"

    shorts = _short_names(variables)
    indexes = []
    position = 1
    for variable, short in zip(variables, shorts, strict=True):
        indexes.append(position)
        label = _clip(variable.label, 255)
        kind = variable.width if variable.kind == "string" else 0
        fmt = _format(variable)
        out += struct.pack("<iiiiii", 2, kind, 1 if label else 0, 0, fmt, fmt)
        out += _pad(short.encode("ascii"), 8)
        if label:
            out += struct.pack("<i", len(label)) + label + b"\x00" * (-len(label) % 4)
        for _ in range(variable.segments - 1):
            out += struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8
        position += variable.segments

    for variable, index in zip(variables, indexes, strict=True):
        if variable.kind != "numeric" or not variable.value_labels:
            continue
        out += struct.pack("<ii", 3, len(variable.value_labels))
        for value, text in variable.value_labels.items():
            data = _clip(text, MAX_VALUE_LABEL)
            out += struct.pack("<dB", float(value), len(data)) + data + b" " * (-(len(data) + 1) % 8)
        out += struct.pack("<iii", 4, 1, index)

    out += struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, 65001)
    out += struct.pack("<iiii", 7, 4, 8, 3) + struct.pack("<3d", SYSMIS, HIGHEST, LOWEST)
    long_names = "\t".join(f"{short}={variable.name}" for short, variable in zip(shorts, variables, strict=True))
    data = long_names.encode("utf-8")
    out += struct.pack("<iiii", 7, 13, 1, len(data)) + data
    out += struct.pack("<iiii", 7, 20, 1, 5) + b"UTF-8"
    out += struct.pack("<ii", 999, 0)

    for case in cases:
        for variable, value in zip(variables, case, strict=True):
            if variable.kind == "string":
                text = "" if value is None else str(value)
                out += _pad(_clip(text, variable.width), variable.segments * 8)
            elif variable.kind == "datetime":
                out += struct.pack("<d", SYSMIS if not isinstance(value, datetime) else seconds_since_1582(value))
            else:
                out += struct.pack("<d", SYSMIS if value is None or value == "" else float(value))  # type: ignore[arg-type]
    return bytes(out)
