"""Typed states in a run's records (``results.json``), kept as data rather than English text: whether
each part was wired into the run, and how the model check ended. The report and the CLI word them in
their own language; the reason behind a state that is not the happy one travels beside it
(``wired_why``, ``status_detail``)."""
from __future__ import annotations

import enum


class Wiring(enum.StrEnum):
    """A part of the scenario in a run (the results' ``wired`` map)."""

    WIRED = "wired"                    # started, measured, stopped by the run
    NOT_DECLARED = "not_declared"      # the scenario has no such section
    NOT_AVAILABLE = "not_available"    # declared, but the part cannot start here (``wired_why`` says why)
    NOT_WIRED = "not_wired"            # no adapter for it in the runner


class CheckStatus(enum.StrEnum):
    """How the model check ended (the results' ``model_check.status``)."""

    DONE = "done"                      # predicted and compared (``status_detail`` says how it came out)
    NOT_AVAILABLE = "not_available"    # the simulator cannot be imported
    FAILED = "failed"                  # the check raised; the run's results are kept
