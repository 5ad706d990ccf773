"""The scenario runner: starts the parts through small adapters, steps the load, measures each step
with repeated trials, and stops at the knee. See docs/runner.md."""
