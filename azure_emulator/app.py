"""Builds the emulator: state, controls, tokens and every API's routes on one server."""

from __future__ import annotations

import ssl
from pathlib import Path

from azure_emulator import arm, consent, control_routes, graph, identity, keyvault, retail_prices, sign_in
from azure_emulator.controls import Controls
from azure_emulator.development_issuer import DevelopmentIssuer
from azure_emulator.server import Context, EmulatorServer, Router
from azure_emulator.store import Store
from azure_emulator.tls import Certificates, ensure_certificates
from azure_emulator.tokens import TokenIssuer


def build_context(state_dir: Path | None) -> Context:
    """State in `state_dir` (kept across restarts) or, with None, in memory only."""
    store = Store(state_dir / "state.sqlite" if state_dir else None)
    ctx = Context(
        store=store,
        controls=Controls(),
        tokens=TokenIssuer(state_dir),
        users=DevelopmentIssuer(state_dir),  # with no folder its key lives in memory only, as `tokens`' does
        router=Router(),
        state_dir=state_dir,
    )
    for module in (control_routes, consent, identity, sign_in, graph, keyvault, retail_prices, arm):
        module.register(ctx)
    return ctx


def ssl_context(certs: Certificates) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs.cert), str(certs.key))
    return context


def build_server(state_dir: Path | None, cert_dir: Path, port: int = 0, tls: bool = True) -> EmulatorServer:
    ctx = build_context(state_dir)
    return EmulatorServer(ctx, port, ssl_context(ensure_certificates(cert_dir)) if tls else None)
