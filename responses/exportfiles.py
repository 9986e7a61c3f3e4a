"""Export files as they pass from Qualtrics into storage: unzipped on the way, and their responses counted,
without ever holding a file whole (a file of 100,000 responses goes through in a few chunks of memory)."""

from __future__ import annotations

import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from typing import IO

CHUNK = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"


class ResponseCounter:
    """Counts the responses of an export file fed to it chunk by chunk, in the way each format writes them.

    CSV and TSV: records after the three header rows (a line break inside a quoted cell is not a record's
    end: a record ends at a line break after an even number of quotes). NDJSON: lines. JSON: the
    ``"responseId"`` keys (inside a text answer the quotes would be escaped). XML: ``<Response>`` elements.
    SPSS: the case count of the file's header.
    """

    HEADER_ROWS = 3

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.records = 0
        self._quotes_odd = False
        self._tail = b""
        self._head = b""
        self._pending_line = False  # CSV/NDJSON: bytes seen after the last record's end

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.fmt in ("csv", "tsv"):
            self._feed_delimited(chunk)
        elif self.fmt == "ndjson":
            self._feed_lines(chunk)
        elif self.fmt == "json":
            self._feed_marker(chunk, b'"responseId"')
        elif self.fmt == "xml":
            self._feed_marker(chunk, b"<Response>")
        elif self.fmt == "spss" and len(self._head) < 84:
            self._head += chunk[: 84 - len(self._head)]

    def _feed_delimited(self, chunk: bytes) -> None:
        pieces = chunk.split(b"\n")
        for index, piece in enumerate(pieces):
            if piece.count(b'"') % 2:
                self._quotes_odd = not self._quotes_odd
            last = index == len(pieces) - 1
            if last:
                self._pending_line = self._pending_line or bool(piece.strip())
            elif not self._quotes_odd:
                if self._pending_line or piece.strip():
                    self.records += 1
                self._pending_line = False

    def _feed_lines(self, chunk: bytes) -> None:
        pieces = chunk.split(b"\n")
        for piece in pieces[:-1]:
            if self._pending_line or piece.strip():
                self.records += 1
            self._pending_line = False
        self._pending_line = self._pending_line or bool(pieces[-1].strip())

    def _feed_marker(self, chunk: bytes, marker: bytes) -> None:
        data = self._tail + chunk
        self.records += data.count(marker) - self._tail.count(marker)
        self._tail = data[-(len(marker) - 1):]

    @property
    def count(self) -> int:
        if self.fmt in ("csv", "tsv"):
            rows = self.records + (1 if self._pending_line else 0)
            return max(0, rows - self.HEADER_ROWS)
        if self.fmt == "ndjson":
            return self.records + (1 if self._pending_line else 0)
        if self.fmt == "spss":
            return _sav_cases(self._head)
        return self.records


def _sav_cases(head: bytes) -> int:
    """The case count in a .sav file's header (``$FL2``: layout code at 64, case count at 80)."""
    if len(head) < 84 or not head.startswith((b"$FL2", b"$FL3")):
        return 0
    order = "<" if struct.unpack("<i", head[64:68])[0] in (2, 3) else ">"
    cases = struct.unpack(f"{order}i", head[80:84])[0]
    return max(cases, 0)


class CountingReader:
    """A read-only file over `stream` that feeds what is read to a counter (and counts the bytes)."""

    def __init__(self, stream: IO[bytes], counter: ResponseCounter, on_progress: Callable[[int], None] | None = None):
        self.stream = stream
        self.counter = counter
        self.size = 0
        self.on_progress = on_progress

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.counter.feed(data)
        self.size += len(data)
        if self.on_progress is not None:
            self.on_progress(self.size)
        return data

    def chunks(self, chunk_size: int = CHUNK):
        while data := self.read(chunk_size):
            yield data


def spool(chunks: Iterable[bytes], on_chunk: Callable[[int], None] | None = None) -> IO[bytes]:
    """Write downloaded chunks to a temporary file on disk (memory stays flat), rewound; the caller closes it."""
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    written = 0
    for chunk in chunks:
        spooled.write(chunk)
        written += len(chunk)
        if on_chunk is not None:
            on_chunk(written)
    spooled.seek(0)
    return spooled


def unpacked(spooled: IO[bytes]) -> tuple[IO[bytes], str]:
    """The export file inside a downloaded zip (Qualtrics zips exports unless told not to), or the download
    itself; and the file's name in the archive ("" when it was not zipped)."""
    magic = spooled.read(4)
    spooled.seek(0)
    if magic != ZIP_MAGIC:
        return spooled, ""
    archive = zipfile.ZipFile(spooled)
    members = [info for info in archive.infolist() if not info.is_dir()]
    if not members:
        raise ValueError("the export archive holds no file")
    return archive.open(members[0]), members[0].filename


def copy_counted(stream: IO[bytes], target: IO[bytes], fmt: str) -> tuple[int, int]:
    """Copy `stream` to `target`; (bytes, responses)."""
    counter = ResponseCounter(fmt)
    reader = CountingReader(stream, counter)
    shutil.copyfileobj(reader, target, CHUNK)
    return reader.size, counter.count
