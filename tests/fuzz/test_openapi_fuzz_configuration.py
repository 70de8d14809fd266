"""The fuzzing of test_openapi_fuzz.py for the operations of the biggest configuration resources (Spot Groups, image
sets, provisioning policies, device images): the same checks, in a file of their own so that `make test` gives them
a worker of their own."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from schemathesis import Case

from tests.fuzz.harness import FUZZ_TIMEOUT_S, FuzzStats
from tests.fuzz.test_openapi_fuzz import CONFIGURATION, fuzz_case, no_server_errors_and_no_contract_violations

schema = schemathesis.pytest.from_fixture("fuzz_schema").include(path_regex=CONFIGURATION)
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


@pytest.mark.timeout(FUZZ_TIMEOUT_S)
@schema.parametrize()
def test_configuration_operation(case: Case, fuzz_session: requests.Session, fuzz_stats: FuzzStats) -> None:
    fuzz_case(case, fuzz_session, fuzz_stats)


def test_no_server_errors_and_no_contract_violations_in_configuration(fuzz_stats: FuzzStats) -> None:
    no_server_errors_and_no_contract_violations(fuzz_stats)
