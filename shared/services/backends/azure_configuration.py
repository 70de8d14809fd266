"""The `azure` backend's connections, device images and policies: the app's own rules, and nothing sent elsewhere."""

from __future__ import annotations


class AzureConfiguration:
    pass
