"""SMS message length in segments, as carriers count them (and Qualtrics bills credits per segment).

A message that fits the GSM 03.38 alphabet is sent in 7-bit units: 160 per single message, 153 per
part once it needs several (the rest carries the joining header); characters of the extension table
(``€ [ ] { } \\ ~ ^ |`` and form feed) take two units and are never split across parts. Any other
character switches the whole message to UCS-2: 70 UTF-16 units alone, 67 per part, with surrogate
pairs (most emoji) never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    non_gsm_characters: tuple[str, ...] = ()

    @property
    def remaining_in_segment(self) -> int:
        if self.segments == 0:
            return self.per_segment
        capacity = self.per_segment * self.segments
        return max(capacity - self.units, 0)

    def describe(self) -> str:
        if self.units == 0:
            return "Empty message"
        parts = f"{self.segments} segment{'s' if self.segments != 1 else ''}"
        unit = "characters" if self.encoding == "GSM-7" else "UCS-2 characters"
        return f"{self.units} {unit} · {parts} ({self.encoding}, {self.per_segment} per segment)"


def _pack(weights: list[int], single: int, part: int) -> int:
    """Segments needed for items of the given weights, never splitting an item."""
    total = sum(weights)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for weight in weights:
        if used + weight > part:
            segments += 1
            used = 0
        used += weight
    return segments


def sms_length(text: str) -> SmsLength:
    """The encoding, length and segment count of `text`."""
    text = text or ""
    non_gsm = tuple(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION))
    if not non_gsm:
        weights = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        segments = _pack(weights, GSM7_SINGLE, GSM7_PART)
        return SmsLength("GSM-7", sum(weights), segments, GSM7_SINGLE if segments <= 1 else GSM7_PART)
    weights = [len(ch.encode("utf-16-le")) // 2 for ch in text]
    segments = _pack(weights, UCS2_SINGLE, UCS2_PART)
    return SmsLength(
        "UCS-2", sum(weights), segments, UCS2_SINGLE if segments <= 1 else UCS2_PART, non_gsm[:10]
    )
