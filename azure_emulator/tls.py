"""A certificate authority and a loopback server certificate, made once, so the SDKs can speak HTTPS to the emulator.

Callers trust the emulator by pointing REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) at `ca.pem`, as they would trust
a corporate CA: nothing in a client needs to know it is not talking to Azure.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA certificate
    bundle: Path  # the public CAs (certifi's) plus this CA: what REQUESTS_CA_BUNDLE / SSL_CERT_FILE point at
    cert: Path  # the server's certificate chain
    key: Path  # the server's private key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ensure_certificates(folder: Path) -> Certificates:
    """The CA and server certificate in `folder`, made on first use and kept (valid for ten years)."""
    found = Certificates(folder / "ca.pem", folder / "bundle.pem", folder / "server.pem", folder / "server-key.pem")
    if found.ca.exists() and found.cert.exists() and found.key.exists():
        write_bundle(found)
        return found
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    until = now + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Azure emulator local CA"))
        .issuer_name(_name("Azure emulator local CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    found.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    found.key.chmod(0o600)
    found.cert.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    found.ca.write_bytes(ca.public_bytes(pem))
    write_bundle(found)
    return found


def users_bundles(bundle: Path) -> list[Path]:
    """The CA files the user's own environment trusts (REQUESTS_CA_BUNDLE, SSL_CERT_FILE), other than the emulator's
    bundle itself (which the app's settings name once the emulator has started)."""
    named = {os.environ.get("REQUESTS_CA_BUNDLE"), os.environ.get("SSL_CERT_FILE")}
    found = [Path(n) for n in named if n and Path(n).is_file()]
    return sorted(p for p in found if p.resolve() != bundle.resolve())


def write_bundle(found: Certificates) -> None:
    """The bundle the app trusts: the public CAs, the emulator's CA, and the user's own CAs, so a service with the
    user's certificate (a webhook receiver) is trusted under `make run` as it is outside it. Written at each start,
    whole or not at all (a reader never sees half of it)."""
    parts = [
        Path(certifi.where()).read_bytes(),
        found.ca.read_bytes(),
        *(p.read_bytes() for p in users_bundles(found.bundle)),
    ]
    partial = found.bundle.with_name(f"{found.bundle.name}.{os.getpid()}.tmp")
    partial.write_bytes(b"\n".join(part.rstrip(b"\n") + b"\n" for part in parts))
    os.replace(partial, found.bundle)
