"""Simulated device objects: Entra ID devices, on-premises AD computer accounts, Intune managed devices."""

from __future__ import annotations

import uuid

from shared.cloud.ports import CloudError, Progress
from shared.cloud.simulated.latency import Clock, StepRunner, create_if_absent, name_key
from shared.cloud.simulated.models import SETTING_PREFIX, SimComputerAccount, SimEntraDevice, SimManagedDevice
from shared.errors import NotFound, PreconditionFailed
from shared.storage.tables import EntityRepository, TableStorage

HYBRID_JOIN = "hybridAzureADJoin"
ENTRA_JOIN = "azureADJoin"
CONFIGURATION_STEPS = frozenset(
    {
        "hideStartMenuPowerIcons", "disableWindowsReset", "addLocalAdmin", "setTeamsVdiMode",
        "enableTimeZoneRedirection", "resizeOsDisk",
    }
)  # fmt: skip


class SimulatedDeviceDirectory:
    """The DeviceDirectory port. Hybrid join makes the AD computer account first; Entra Connect then syncs it."""

    def __init__(self, storage: TableStorage, runner: StepRunner, clock: Clock) -> None:
        self._devices = EntityRepository(storage, "SimEntraDevices", SimEntraDevice, kind="Entra device")
        self._accounts = EntityRepository(storage, "SimAdComputers", SimComputerAccount, kind="Computer account")
        self._runner = runner
        self._clock = clock

    def join_device(
        self, tenant_id: str, device_name: str, join_type: str, domain_name: str | None, organizational_unit: str | None
    ) -> Progress:
        key = name_key(device_name)

        def check() -> None:
            if join_type not in (HYBRID_JOIN, ENTRA_JOIN):
                raise CloudError("joinEntra", "InvalidJoinType", f"'{join_type}' is not a join type.")
            if join_type == HYBRID_JOIN and not domain_name:
                raise CloudError("joinEntra", "DomainRequired", "A hybrid join needs the AD domain name.")

        def current() -> Progress | None:
            check()
            found = self._devices.find(tenant_id, key)
            return None if found is None else Progress(done=True, resource_id=found.id)

        def apply() -> str:
            check()
            if join_type == HYBRID_JOIN:
                # (re-)joining a name enables its computer account again, as a domain join with reuse would
                account = SimComputerAccount(
                    name=device_name, enabled=True, domain_name=domain_name, organizational_unit=organizational_unit
                )
                self._accounts.put(account, tenant_id, key)
            device = SimEntraDevice(
                id=str(uuid.uuid4()),
                device_id=str(uuid.uuid4()),
                display_name=device_name,
                join_type=join_type,
                trust_type="ServerAd" if join_type == HYBRID_JOIN else "AzureAd",
                created_date_time=self._clock(),
            )
            return create_if_absent(self._devices, tenant_id, key, device).id

        return self._runner.run(tenant_id, "joinEntra", device_name, current=current, apply=apply)

    def delete_device(self, tenant_id: str, device_name: str) -> Progress:
        key = name_key(device_name)

        def current() -> Progress | None:
            return Progress(done=True) if self._devices.find(tenant_id, key) is None else None

        def apply() -> None:
            self._devices.delete(tenant_id, key)
            self._runner.forget(tenant_id, "joinEntra", device_name)

        return self._runner.run(tenant_id, "deleteEntraDevice", device_name, current=current, apply=apply)

    def disable_computer_account(self, tenant_id: str, device_name: str) -> Progress:
        """Disables, never deletes: AD admins keep the account (and its BitLocker keys) for their own clean-up."""
        key = name_key(device_name)

        def current() -> Progress | None:
            account = self._accounts.find(tenant_id, key)
            return Progress(done=True) if account is None or not account.enabled else None

        def apply() -> None:
            while True:
                account = self._accounts.find(tenant_id, key)
                if account is None or not account.enabled:
                    return
                try:
                    disabled = account.model_copy(update={"enabled": False})
                    self._accounts.put(disabled, tenant_id, key, if_match=account.etag)
                    return
                except PreconditionFailed:
                    continue  # re-joined or disabled meanwhile: look again

        return self._runner.run(tenant_id, "disableComputerAccount", device_name, current=current, apply=apply)

    def get_device(self, tenant_id: str, device_name: str) -> SimEntraDevice | None:
        return self._devices.find(tenant_id, name_key(device_name))

    def list_devices(self, tenant_id: str) -> list[SimEntraDevice]:
        return list(self._devices.scan("PartitionKey eq @t", {"t": tenant_id}))

    def list_computer_accounts(self, tenant_id: str) -> list[SimComputerAccount]:
        return list(self._accounts.scan("PartitionKey eq @t", {"t": tenant_id}))


class SimulatedDeviceManagement:
    """The DeviceManagement port (Intune). Configuration steps may run in parallel, so updates merge by etag."""

    def __init__(self, storage: TableStorage, runner: StepRunner, devices: SimulatedDeviceDirectory, clock: Clock):
        self._managed = EntityRepository(storage, "SimManagedDevices", SimManagedDevice, kind="Managed device")
        self._runner = runner
        self._devices = devices
        self._clock = clock

    def enroll_device(self, tenant_id: str, device_name: str) -> Progress:
        key = name_key(device_name)

        def joined() -> SimEntraDevice:
            entra = self._devices.get_device(tenant_id, device_name)
            if entra is None:
                raise CloudError("enrollIntune", "DeviceNotJoined", f"'{device_name}' has no Entra device to enrol.")
            return entra

        def current() -> Progress | None:
            found = self._managed.find(tenant_id, key)
            if found is not None:
                return Progress(done=True, resource_id=found.id)
            joined()  # fail now rather than after the step's latency
            return None

        def apply() -> str:
            managed = SimManagedDevice(
                id=str(uuid.uuid4()),
                device_name=device_name,
                azure_ad_device_id=joined().device_id,
                enrolled_date_time=self._clock(),
            )
            return create_if_absent(self._managed, tenant_id, key, managed).id

        return self._runner.run(tenant_id, "enrollIntune", device_name, current=current, apply=apply)

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        return self._set(tenant_id, device_name, "assignPrimaryUser", {"primaryUserId": user_id})

    def configure(self, tenant_id: str, device_name: str, step: str, value: str) -> Progress:
        if step not in CONFIGURATION_STEPS:
            raise CloudError(step, "UnknownConfigurationStep", f"'{step}' is not a configuration step.")
        return self._set(tenant_id, device_name, step, {f"{SETTING_PREFIX}{step}": value})

    def assign_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        return self._set(tenant_id, device_name, "assignUser", {"assignedUserId": user_id})

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress:
        key = name_key(device_name)

        def current() -> Progress | None:
            return Progress(done=True) if self._managed.find(tenant_id, key) is None else None

        def apply() -> None:
            self._managed.delete(tenant_id, key)
            for step in ("enrollIntune", "assignPrimaryUser", "assignUser", *CONFIGURATION_STEPS):
                self._runner.forget(tenant_id, step, device_name)

        return self._runner.run(tenant_id, "deleteManagedDevice", device_name, current=current, apply=apply)

    def list_managed_devices(self, tenant_id: str) -> list[SimManagedDevice]:
        return list(self._managed.scan("PartitionKey eq @t", {"t": tenant_id}))

    def _set(self, tenant_id: str, device_name: str, step: str, values: dict[str, str]) -> Progress:
        """Apply a setting to an enrolled device: one merge of its own properties, idempotent by nature."""

        def apply() -> None:
            try:
                self._managed.merge_values(tenant_id, name_key(device_name), values)
            except NotFound:
                raise CloudError(step, "DeviceNotEnrolled", f"'{device_name}' is not enrolled in Intune.") from None

        # the operation is per device and step, so parallel steps on one device each take their own time
        return self._runner.run(tenant_id, step, device_name, current=lambda: None, apply=apply)
