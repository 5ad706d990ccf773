"""The scenario: one YAML file composing each part's own config model.

Each part owns its section's model; this module only composes them and checks what crosses
sections (names one section uses that another defines).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag

from analytics.config import StackConfig
from analytics.portal.config import PortalConfig
from benchmarks.external.config import ExternalStackConfig
from benchmarks.load.config import LoadConfig
from benchmarks.runconfig import RunConfig, SLOConfig
from benchmarks.yamlpath import validate_file
from common.config import StrictModel
from fake_cameras.config import FleetConfig
from simulator.config import SimulationConfig
from simulator.phases import Growth

SCENARIO_SCHEMA_VERSION = 1


def _stack_type(value: Any) -> str:
    """The stack section's ``type``; a section without one is the built-in stack."""
    if isinstance(value, dict):
        return str(value.get("type", "builtin"))
    return str(getattr(value, "type", "builtin"))


StackUnderTest = Annotated[Union[Annotated[StackConfig, Tag("builtin")],
                                 Annotated[ExternalStackConfig, Tag("external")]],
                           Discriminator(_stack_type)]


class Scenario(StrictModel):
    schema_version: int = Field(SCENARIO_SCHEMA_VERSION, ge=1, le=SCENARIO_SCHEMA_VERSION,
                                description="version of this file's schema")
    name: str = Field(..., min_length=1, description="short identifier, used in results paths")
    description: str = Field("", description="what the scenario represents; state assumptions here")
    seed: int = Field(0, ge=0, description="seed of every random generator of the run")
    cameras: FleetConfig = Field(..., description="the camera fleet (fake_cameras)")
    stack: StackUnderTest | None = Field(None, description="the system under test: the built-in ingest and "
                                         "analytics stack (analytics), or `type: external` (docs/external.md)")
    portal: PortalConfig | None = Field(None, description="the portal (analytics.portal)")
    load: LoadConfig | None = Field(None, description="viewer and operator load (Locust)")
    slos: SLOConfig | None = Field(None, description="service-level objectives that define the knee")
    run: RunConfig | None = Field(None, description="how a scenario run steps the load")
    simulation: SimulationConfig | None = Field(None, description="simulator settings")
    growth: Growth | None = Field(None, description="purchase phases for sizing (camera counts per phase)")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; errors name the YAML path and line."""
    return validate_file(Scenario, Path(path))
