"""What the stack needs to know about one camera, read from the camera farm's manifest."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from common.manifest import CameraManifest


@dataclass(frozen=True)
class StackCamera:
    id: str
    url: str
    camera_class: str
    fps: float
    ground_truth: str | None = None     # the clip's ground-truth JSON: scene geometry, loop length
    clip_frames: int | None = None      # frames of the looping clip (None: not known, no loop keys)
    expected_online: bool = True        # False: the fleet declares it offline (still tried, not waited for)
    credentials: str | None = None      # 0600 file with the NVR's digest credentials (never in the URL here)

    def open_url(self) -> str:
        """The URL to open: with the credentials of ``credentials`` when the camera needs them."""
        if self.credentials is None:
            return self.url
        from common.credentials import read_credentials, with_credentials
        return with_credentials(self.url, *read_credentials(self.credentials))

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "StackCamera":
        return StackCamera(**d)


def from_manifest(manifest: CameraManifest, ids: list[str] | None = None) -> list[StackCamera]:
    """The cameras of a camera manifest (in its order), or only those of ``ids`` (in the manifest's order)."""
    wanted = set(ids) if ids is not None else None
    return [StackCamera(id=c.id, url=c.url, camera_class=c.camera_class, fps=c.fps, ground_truth=c.ground_truth,
                        clip_frames=c.clip_frames, expected_online=c.online, credentials=c.credentials)
            for c in manifest.cameras if wanted is None or c.id in wanted]
