"""Low-latency live view over WebRTC (aiortc), relaying the camera's H.264 without re-encoding.

Why WebRTC rather than LL-HLS: ffmpeg's HLS muxer writes no partial segments, so LL-HLS would need a
packager of our own; aiortc (PyPI) relays an RTSP camera's encoded packets to browsers as they
arrive, which is what a low-latency view is for, and every browser decodes H.264 over WebRTC.

One source per camera per worker: ``MediaPlayer(rtsp, decode=False)`` (PyAV demuxing, packets passed
through) fanned out to the camera's peers by ``MediaRelay``. A viewer POSTs its SDP offer (ICE
gathered, no trickle; loopback and LAN host candidates only: no STUN or TURN server is contacted) and
gets the answer. The first viewer of a camera opens the source (the cold start: the RTSP open and
the wait for a keyframe); later viewers join at the next keyframe. A source with no peer left is
closed ``idle_s`` later. Peers are bounded per worker (``max_peers``): beyond it, 503.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import av

log = logging.getLogger(__name__)


@dataclass
class _Source:
    player: object
    relay: object
    peers: set[str] = field(default_factory=set)
    idle_since: float | None = None


class WebRtcRelay:
    """The WebRTC sessions of one portal worker."""

    def __init__(self, *, max_peers: int = 200, idle_s: float = 20.0):
        self.max_peers = max_peers
        self.idle_s = idle_s
        self.sources: dict[str, _Source] = {}
        self.peers: dict[str, tuple[str, object]] = {}     # sid -> (camera, RTCPeerConnection)
        self._locks: dict[str, asyncio.Lock] = {}

    async def _source(self, cam: str, url: str) -> tuple[_Source, bool]:
        """The camera's source and whether this call opened it (a cold start). Opening the RTSP stream
        blocks for a second or more, so it runs in a thread, one opener per camera."""
        from aiortc.contrib.media import MediaPlayer, MediaRelay   # aiortc only where WebRTC is used
        async with self._locks.setdefault(cam, asyncio.Lock()):
            src = self.sources.get(cam)
            if src is not None:
                return src, False
            opts = {"rtsp_transport": "tcp", "analyzeduration": "500000", "probesize": "200000"} \
                if url.startswith("rtsp://") else {}      # probing bounded as the HLS packager's
            player = await asyncio.to_thread(MediaPlayer, url, decode=False, options=opts)
            src = self.sources[cam] = _Source(player, MediaRelay())
            log.info("WebRTC source for %s opened", cam)
            return src, True

    async def answer(self, cam: str, url: str, sid: str, offer_sdp: str) -> tuple[str, bool] | None:
        """The SDP answer for a viewer's offer and whether the camera's source was cold; None when full."""
        from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
        if len(self.peers) >= self.max_peers:
            return None
        await self.close_peer(sid)
        try:
            src, cold = await self._source(cam, url)
        except (OSError, av.error.FFmpegError) as e:      # camera offline, refused, not a stream
            raise ConnectionError(f"camera stream did not open: {e}") from e
        pc = RTCPeerConnection()
        self.peers[sid] = (cam, pc)
        src.peers.add(sid)
        src.idle_since = None

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close_peer(sid)

        sender = pc.addTrack(src.relay.subscribe(src.player.video, buffered=False))
        h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
        for t in pc.getTransceivers():
            if t.sender is sender:
                t.setCodecPreferences(h264)      # before the offer is applied: H.264 passed through, no re-encode
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, AssertionError, KeyError, IndexError) as e:   # what aiortc raises on a bad offer
            await self.close_peer(sid)
            raise ValueError(f"not a usable SDP offer: {e}") from e
        return pc.localDescription.sdp, cold

    async def close_peer(self, sid: str) -> None:
        entry = self.peers.pop(sid, None)
        if entry is None:
            return
        cam, pc = entry
        src = self.sources.get(cam)
        if src is not None:
            src.peers.discard(sid)
            if not src.peers:
                src.idle_since = time.monotonic()
        await pc.close()

    async def reap(self) -> list[str]:
        """Close sources idle for ``idle_s``. Returns the cameras closed."""
        now = time.monotonic()
        closed = []
        for cam, src in list(self.sources.items()):
            if src.idle_since is not None and now - src.idle_since >= self.idle_s:
                del self.sources[cam]
                src.player.video.stop()
                closed.append(cam)
                log.info("WebRTC source for %s closed (no viewers)", cam)
        return closed

    async def close_all(self) -> None:
        for sid in list(self.peers):
            await self.close_peer(sid)
        for src in self.sources.values():
            src.player.video.stop()
        self.sources.clear()
        await asyncio.sleep(0)
