"""The project's own small detector: a YOLO-format dataset from generated footage, and its training."""
