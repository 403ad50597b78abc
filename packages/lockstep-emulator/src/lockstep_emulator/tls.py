"""The emulator's TLS: a local certificate authority and a server certificate from it.

Every simple-salesforce URL is ``https://``, so the emulator must speak TLS, and
clients must trust it: they add the CA file to their trust (``REQUESTS_CA_BUNDLE``,
``session.verify``). The CA is therefore kept in the data directory and reused on
restart, so a client's trust survives restarts; a new server certificate is issued
from it only when the names it must cover change.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
SERVER_CHAIN = "server.pem"
SERVER_KEY = "server-key.pem"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA clients trust, and the server's certificate chain and key."""

    ca_cert: Path
    cert_chain: Path
    key: Path


def ensure_tls(directory: Path, hosts: Iterable[str] = ()) -> TlsFiles:
    """The CA and a server certificate for loopback plus ``hosts``, created or reused."""
    directory.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys([*LOOPBACK_NAMES, *(h for h in hosts if _nameable(h))]))
    files = TlsFiles(directory / CA_CERT, directory / SERVER_CHAIN, directory / SERVER_KEY)
    ca = _load_ca(directory)
    fresh_ca = ca is None
    if ca is None:
        ca = trustme.CA(organization_name="lockstep", organization_unit_name="lockstep emulator CA")
        write_file(directory / CA_KEY, ca.private_key_pem.bytes(), secret=True)
        write_file(files.ca_cert, ca.cert_pem.bytes())
    if fresh_ca or not _server_cert_fits(files, names):
        leaf = ca.issue_cert(*names)
        write_file(files.key, leaf.private_key_pem.bytes(), secret=True)
        write_file(files.cert_chain, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return files


def _nameable(host: str) -> bool:
    """A host a certificate can name: not a wildcard address such as 0.0.0.0."""
    try:
        return not ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return bool(host)


def _load_ca(directory: Path) -> trustme.CA | None:
    try:
        cert = (directory / CA_CERT).read_bytes()
        key = (directory / CA_KEY).read_bytes()
        return trustme.CA.from_pem(cert, key)
    except (OSError, ValueError):
        return None


def _server_cert_fits(files: TlsFiles, names: list[str]) -> bool:
    """The existing server certificate names every host, is the CA's, and is not expiring."""
    try:
        cert = x509.load_pem_x509_certificate(files.cert_chain.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        files.key.stat()
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    covered = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    covered |= {d.lower() for d in san.get_values_for_type(x509.DNSName)}
    wanted = {_canonical(n) for n in names}
    fresh = cert.not_valid_after_utc - datetime.now(UTC) > _RENEW_BEFORE
    return wanted <= covered and cert.issuer == ca.subject and fresh


def _canonical(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


def write_file(path: Path, data: bytes, *, secret: bool = False) -> None:
    """Write atomically; a secret (a private key) readable by its owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)
