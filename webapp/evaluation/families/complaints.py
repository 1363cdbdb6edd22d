"""Filled in by the complaints family."""
