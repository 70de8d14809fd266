"""What the portal sees of a tenant's linked Entra directory: security groups looked up by name."""

from __future__ import annotations

from pydantic import Field

from shared.models.base import ApiModel


class DirectoryGroup(ApiModel):
    """A security group of the linked Entra tenant; its `id` is what policy assignments and Spot Groups take."""

    id: str
    display_name: str
    description: str | None = None


class DirectoryGroupList(ApiModel):
    """A look-up, not a listing: at most `top` groups, by display name, and never a nextLink; to find a group
    further down, narrow `search`."""

    value: list[DirectoryGroup] = Field(description="The groups found, by display name.")
