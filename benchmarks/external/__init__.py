"""A system under test that is not ours: any RTSP-consuming VMS, NVR or analytics server.

The scenario's ``stack: {type: external, ...}`` says how the cameras reach it (``config.py``), how
its health is read and mapped to the run's metric vocabulary (``health.py``), and the runner drives it
like the built-in stack (``benchmarks.runner.external_component``). See docs/external.md.
"""
