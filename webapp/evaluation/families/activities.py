"""Filled in by the activities family."""
