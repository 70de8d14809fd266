"""The step catalogue: every post-provisioning step has its Run Command script, from one home."""

from __future__ import annotations

import pytest

from shared.models.cloud_pcs import BuildSettings
from shared.services.cloud_pcs.provisioning_steps import (
    ASSIGNMENT_STEPS,
    CORE_STEPS,
    ORDER,
    POST_STEPS,
    STAGE_OF,
    post_script,
    post_steps,
)


def build(join: str = "azureADJoin", **settings: object) -> BuildSettings:
    return BuildSettings.model_validate(
        {
            "image_type": "gallery",
            "image_id": "p_o_s",
            "image_display_name": "Windows 11",
            "domain_join_type": join,
            "region_name": "westeurope",
            "subscription_id": "sub",
            "resource_group": "rg",
            "vm_size": "Standard_D2s_v5",
            "os_disk_size_gb": 128,
            "naming_template": "CPC-%RAND:5%",
            **settings,
        }
    )


def test_a_local_admin_and_a_language_are_set_only_where_the_policy_asks() -> None:
    plain = post_steps(build())
    assert "addLocalAdmin" not in plain and "setLanguage" not in plain  # en-US: the images' own language
    asked = post_steps(build(local_admin_enabled=True, locale="de-DE"))
    assert asked == list(POST_STEPS)
    language = post_script("setLanguage", build(locale="de-DE"), "u")
    assert language[0] == "Install-Language -Language 'de-DE' -CopyToSettings -ErrorAction Stop"
    assert any("Set-WinSystemLocale -SystemLocale 'de-DE'" in line for line in language)


def test_the_steps_are_in_the_order_of_the_three_stages() -> None:
    steps = [*CORE_STEPS, *POST_STEPS, *ASSIGNMENT_STEPS]
    assert sorted(steps, key=ORDER.__getitem__) == steps
    assert {STAGE_OF[s] for s in CORE_STEPS} == {"core"}
    assert {STAGE_OF[s] for s in POST_STEPS} == {"postProvisioning"}
    assert STAGE_OF["assignUser"] == "assignment"


@pytest.mark.parametrize("step", POST_STEPS)
def test_every_post_provisioning_step_has_a_script(step: str) -> None:
    lines = post_script(step, build(), "adele@contoso.com")
    assert lines and all(isinstance(line, str) and line for line in lines)


def test_the_seed_commands_are_what_the_steps_run() -> None:
    assert post_script("disableWindowsReset", build(), "u") == ["reagentc.exe /disable"]
    assert any("Resize-Partition" in line for line in post_script("resizeOsDisk", build(), "u"))
    assert any("IsWVDEnvironment" in line for line in post_script("setTeamsVdiMode", build(), "u"))
    assert any("fEnableTimeZoneRedirection" in line for line in post_script("enableTimeZoneRedirection", build(), "u"))
    hide = post_script("hideStartMenuPowerIcons", build(), "u")
    assert any("HideShutDown" in line for line in hide) and any("ShutDownWithoutLogon" in line for line in hide)


def test_a_local_admin_is_named_as_the_join_type_knows_the_user() -> None:
    entra = post_script("addLocalAdmin", build("azureADJoin"), "adele@contoso.com")
    hybrid = post_script("addLocalAdmin", build("hybridAzureADJoin"), "adele@contoso.com")
    assert "AzureAD\\adele@contoso.com" in entra[0]
    assert "'adele@contoso.com'" in hybrid[0]


def test_a_step_that_is_not_post_provisioning_has_no_script() -> None:
    with pytest.raises(ValueError, match="createVm"):
        post_script("createVm", build(), "u")
