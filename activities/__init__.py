"""Durable activities: thin adapters that validate input and call a service."""
