"""tilikbench: the CLI, the scenario schema, the runner, load files, the report and micro benchmarks."""
