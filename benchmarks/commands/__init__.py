"""CLI subcommands. Each module here defines ``register(subparsers)``; the CLI finds them all."""
