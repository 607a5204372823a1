"""A town's own certificate authority for MQTT over TLS, made with ``cryptography``.

One CA per town signs the broker's server certificate and one client certificate
per gateway (and one for the hub). Gateways trust only this CA, so a broker with a
certificate from anywhere else, or for another name, is refused; with Mosquitto's
``require_certificate`` the broker in turn lets in only holders of a client
certificate from it. A client certificate's common name is the gateway id, so
``use_identity_as_username`` can replace passwords (the ACL's ``%u`` still works).

Keys are ECDSA P-256 (small and fast on a Raspberry Pi; OpenSSL and Mosquitto have
supported them for a decade), signatures SHA-256. Key files are written 0600.
Certificates carry the extensions strict verifiers ask for (key identifiers, key
usage, extended key usage), so Python's ``VERIFY_X509_STRICT`` accepts them too.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 825  # the longest life browsers accepted for a server certificate until 2020
# A Pi has no battery-backed clock: until NTP answers, its time may be behind (by
# however long it was off, as saved by fake-hwclock). A day of slack lets it connect.
BACKDATE = timedelta(days=1)

CA_CERT = "ca.crt"
CA_KEY = "ca.key"


class PkiError(Exception):
    """A CA or certificate that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``path`` atomically with ``mode``, refusing to replace an existing file."""
    if path.exists():
        raise PkiError(f"{path} exists already; move it away to make a new one")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # daemons start unattended: no passphrase to type
    )


def _save(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Issued:
    issued = Issued(directory / f"{stem}.crt", directory / f"{stem}.key")
    for path in (issued.cert, issued.key):
        if path.exists():
            raise PkiError(f"{path} exists already; move it away to make a new one")
    _write(issued.key, _pem_key(key), 0o600)
    _write(issued.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return issued


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mimamori"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(directory: Path, name: str = "mimamori town CA", days: int = CA_DAYS) -> Issued:
    """A new CA in ``directory`` (``ca.crt``, ``ca.key``); refuses to replace one."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = _name(name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _save(directory, "ca", cert, key)


def load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), None)
    except FileNotFoundError as exc:
        raise PkiError(f"no CA in {directory}: make one with 'mimamori hub pki ca'") from exc
    except ValueError as exc:
        raise PkiError(f"{directory}: not a CA made by mimamori ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{directory / CA_KEY}: not an EC key")
    return cert, key


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _leaf(
    ca_dir: Path, common_name: str, usage: x509.ObjectIdentifier, hosts: list[str], days: int
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert, ca_key = load_ca(ca_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if hosts:
        builder = builder.add_extension(_san(hosts), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_server(
    ca_dir: Path, hosts: list[str], *, out_dir: Path | None = None, days: int = LEAF_DAYS
) -> Issued:
    """The broker's certificate for ``hosts`` (names and IP addresses clients dial)."""
    if not hosts:
        raise PkiError("a server certificate needs at least one --host")
    cert, key = _leaf(ca_dir, hosts[0], ExtendedKeyUsageOID.SERVER_AUTH, hosts, days)
    return _save(out_dir or ca_dir, "server", cert, key)


def make_client(
    ca_dir: Path, client_id: str, *, out_dir: Path | None = None, days: int = LEAF_DAYS
) -> Issued:
    """A client certificate whose common name is ``client_id`` (a gateway id, or the hub)."""
    cert, key = _leaf(ca_dir, client_id, ExtendedKeyUsageOID.CLIENT_AUTH, [], days)
    return _save(out_dir or ca_dir / "clients", client_id, cert, key)
