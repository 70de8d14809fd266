"""The `windows365` backend's connections, device images and policies: what Windows 365 takes, and every change sent
to it through Graph."""

from __future__ import annotations


class Windows365Configuration:
    pass
