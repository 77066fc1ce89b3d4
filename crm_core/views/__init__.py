"""views service."""
