"""Event-level scoring of the stack against ground truth: events placed on the stream timeline by the
clip position they were decided at (``records``), truth events of a clip (``truth``), one-to-one
matching within a time tolerance and precision / recall / F1 / timing error (``match``)."""
from __future__ import annotations

from analytics.scoring.camera import score_camera
from analytics.scoring.match import DEFAULT_TOLERANCE_S, Matched, Score, match_events, merge, scores
from analytics.scoring.records import RULES, Placed, line_direction_names, observed_events
from analytics.scoring.truth import RuleTruth, clip_truth, span_truth

__all__ = ["DEFAULT_TOLERANCE_S", "RULES", "Matched", "Placed", "RuleTruth", "Score", "clip_truth",
           "line_direction_names", "match_events", "merge", "observed_events", "score_camera", "scores", "span_truth"]
