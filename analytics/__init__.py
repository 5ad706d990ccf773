"""The stack under test: ingest, detection, tracking, analytic rules, event store, and the portal."""
