"""Errors that stop a run. Each carries a stable code, a Vietnamese message and the CLI exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_UNUSABLE = 3
EXIT_NO_UNITS = 4


class SheetkpiError(Exception):
    """Base class: ``code`` is kebab-case and stable, ``message`` is for people."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class FileUnusable(SheetkpiError):
    """The file cannot be used: missing, not a workbook, encrypted, locked, corrupt. Nothing written."""

    exit_code = EXIT_UNUSABLE


class NoUnitTab(SheetkpiError):
    """The workbook has no unit tab, or a declared unit tab lacks required columns. Nothing written."""

    exit_code = EXIT_NO_UNITS


class UsageError(SheetkpiError):
    """A wrong argument (a date that does not parse, an unknown option value)."""

    exit_code = EXIT_USAGE
