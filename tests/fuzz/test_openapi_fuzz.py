"""Every operation of the served OpenAPI document, fuzzed by schemathesis with every check on.

Positive and negative data, through the examples, coverage and fuzzing phases. A response fails when it is a
server error; when its status, content type, headers or body are not the documented ones; when negative data is
accepted or positive data refused; or when auth, required headers or undeclared methods are not answered as they
should be. Each operation explores all its cases and records what failed (see conftest.py); the last test fails
with the deduplicated list, so one run reports every defect, not only the first of each operation.

What the document cannot state is left to harness.py: schema-valid cases send no skipToken (only the server can
make one), a 400 refusing nothing but references to objects that do not exist is the intended answer to made-up
ids, and Graph's handshake (a validationToken) answers 200 whatever the body; those are counted, not failed.
"""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from schemathesis import Case
from schemathesis.core import NotSet
from schemathesis.core.failures import AcceptedNegativeData, Failure, FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData

from tests.fuzz.harness import (
    FUZZ_FAIL_FAST,
    FUZZ_TIMEOUT_S,
    HANDSHAKE_PARAMETER,
    SERVER_ISSUED_QUERY,
    FuzzFailure,
    FuzzStats,
    unstatable_refusal,
)

INDEX = re.compile(r"\[\d+\]")
# about half the fuzzing's time: these resources' operations are fuzzed in test_openapi_fuzz_configuration.py, a file
# of its own, so that a second worker takes them and the tier is not one worker's long tail
CONFIGURATION = r"/(spotGroups|imageSets|provisioningPolicies|deviceImages)(/|$)"
schema = schemathesis.pytest.from_fixture("fuzz_schema").exclude(path_regex=CONFIGURATION)
# schemathesis' own strategies draw from `random`; Hypothesis frowns on it, nothing here can change it
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


def _causes(response: Response | None) -> list[str]:
    """`code(target)` of each error detail the app answered with: why it refused a request, in its own words."""
    try:
        error = response.json()["error"] if response is not None else None
    except (ValueError, KeyError, TypeError):  # not JSON, or not the contract's error shape
        return []
    if not isinstance(error, dict):
        return []
    items = error.get("details") or [error]
    found = {
        f"{item.get('code')}({INDEX.sub('[*]', str(item['target']))})" if item.get("target") else str(item.get("code"))
        for item in items
        if isinstance(item, dict)
    }
    return sorted(found)


def _record(stats: FuzzStats, case: Case, response: Response | None, failures: list[Failure]) -> None:
    mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
    phase = case.meta.phase.name.value if case.meta is not None else "explicit"
    request = f"[{phase}/{mode}] {case.as_curl_command()}"
    answer = "" if response is None else f"{response.headers.get('content-type', [''])[0]} {response.text}".strip()
    for failure in failures:
        stats.failed(
            FuzzFailure(
                operation=case.operation.label,
                check=type(failure).__name__,
                title=failure.title.strip(),
                status=response.status_code if response is not None else None,
                message=" ".join(failure.message.split()),
                request=request,
                response=answer,
                causes=_causes(response),
            )
        )


def _intended(failure: Failure, case: Case, response: Response | None) -> str | None:
    """Why a failure is the API's intended answer (harness.UNSTATABLE_RULES, HANDSHAKE_PARAMETER), or None."""
    if response is None:
        return None
    media = (response.headers.get("content-type") or [""])[0]
    if response.status_code == 400 and media.startswith("text/plain") and len(response.request.url or "") > 8190:
        # a request line over 8 KiB never reaches the app: the host refuses it, in Azure (Kestrel) as locally
        # (docs/api.md); tests/e2e/test_framework_errors.py covers that answer
        return "requestLineTooLong"
    if isinstance(failure, AcceptedNegativeData):
        media_type = (response.headers.get("content-type") or [""])[0]
        handshake = HANDSHAKE_PARAMETER in case.query and response.status_code == 200
        return "handshake" if handshake and media_type.startswith("text/plain") else None
    if not isinstance(failure, RejectedPositiveData):
        return None
    if not _body_fits_the_document(case):
        return "bodyOutsideTheDocument"
    try:
        body = response.json()
    except ValueError:
        return None
    return unstatable_refusal(response.status_code, body)


def _body_fits_the_document(case: Case) -> bool:
    """Whether the case's body is one the document allows: the coverage phase builds some "positive" bodies from each
    keyword on its own, and one that breaks an if/then (a log-off's fields when it notifies) was never valid data."""
    if isinstance(case.body, NotSet):
        return True
    bodies = [body for body in case.operation.body if body.media_type == (case.media_type or body.media_type)]
    return not bodies or any(body.is_valid(case.body) for body in bodies)


@pytest.mark.timeout(FUZZ_TIMEOUT_S)
@schema.parametrize()
def test_operation(case: Case, fuzz_session: requests.Session, fuzz_stats: FuzzStats) -> None:
    fuzz_case(case, fuzz_session, fuzz_stats)


def fuzz_case(case: Case, fuzz_session: requests.Session, fuzz_stats: FuzzStats) -> None:
    """Send the case, check its answer with every check, and record what failed that the API did not intend."""
    positive = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
    if positive and any(name in case.query for name in SERVER_ISSUED_QUERY):
        case.query = {name: value for name, value in case.query.items() if name not in SERVER_ISSUED_QUERY}
    response = None
    try:
        response = case.call(session=fuzz_session)
        case.validate_response(response, transport_kwargs={"session": fuzz_session})
    except (FailureGroup, Failure) as raised:
        failures = []
        for failure in list(raised.exceptions) if isinstance(raised, FailureGroup) else [raised]:
            why = _intended(failure, case, response)
            if why is None:
                failures.append(failure)
            else:
                fuzz_stats.intended(why)
        if failures:
            _record(fuzz_stats, case, response, failures)
            if FUZZ_FAIL_FAST:
                raise


def test_no_server_errors_and_no_contract_violations(fuzz_stats: FuzzStats) -> None:
    no_server_errors_and_no_contract_violations(fuzz_stats)


def no_server_errors_and_no_contract_violations(fuzz_stats: FuzzStats) -> None:
    if fuzz_stats.requests == 0:
        pytest.skip("test_operation did not run in this session")
    assert fuzz_stats.server_errors == 0 and not fuzz_stats.failures, "\n".join(fuzz_stats.report())
