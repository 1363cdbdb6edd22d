"""Filled in by the praise family."""
