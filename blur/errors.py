"""Errors blur raises. Each also inherits the built-in it refines, so callers
that already catch ``ValueError`` or ``OSError`` keep working."""

from __future__ import annotations


class BlurError(Exception):
    """Base of every error blur raises on purpose. The message names the file
    (where there is one), what was wrong, and what to do."""


class SettingsError(BlurError, ValueError):
    """An option or setting has a value blur cannot use."""


class InputError(BlurError, ValueError):
    """An input file is missing, empty, not media, corrupt or unsupported."""


class OutputError(BlurError, OSError):
    """The output cannot be written: exists already, folder not writable, disk full."""


class ModelError(BlurError, RuntimeError):
    """A model file could not be found, fetched or verified."""


class PlanError(BlurError, ValueError):
    """A redaction plan is malformed or does not match its input."""
