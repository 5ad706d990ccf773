"""The load config a locustfile runs with: read once from the JSON file named by $TILIK_LOAD_CONFIG
(written by ``benchmarks.load.runner``); defaults when unset (plain ``locust -f`` runs)."""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from benchmarks.load.config import LoadConfig

CONFIG_ENV = "TILIK_LOAD_CONFIG"


@functools.lru_cache(maxsize=1)
def current_config() -> LoadConfig:
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return LoadConfig()
    return LoadConfig.model_validate(json.loads(Path(path).read_text()))
