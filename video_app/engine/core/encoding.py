"""The encoding rules every stage that writes video or sound follows: H.264 as YouTube recommends
for uploads, BT.709 colour, MP4 with the index first, AAC at 48 kHz. The render writes the master
with them and the export conforms each platform's file to them; media providers size pictures
by the render's overscan and refuse pictures too large to decode."""

from .types import FrameSize

# Stills are prepared this much larger than the frame so zooming and panning never upscale.
OVERSCAN = 1.2
CRF = 20
# Larger pictures are refused rather than scaled: decoding one costs seconds and gigabytes.
MAX_PICTURE_PIXELS = 50_000_000
COLOUR = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"

SAMPLE_RATE = 48_000
AUDIO_BITRATE = "384k"
TRUE_PEAK_DB = -1.5


def video_bitrate_kbps(frame: FrameSize, fps: int) -> int:
    """Peak bitrate from YouTube's recommended upload settings (SDR), by resolution class."""
    pixels = frame.width * frame.height
    if pixels >= 3840 * 2160 * 0.9:
        kbps = 40_000
    elif pixels >= 2560 * 1440 * 0.9:
        kbps = 16_000
    elif pixels >= 1920 * 1080 * 0.9:
        kbps = 8_000
    elif pixels >= 1280 * 720 * 0.9:
        kbps = 5_000
    else:
        kbps = 2_500
    return kbps * 3 // 2 if fps > 30 else kbps


def h264_args(
    frame: FrameSize, fps: int, preset: str, *, peak_kbps: int | None = None
) -> list[str]:
    """Encoder settings shared by every piece (they must match for the copy-join to be valid):
    H.264 High, 4:2:0, closed GOPs of half the frame rate, 2 B-frames, capped CRF, BT.709."""
    kbps = peak_kbps or video_bitrate_kbps(frame, fps)
    return [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        str(CRF),
        "-maxrate",
        f"{kbps}k",
        "-bufsize",
        f"{kbps * 2}k",
        "-g",
        str(max(1, fps // 2)),
        "-bf",
        "2",
        "-x264-params",
        "open-gop=0",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
    ]


# MP4 as YouTube asks for uploads: the index ('moov') first so playback starts at once, and no
# edit lists (B-frame delay is expressed with negative composition offsets instead).
MP4_LAYOUT = ("-movflags", "+faststart+negative_cts_offsets", "-use_editlist", "0")
