"""Procedural street scenes with ground truth: a two-way road with vehicles and pedestrians, a counting
line, a no-parking zone, and optional night, rain, flood and garbage."""
from __future__ import annotations

from .render import GTObject, Scene, frame_count, render_frames
from .spec import CLASSES, VEHICLE_CLASSES, FloodSpec, GarbageSpec, ParkingSpec, SceneSpec

__all__ = ["CLASSES", "VEHICLE_CLASSES", "FloodSpec", "GTObject", "GarbageSpec", "ParkingSpec", "Scene",
           "SceneSpec", "frame_count", "render_frames"]
