"""A small reader of SPSS system files, enough to check what the sandbox's SPSS exports hold.

It follows the published record layout independently of the writer: header, variable records (with
continuation records for long strings), value labels, extension records (long names, encoding), the
dictionary terminator, then uncompressed cases.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SYSMIS = -1.7976931348623157e308


@dataclass
class SavVariable:
    short_name: str
    width: int  # 0 numeric, else string bytes
    label: str | None
    print_format: int
    name: str = ""
    value_labels: dict[float, str] = field(default_factory=dict)

    @property
    def format_type(self) -> int:
        return self.print_format >> 16


@dataclass
class SavFile:
    product: str
    case_count: int
    file_label: str
    variables: list[SavVariable]
    encoding: str | None
    machine_integer_info: tuple[int, ...]
    cases: list[list[object]]

    def column(self, name: str) -> list[object]:
        index = [v.name for v in self.variables].index(name)
        return [case[index] for case in self.cases]

    def variable(self, name: str) -> SavVariable:
        return next(v for v in self.variables if v.name == name)


def as_datetime(seconds: float) -> datetime:
    return datetime(1582, 10, 14) + timedelta(seconds=seconds)


def read(data: bytes) -> SavFile:
    position = 0

    def take(size: int) -> bytes:
        nonlocal position
        chunk = data[position: position + size]
        if len(chunk) != size:
            raise ValueError(f"file ends at byte {position}, wanted {size} more")
        position += size
        return chunk

    def integers(count: int) -> tuple[int, ...]:
        return struct.unpack(f"<{count}i", take(4 * count))

    if take(4) != b"$FL2":
        raise ValueError("not an SPSS system file")
    product = take(60).decode("ascii").rstrip()
    layout, slots, compression, _weight, case_count = integers(5)
    if layout != 2 or compression != 0:
        raise ValueError(f"unexpected layout {layout} or compression {compression}")
    (bias,) = struct.unpack("<d", take(8))
    assert bias == 100.0
    take(9 + 8)
    file_label = take(64).decode("utf-8").rstrip()
    take(3)

    variables: list[SavVariable] = []
    slot_owner: list[SavVariable | None] = []
    encoding = None
    machine: tuple[int, ...] = ()
    long_names: dict[str, str] = {}
    while True:
        (record,) = integers(1)
        if record == 2:
            width, has_label, missing, print_format, _write = integers(5)
            name = take(8).decode("ascii").rstrip()
            label = None
            if has_label:
                (length,) = integers(1)
                label = take(length).decode("utf-8")
                take(-length % 4)
            if missing:
                take(8 * abs(missing))
            if width == -1:
                slot_owner.append(None)
                continue
            variable = SavVariable(name, width, label, print_format)
            variables.append(variable)
            slot_owner.append(variable)
        elif record == 3:
            (count,) = integers(1)
            labels = {}
            for _ in range(count):
                (value,) = struct.unpack("<d", take(8))
                (length,) = struct.unpack("<B", take(1))
                labels[value] = take(length).decode("utf-8")
                take(-(length + 1) % 8)
            (record4,) = integers(1)
            assert record4 == 4
            (count,) = integers(1)
            for index in integers(count):
                owner = slot_owner[index - 1]
                assert owner is not None
                owner.value_labels = labels
        elif record == 7:
            subtype, size, count = integers(3)
            payload = take(size * count)
            if subtype == 3:
                machine = struct.unpack("<8i", payload)
            elif subtype == 13:
                for pair in payload.decode("utf-8").split("\t"):
                    short, _, long = pair.partition("=")
                    long_names[short] = long
            elif subtype == 20:
                encoding = payload.decode("ascii")
        elif record == 999:
            integers(1)
            break
        else:
            raise ValueError(f"unknown record type {record} at byte {position - 4}")
    assert len(slot_owner) == slots
    for variable in variables:
        variable.name = long_names.get(variable.short_name, variable.short_name)

    cases = []
    for _ in range(case_count):
        case: list[object] = []
        for variable in variables:
            if variable.width == 0:
                (value,) = struct.unpack("<d", take(8))
                case.append(None if value == SYSMIS else value)
            else:
                size = 8 * ((variable.width + 7) // 8)
                case.append(take(size)[: variable.width].decode("utf-8", "replace").rstrip())
        cases.append(case)
    if position != len(data):
        raise ValueError(f"{len(data) - position} bytes left after the last case")
    return SavFile(product, case_count, file_label, variables, encoding, machine, cases)
