"""The platforms a video is made for: size, frame rate, length limit, bitrates, caption style and
loudness of each. The export conforms files to them; the product offers them on its pages and
recommends them from past projects.
"""

from dataclasses import dataclass

from .cues import CaptionStyle
from .types import FrameSize


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    label: str
    width: int
    height: int
    fps: int  # rendered at, and the most exported: a slower master keeps its own (24 -> 30 judders)
    max_duration_s: int
    video_bitrate_kbps: int  # peak for standard rates (24-30 fps); half as much again above 30
    audio_bitrate_kbps: int
    aspect: str
    caption_style: CaptionStyle
    loudness_lufs: float

    @property
    def frame(self) -> FrameSize:
        return FrameSize(self.width, self.height)


# Where the numbers come from (the platforms' help pages and announcements):
# - Durations. YouTube allows 15 min to unverified accounts (12 h once verified); 600 s is the
#   seeds' limit and stays the product's, which any account can upload. Shorts: square or
#   vertical videos up to 3 min since 15 October 2024 (YouTube Help, "Understand three-minute
#   YouTube Shorts"). TikTok: uploads up to 10 min since its 2022 roll-out (60 s was the old
#   in-app limit the seeds used; some accounts now get longer, every account gets 10). Reels:
#   up to 3 min since January 2025 (Adam Mosseri's announcement; 90 s before). Feed videos in
#   4:5 and 1:1 are shared as Reels, so they get the Reels limit too.
# - Bitrates. YouTube's "Recommended upload encoding settings" (support.google.com/youtube/answer/
#   1722171): 1080p SDR 8 Mbps at 24-30 fps, 12 Mbps at 48-60; AAC-LC stereo 384 kbps, 48 kHz;
#   H.264 High, 2 B-frames, closed GOP of half the frame rate, 4:2:0, moov atom first. The seeds'
#   5000k for YouTube is YouTube's 720p figure, so 1080p gets 8000k. The seeds' 2000k (TikTok) and
#   2500k (Instagram) are below what those platforms stream at 1080p themselves; as every platform
#   re-encodes the upload, a thin upload loses detail twice. TikTok and Instagram publish no upload
#   bitrate, so they get YouTube's figure for the same pixel rate: 8000k for 1080x1920, scaled by
#   pixel count for 1080x1350 (~6000k) and 1080x1080 (~5000k, YouTube's 720p-class figure). These
#   are peaks for a CRF encode (see encoding.CRF), which spends far less on calm pictures.
#   Audio: 384 kbps everywhere (nobody asks for less, and remuxed exports keep the master's 384k).
# - Frame rates: YouTube takes 24-60 fps, TikTok and Instagram recommend 30. The product renders
#   at the spec's rate (services.composition), and stills with slow Ken Burns motion gain nothing
#   from 60 fps but twice the render time, so every platform gets 30.
# - Loudness: -14 LUFS integrated, about where YouTube normalises playback; TikTok and Instagram
#   publish no figure, and -14 is the usual target for them too.
PLATFORM_SPECS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (
        PlatformSpec(
            "youtube", "YouTube", 1920, 1080, 30, 600, 8000, 384, "16:9", "lower_third", -14.0
        ),
        PlatformSpec(
            "youtube_shorts",
            "YouTube Shorts",
            1080,
            1920,
            30,
            180,
            8000,
            384,
            "9:16",
            "word_highlight",
            -14.0,
        ),
        PlatformSpec(
            "tiktok", "TikTok", 1080, 1920, 30, 600, 8000, 384, "9:16", "word_highlight", -14.0
        ),
        PlatformSpec(
            "instagram_reels",
            "Instagram Reels",
            1080,
            1920,
            30,
            180,
            8000,
            384,
            "9:16",
            "word_highlight",
            -14.0,
        ),
        PlatformSpec(
            "instagram_portrait",
            "Instagram (4:5)",
            1080,
            1350,
            30,
            180,
            6000,
            384,
            "4:5",
            "word_highlight",
            -14.0,
        ),
        PlatformSpec(
            "instagram_square",
            "Instagram (1:1)",
            1080,
            1080,
            30,
            180,
            5000,
            384,
            "1:1",
            "lower_third",
            -14.0,
        ),
    )
}
