"""Filled in by the estate family."""
