"""Exceptions and exit codes.

The tree::

    FtprepError                 exit 70 (internal; should never reach a user)
    ├── UsageError              exit 2  bad arguments, bad paths
    ├── InputError              exit 2  an input file cannot be read (names file and line)
    ├── OutputError             exit 2  an output cannot be written (disk full, permissions, lock)
    ├── ConfigError             exit 3  bad config file or key
    │   └── KeyError_           exit 3  missing, empty or too short pseudonymization key
    └── DataError               exit 1  the data failed (error-severity check, leak check)
        └── LeakError           exit 1  an original identifier survived in an output
    UploadError                 exit 1  the upload helper refused or the service failed

Messages never contain data values: they quote files, line numbers, codes and
entity types only.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_INTERNAL = 70


class FtprepError(Exception):
    """Base class for every error ftprep raises on purpose."""

    exit_code = EXIT_INTERNAL


class UsageError(FtprepError):
    exit_code = EXIT_USAGE


class InputError(FtprepError):
    """An input cannot be read at all. Per-line problems are findings, not errors."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class OutputError(FtprepError):
    exit_code = EXIT_USAGE


class ConfigError(FtprepError):
    exit_code = EXIT_CONFIG


class KeyError_(ConfigError):  # noqa: N801 - avoid shadowing the builtin KeyError
    """The pseudonymization key is missing, unreadable, empty or too short."""


class DataError(FtprepError):
    exit_code = EXIT_DATA


class LeakError(DataError):
    """An original identifier was found in an output file."""


class UploadError(FtprepError):
    exit_code = EXIT_DATA
