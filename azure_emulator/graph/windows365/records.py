"""The kinds of Windows 365 documents in the emulator's store, keyed `{tenant}/{id}`, and the path they are served
under: one home, so that each module reads the others' documents by name rather than by guesswork."""

from __future__ import annotations

BASE = r"/deviceManagement/virtualEndpoint"

CONNECTION = "w365.onPremisesConnection"
DEVICE_IMAGE = "w365.deviceImage"
POLICY = "w365.provisioningPolicy"
CLOUD_PC = "w365.cloudPc"
SNAPSHOT = "w365.snapshot"
USER_SETTING = "w365.userSetting"
AUDIT_EVENT = "w365.auditEvent"
REPORT_AGGREGATION = "w365.reportAggregation"  # keyed by the tenant alone: its reports' last aggregation


def key(tenant: str, object_id: str) -> str:
    return f"{tenant}/{object_id.lower()}"
