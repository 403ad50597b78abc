"""The emulator orgs of a test session: one process per org (a schema file, the client
secret it starts with, and a name when a test needs two orgs of one schema), started
when a test first asks for it and stopped when the session ends, with one admin client
each.

Folders that name the same org share its process, so no test may rely on what another
left in it: the fixtures empty the org and clear its faults before each test that needs
it. A reset keeps the org's sessions, its id counters and its clock, so a test that
needs a clock of its own, a fresh login or a process it can stop starts a private
emulator (``start_emulator``) instead.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, start_emulator


@dataclass(frozen=True)
class OrgSpec:
    """Which org a folder's tests use: its schema, and its client secret (``None``: one
    of the emulator's choosing)."""

    schema: Path
    client_secret: str | None = None


class Emulators:
    """The running orgs, by what started them."""

    def __init__(self) -> None:
        self._running = ExitStack()
        self._orgs: dict[tuple[Path, str | None, str], EmulatorInfo] = {}
        self._admins: dict[str, AdminClient] = {}

    def org(
        self, schema: Path, client_secret: str | None = None, *, name: str = ""
    ) -> EmulatorInfo:
        """The org of ``schema`` (started now if no test has asked for it yet); ``name``
        tells two orgs of one schema apart."""
        key = (schema.resolve(), client_secret, name)
        if key not in self._orgs:
            options = ("--client-secret", client_secret) if client_secret is not None else ()
            process = self._running.enter_context(start_emulator("--schema", str(key[0]), *options))
            self._orgs[key] = process.info
        return self._orgs[key]

    def admin(self, org: EmulatorInfo) -> AdminClient:
        """The admin API of ``org``, logged in once."""
        if org.instance_url not in self._admins:
            client = AdminClient.for_info(org)
            self._running.callback(client.close)
            self._admins[org.instance_url] = client
        return self._admins[org.instance_url]

    def close(self) -> None:
        """Stop every org (after closing its admin client)."""
        self._running.close()
