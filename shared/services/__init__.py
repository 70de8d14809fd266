"""Domain services: plain functions with their ports passed in."""
