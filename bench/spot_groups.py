"""Spot Group benchmark: a pooled group of N session hosts deployed, through devhost and the Azure emulator.

Run: .venv/bin/python -m bench.spot_groups [--hosts 10 50] [--latency 2]
Every long-running Azure operation of a host (VM create, Entra join, Run Commands) takes --latency seconds. Prints
the wall time from the create to `ready`, hosts per second, and the ratio to one host's critical path (its four
slow operations): hosts are deployed side by side, so the ratio stays near 1 however many there are, where one
host after another would make it N.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from bench.scenario import SUBSCRIPTION, Api, app_host, directory, print_result, resource_group, storage_and_azure
from devhost.azurite import Azurite

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
SLOW_OPERATIONS = ("createVm", "joinEntra", "runCommand")
SLOW_PER_HOST = 4  # createVm, joinEntra, the FSLogix and the registration Run Commands


def wait_for(api: Api, path: str, done: tuple[str, ...]) -> dict[str, Any]:
    while True:
        body: dict[str, Any] = api.call("GET", path)
        if body["status"] in done:
            return body
        time.sleep(0.2)


def run(hosts: int, latency: float, azurite: Azurite, emulator: EmulatorProcess, workdir: Path) -> dict[str, Any]:
    control = emulator.session()
    for operation in SLOW_OPERATIONS:
        control.put(f"{emulator.base_url}/emulator/latency/{operation}", json={"seconds": 0})
    entra_tenant = str(uuid.uuid4())
    group = directory(emulator, entra_tenant, 1)
    resource_group(emulator, entra_tenant)
    host = app_host(azurite, emulator, f"sg{hosts}l{int(latency * 1000)}", workdir)
    try:
        api = Api(f"{host.base_url}/api", token=emulator.user_token("admin"))  # the development organization owner
        tenant = api.call("POST", "/tenants", {"displayName": f"Bench {hosts}", "entraTenantId": entra_tenant})["id"]
        site = api.call(
            "POST",
            f"/tenants/{tenant}/sites",
            {
                "displayName": "EU",
                "regionName": "westeurope",
                "resourceGroupName": "rg-cloudpcs",
                "subscriptionId": SUBSCRIPTION,
            },
        )["id"]
        image_set = api.call(
            "POST", f"/tenants/{tenant}/imageSets", {"displayName": "Pooled", "siteId": site, "sourceImageId": SOURCE}
        )["id"]
        wait_for(api, f"/tenants/{tenant}/imageSets/{image_set}/versions/0.0.0", ("ready", "failed"))
        for operation in SLOW_OPERATIONS:  # the image is built: from here on Azure takes its time
            control.put(f"{emulator.base_url}/emulator/latency/{operation}", json={"seconds": latency})
        started = time.monotonic()
        created = api.call(
            "POST",
            f"/tenants/{tenant}/spotGroups",
            {
                "name": "bench",
                "friendlyName": "Bench",
                "profilePath": r"\\files\profiles",
                "userType": "pooled",
                "licenseCount": hosts,
                "maxSessionsPerHost": 1,
                "siteId": site,
                "groupIds": [group],
                "imageSetId": image_set,
                "imageVersion": "0.0.0",
            },
        )
        ready = wait_for(api, f"/tenants/{tenant}/spotGroups/{created['id']}", ("ready", "failed"))
        wall = time.monotonic() - started
        listed = api.call("GET", f"/tenants/{tenant}/spotGroups/{created['id']}/sessionHosts")["value"]
        failures = sorted({(h["statusDetail"]["step"], h["statusDetail"]["code"]) for h in listed if h["statusDetail"]})
    finally:
        host.stop()
    path = SLOW_PER_HOST * latency
    return {
        "hosts": hosts,
        "latency_s": latency,
        "status": ready["status"],
        "running": ready["sessionHostCounts"]["running"],
        "wall_s": wall,
        "hosts_per_s": hosts / wall,
        "one_host_critical_path_s": path,
        "ratio_to_one_host": wall / path if path else 0.0,
        "failures": failures,  # (step, code) of the hosts that failed, if any
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds each long-running Azure operation takes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with storage_and_azure() as (azurite, emulator, workdir):
        for hosts in args.hosts:
            result = run(hosts, args.latency, azurite, emulator, workdir)
            print_result(result)


if __name__ == "__main__":
    main()
