"""Synthetic and recorded footage served as a fleet of RTSP cameras (MediaMTX or embedded GStreamer)."""
