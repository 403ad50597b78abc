"""One entity's records as every system holds them, partitioned by global id and
spilled to local files, then read back one partition at a time: reconcile holds one
partition in memory, not the whole entity.

A record goes to partition ``hash(global id) % PARTS`` (every system's record of one
global id lands in the same partition, so a partition compares on its own); the
records no system links go to one more partition per system. Records wait in memory
and are written out (pickled, a list per partition at a time, appended to the
partition's file in a temporary directory) once more than ``HELD`` of them wait: a
small entity never touches the disk. Reading a partition loads what its file holds
and what still waits. Partitions come out in partition order, and a partition's
records in the order they were added; the caller orders within one if it needs to.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lockstep.reconcile.compare import Held
from lockstep.runs.select import SideRecord

PARTS = 64
HELD = 200_000  # records waiting in memory before they are written out

Record = tuple[Held, SideRecord]  # lined up (references as global ids), and as read


class Spill:
    """A run's work space for one entity; a context manager (its files go with it)."""

    def __init__(self, directory: str | Path | None = None, *, held: int | None = None) -> None:
        self._directory = directory
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._files: dict[Any, BinaryIO] = {}
        self._waiting: dict[Any, list[tuple[str | None, str, Held, SideRecord]]] = {}
        self._count = 0
        self._held = HELD if held is None else held
        self.spilled = 0  # records written out

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for file in self._files.values():
            file.close()
        self._files.clear()
        self._waiting.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def add(self, system: str, records: Iterable[tuple[str | None, Held, SideRecord]]) -> None:
        """Records of ``system`` with their global ids (``None``: not linked)."""
        waiting = self._waiting
        for gid, held, record in records:
            part: Any = hash(gid) % PARTS if gid is not None else ("unlinked", system)
            waiting.setdefault(part, []).append((gid, system, held, record))
            self._count += 1
        if self._count > self._held:
            self._flush()

    def linked(self) -> Iterator[dict[str, dict[str, Record]]]:
        """The linked records, a partition at a time: ``{system: {global id: record}}``
        (a system lacking a record lacks its key)."""
        for part in range(PARTS):
            chunk: dict[str, dict[str, Record]] = {}
            for gid, system, held, record in self._read(part):
                assert gid is not None
                chunk.setdefault(system, {})[gid] = (held, record)
            if chunk:
                yield chunk

    def unlinked(self, system: str) -> list[Record]:
        """``system``'s records no global id links, in the order added."""
        return [(held, record) for _, _, held, record in self._read(("unlinked", system))]

    def _read(self, part: Any) -> Iterator[tuple[str | None, str, Held, SideRecord]]:
        file = self._files.get(part)
        if file is not None:
            file.flush()
            with Path(file.name).open("rb") as source:
                while True:
                    try:
                        yield from pickle.load(source)
                    except EOFError:
                        break
        yield from self._waiting.get(part, ())

    def _flush(self) -> None:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(
                prefix="lockstep-reconcile-", dir=self._directory
            )
        for part, rows in self._waiting.items():
            file = self._files.get(part)
            if file is None:
                name = f"{part}" if isinstance(part, int) else f"unlinked-{len(self._files)}"
                file = self._files[part] = (Path(self._tmp.name) / name).open("ab")
            pickle.dump(rows, file, protocol=5)
            self.spilled += len(rows)
        self._waiting = {}
        self._count = 0
