"""The scenario: one YAML file composing each part's own config model.

Each part owns its section's model; this module only composes them and checks what crosses
sections (names one section uses that another defines).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from analytics.config import StackConfig
from analytics.portal.config import PortalConfig
from benchmarks.load.config import LoadConfig
from benchmarks.runconfig import RunConfig, SLOConfig
from benchmarks.yamlpath import validate_file
from common.config import StrictModel
from fake_cameras.config import FleetConfig
from simulator.config import SimulationConfig
from simulator.phases import Growth

SCENARIO_SCHEMA_VERSION = 1


class Scenario(StrictModel):
    schema_version: int = Field(SCENARIO_SCHEMA_VERSION, ge=1, le=SCENARIO_SCHEMA_VERSION,
                                description="version of this file's schema")
    name: str = Field(..., min_length=1, description="short identifier, used in results paths")
    description: str = Field("", description="what the scenario represents; state assumptions here")
    seed: int = Field(0, ge=0, description="seed of every random generator of the run")
    cameras: FleetConfig = Field(..., description="the camera fleet (fake_cameras)")
    stack: StackConfig | None = Field(None, description="the ingest and analytics stack (analytics)")
    portal: PortalConfig | None = Field(None, description="the portal (analytics.portal)")
    load: LoadConfig | None = Field(None, description="viewer and operator load (Locust)")
    slos: SLOConfig | None = Field(None, description="service-level objectives that define the knee")
    run: RunConfig | None = Field(None, description="how a scenario run steps the load")
    simulation: SimulationConfig | None = Field(None, description="simulator settings")
    growth: Growth | None = Field(None, description="purchase phases for sizing (camera counts per phase)")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; errors name the YAML path and line."""
    return validate_file(Scenario, Path(path))
