"""Ingest: RTSP readers (a thread per camera), worker processes (detection batched across their
cameras), and the stack supervisor that starts, watches and restarts workers."""
