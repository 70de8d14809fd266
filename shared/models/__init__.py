"""Pydantic models per aggregate: Create / Update / public shapes, camelCase on the wire."""
