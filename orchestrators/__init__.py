"""Durable orchestrators: deterministic generators that only yield."""
