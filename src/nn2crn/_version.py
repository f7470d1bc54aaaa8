"""The package version, written once (pyproject reads it as its dynamic version)."""

__version__ = "0.1.0"
