"""The benchmarks' CPU figures: each process's CPU per Cloud PC, and the host process's against the emulator's."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.provisioning import cpu_per_cloud_pc


def test_each_process_per_cloud_pc_and_the_host_against_the_emulator() -> None:
    figures = cpu_per_cloud_pc(Counter({"devhost": 6.4, "emulator": 2.0, "azurite": 2.2}), 100)
    assert figures == pytest.approx(
        {
            "cpu_ms_azurite_per_cloud_pc": 22.0,
            "cpu_ms_devhost_per_cloud_pc": 64.0,
            "cpu_ms_emulator_per_cloud_pc": 20.0,
            "cpu_devhost_per_emulator": 3.2,
        }
    )


def test_without_the_emulators_cpu_there_is_no_ratio() -> None:
    assert cpu_per_cloud_pc(Counter({"devhost": 1.0}), 10) == {"cpu_ms_devhost_per_cloud_pc": 100.0}
