"""Test helpers: factories and clients shared by the test tiers."""
