"""Fuzzing: hypothesis properties (collected by pytest) and atheris entry points (``python -m tests.fuzz.run``)."""
