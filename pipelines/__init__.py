"""Pipelines: read → normalise → validate → load, one upload at a time."""
