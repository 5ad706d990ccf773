"""Forward passes of the three backends; each takes a float32 NCHW batch, returns the YOLOv8 head."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from common.errors import InputError, UnavailableError

log = logging.getLogger(__name__)


class TorchForward:
    """Ultralytics PyTorch weights (.pt): the DetectionModel itself, fused, in inference mode."""

    name = "ultralytics"

    def __init__(self, weights: Path, device: str = "cpu", threads: int = 0):
        import torch
        from analytics.detect import ultralytics_env
        ultralytics_env()
        from ultralytics import YOLO
        if threads:
            torch.set_num_threads(threads)
        try:
            yolo = YOLO(str(weights), task="detect")
            model = yolo.model
            if not hasattr(model, "fuse"):
                raise ValueError("not an Ultralytics PyTorch detection model")
        except InputError:
            raise
        except Exception as exc:  # ultralytics raises many kinds on a bad file
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise InputError(f"cannot load detector weights: not a valid Ultralytics PyTorch checkpoint "
                             f"({type(exc).__name__}: {first})", where=str(weights)) from None
        self.device = torch.device("cpu" if device == "cpu" else f"cuda:{device}")
        self.model = model.fuse().eval().float().to(self.device)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.names = [model.names[i] for i in sorted(model.names)]
        self._torch = torch

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(batch).to(self.device)
            y = self.model(x)
            if isinstance(y, (list, tuple)):
                y = y[0]
            return y.float().cpu().numpy()


class OnnxForward:
    """ONNX Runtime on an Ultralytics ONNX export."""

    name = "onnx"

    def __init__(self, weights: Path, imgsz: int, threads: int = 0):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(weights), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise InputError(f"cannot load ONNX model ({exc})", where=str(weights)) from None
        inp = self.session.get_inputs()[0]
        self.input = inp.name
        shape = inp.shape
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        if isinstance(shape[2], int) and shape[2] != imgsz:
            raise InputError(f"the model's input is fixed at {shape[2]}x{shape[3]} but imgsz is {imgsz}; "
                             f"export with dynamic=True or set imgsz: {shape[2]}", where=str(weights))
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names = _names_from_meta(meta.get("names"))

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.fixed_batch == 1 and batch.shape[0] > 1:
            return np.concatenate([self.session.run(None, {self.input: batch[i:i + 1]})[0]
                                   for i in range(batch.shape[0])])
        return self.session.run(None, {self.input: batch})[0]


class OpenVinoForward:
    """OpenVINO Runtime on an Ultralytics OpenVINO export (.xml + .bin)."""

    name = "openvino"

    def __init__(self, weights: Path, imgsz: int, threads: int = 0, precision: str = "default"):
        try:
            import openvino as ov
        except ImportError as exc:  # pragma: no cover - pinned dependency
            raise UnavailableError("openvino is not installed") from exc
        xml = weights
        if weights.is_dir():
            found = sorted(weights.glob("*.xml"))
            if not found:
                raise InputError("no OpenVINO .xml model in this folder", where=str(weights))
            xml = found[0]
        core = ov.Core()
        try:
            model = core.read_model(str(xml))
        except Exception as exc:
            raise InputError(f"cannot read OpenVINO model ({exc})", where=str(xml)) from None
        shape = model.inputs[0].get_partial_shape()
        if shape[2].is_static and shape[2].get_length() != imgsz:
            if shape.is_static:
                raise InputError(f"the model's input is fixed at {shape[2]} but imgsz is {imgsz}; export "
                                 f"with dynamic=True or set imgsz: {shape[2]}", where=str(xml))
        if not shape.is_static:
            model.reshape({model.inputs[0].any_name: ov.PartialShape([-1, 3, imgsz, imgsz])})
        self.fixed_batch = shape[0].get_length() if shape[0].is_static else None
        config: dict = {}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        if precision != "default":
            config["INFERENCE_PRECISION_HINT"] = precision
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()
        names = None
        try:
            names = model.get_rt_info(["model_info", "names"]).astype(str)
        except Exception:
            meta = xml.with_name("metadata.yaml")
            if meta.is_file():
                import yaml
                names = (yaml.safe_load(meta.read_text()) or {}).get("names")
        self.names = _names_from_meta(names)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.fixed_batch == 1 and batch.shape[0] > 1:
            return np.concatenate([self(batch[i:i + 1]) for i in range(batch.shape[0])])
        res = self.request.infer({0: batch})
        return np.asarray(next(iter(res.values())))


def _names_from_meta(raw) -> list[str] | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return [str(raw[k]) for k in sorted(raw, key=int)]
    if isinstance(raw, str):
        import ast
        try:
            d = ast.literal_eval(raw)
            return [str(d[k]) for k in sorted(d)] if isinstance(d, dict) else None
        except (ValueError, SyntaxError):
            return None
    return None
