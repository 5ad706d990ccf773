"""Errors that the CLI turns into one clear line and a non-zero exit code."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1          # a check or run failed (an SLO, a test gate)
    USAGE = 2            # bad command line or bad input file (scenario, footage, weights)
    UNAVAILABLE = 3      # a needed component is missing (MediaMTX binary, ffmpeg, a model)
    RESOURCE = 4         # a port in use, a camera unreachable, a server that did not start
    INTERRUPTED = 130    # Ctrl-C; what was measured is kept


class TilikError(Exception):
    """An error with a message meant for the user and an exit code.

    ``where`` names the place: a file, a YAML path, a URL, a port.
    """

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(TilikError):
    exit_code = ExitCode.USAGE


class UnavailableError(TilikError):
    exit_code = ExitCode.UNAVAILABLE


class ResourceError(TilikError):
    exit_code = ExitCode.RESOURCE
