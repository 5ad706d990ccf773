"""Locust users, load shapes and the ``tilikbench load`` wrapper."""
