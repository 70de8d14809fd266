"""Under `make run` the app trusts the emulator's bundle: the public CAs, the emulator's CA, and the CAs the user's
own REQUESTS_CA_BUNDLE or SSL_CERT_FILE named, so a service with the user's certificate is trusted too."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from azure_emulator.tls import ensure_certificates


def test_the_users_own_cas_are_added_to_the_emulators_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corporate = ensure_certificates(tmp_path / "corporate").ca  # stands for the user's own CA
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    made = ensure_certificates(tmp_path / "emulator")
    bundle = made.bundle.read_bytes()
    assert Path(certifi.where()).read_bytes().strip() in bundle, "the public CAs"
    assert made.ca.read_bytes().strip() in bundle, "the emulator's CA"
    assert corporate.read_bytes().strip() in bundle, "the user's CA"

    # the next start, with the app's settings naming the emulator's own bundle, keeps the user's CAs from before
    # only if still named: it never adds the bundle to itself
    monkeypatch.setenv("SSL_CERT_FILE", str(made.bundle))
    again = ensure_certificates(tmp_path / "emulator").bundle.read_bytes()
    assert again == bundle
