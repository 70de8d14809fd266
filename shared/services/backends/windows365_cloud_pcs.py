"""The `windows365` backend's Cloud PC work: Windows 365 is asked, and the app follows what it then reports."""

from __future__ import annotations


class Windows365CloudPcWork:
    pass
