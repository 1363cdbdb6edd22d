"""Mechanisms every slice uses, each defined once: scoping, audit, locking, clock, media, qr, notify."""
