"""Filled in by the services family."""
