"""Tests of the local host (devhost) against a small sample app."""
