"""Tests against a real Azurite (storage, HTTP functions called in-process)."""
