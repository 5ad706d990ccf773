"""The image definition stays the same install as `make setup`: its Debian packages are scripts/setup.sh's
APT_PACKAGES, less the ones only the tests and the report need, plus the base Python."""
from __future__ import annotations

import re

from tests.scaleout.multihost import REPO

TEST_AND_REPORT_ONLY = {"postgresql", "chromium", "fonts-dejavu-core", "poppler-utils", "rtsp-server-perl",
                        "procps", "curl"}
IMAGE_BASE = {"python3", "python3-venv", "ca-certificates"}


def _words(block: str) -> set[str]:
    return {w for line in block.splitlines() for w in line.split("#")[0].replace("\\", " ").split()}


def test_the_dockerfile_installs_setup_shs_packages_and_the_same_pinned_requirements():
    setup = (REPO / "scripts" / "setup.sh").read_text()
    apt = _words(re.search(r"APT_PACKAGES=\((.*?)\n\)", setup, re.DOTALL).group(1))
    docker = (REPO / "Dockerfile").read_text()
    install = re.search(r"apt-get install -y -q --no-install-recommends(.*?)&&", docker, re.DOTALL).group(1)
    image = _words(install)
    missing, extra = (apt - TEST_AND_REPORT_ONLY) - image, (image - IMAGE_BASE) - apt
    assert not missing, f"setup.sh installs {sorted(missing)}: add them to the Dockerfile, or to " \
                        "TEST_AND_REPORT_ONLY here if only the tests or the report need them"
    assert not extra, f"the Dockerfile installs {sorted(extra)}, which setup.sh does not"
    assert "pip install -q --no-cache-dir -r requirements.txt" in docker
    assert "--no-deps --no-build-isolation -e ." in docker          # the project itself, as setup.sh installs it
