"""NVR credentials: kept in an owner-only file, put into the URL only when a stream is opened, and never
shown in an error message."""
from __future__ import annotations

import stat

import pytest

from common.credentials import (
    read_credentials,
    redact,
    with_credentials,
    write_credentials,
)
from common.errors import InputError


def test_credentials_file_is_owner_only_and_round_trips(tmp_path):
    path = write_credentials(tmp_path / "state" / "nvr-credentials.json", "admin", "s3cret:/@x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_credentials(path) == ("admin", "s3cret:/@x")
    with pytest.raises(InputError, match="cannot read NVR credentials"):
        read_credentials(tmp_path / "missing.json")


def test_the_url_carries_them_percent_encoded_and_errors_do_not():
    url = with_credentials("rtsp://10.232.0.2:554/cam/realmonitor?channel=1&subtype=0", "admin", "s3cret:/@x")
    assert url == "rtsp://admin:s3cret%3A%2F%40x@10.232.0.2:554/cam/realmonitor?channel=1&subtype=0"
    message = f"HTTPUnauthorizedError: [Errno 1] Server returned 401 Unauthorized: '{url}'"
    assert redact(message) == ("HTTPUnauthorizedError: [Errno 1] Server returned 401 Unauthorized: "
                               "'rtsp://admin:***@10.232.0.2:554/cam/realmonitor?channel=1&subtype=0'")
    assert redact("rtsp://127.0.0.1:8554/rt-0001 timed out") == "rtsp://127.0.0.1:8554/rt-0001 timed out"
