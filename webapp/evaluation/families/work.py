"""Filled in by the work family."""
