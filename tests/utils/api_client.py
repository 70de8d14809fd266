"""A small HTTP client for end-to-end tests against a running host, and a patient assertion helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

T = TypeVar("T")
PROGRESS_ALLOWANCE = 5  # how many bounds a wait that keeps moving may take in all
# a wait asks often at first, then at most twice a second: each ask is an API request, about 15 ms of the machine's CPU
# (the app's, the client's and Azurite's), and at ten a second the suite's waits cost the cores more than the work
# they watch (`make test` is bound by its CPU)
FIRST_INTERVAL_S, MAX_INTERVAL_S = 0.1, 0.5


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        # the app on loopback, over plain HTTP: no proxy or CA bundle to read from the environment at every request
        self.session.trust_env = False
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.seen: list[str] = []  # every response's headers and body, for "never returned" checks

    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        reply = self.session.request(method, url, json=json, timeout=60, **kwargs)
        self.seen.append(f"{reply.headers}\n{reply.text}")
        return reply

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        reply = self.post(path, body)
        assert reply.status_code == 201, reply.text
        result: dict[str, Any] = reply.json()
        return result


def eventually(check: Callable[[], T], *, timeout_s: float = 60.0, interval_s: float | None = None) -> T:
    """Call `check` until it stops raising AssertionError: never a timing claim, the wait follows the state.

    It gives up once the check has failed the same way for `timeout_s` (the state stopped moving). While the failure
    changes (a count rising, a status moving on) the work is under way, only slower on a busy machine, and the wait goes
    on, up to PROGRESS_ALLOWANCE times the bound in all. The check is called again after FIRST_INTERVAL_S, then after
    half as long again each time up to MAX_INTERVAL_S; a test that catches a moment asks at its own `interval_s`."""
    started = last_moved = time.monotonic()
    last_failure: str | None = None
    pause = FIRST_INTERVAL_S if interval_s is None else interval_s
    while True:
        try:
            return check()
        except AssertionError as failure:
            now = time.monotonic()
            if str(failure) != last_failure:
                last_failure, last_moved = str(failure), now
            if now - last_moved > timeout_s or now - started > PROGRESS_ALLOWANCE * timeout_s:
                raise
            time.sleep(pause)
            if interval_s is None:
                pause = min(MAX_INTERVAL_S, pause * 1.5)
