"""Real audio for the library tests, made by espeak-ng, sox and ffmpeg (and measured apart).

AMR-WB has no encoder in Debian's ffmpeg or sox, so it is made with the VisualOn encoder
library (Debian package libvo-amrwbenc0) called through ctypes: the same codec a phone uses.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm

SPEECH = "Radio Altavoz. Las defensoras hablan desde sus comunidades."
AMR_WB_FRAME = 320
AMR_WB_MODE_23K = 8


def run(*argv: str | Path) -> None:
    result = subprocess.run([str(a) for a in argv], capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def ffmpeg(*args: str | Path) -> None:
    run("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args)


def speech(path: Path) -> Path:
    """About three seconds of Spanish speech, 22.05 kHz mono."""
    run("espeak-ng", "-v", "es", "-s", "170", "-w", path, SPEECH)
    return path


def encode_amr_wb(source: Path, target: Path) -> Path:
    name = ctypes.util.find_library("vo-amrwbenc") or "libvo-amrwbenc.so.0"
    try:
        encoder = ctypes.CDLL(name)
    except OSError as exc:
        raise AssertionError("install libvo-amrwbenc0 to make AMR-WB test audio") from exc
    encoder.E_IF_init.restype = ctypes.c_void_p
    encoder.E_IF_encode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_short),
        ctypes.POINTER(ctypes.c_ubyte),
        ctypes.c_int,
    ]
    encoder.E_IF_exit.argtypes = [ctypes.c_void_p]
    pcm = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(source),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(pcm, dtype="<i2")
    state = encoder.E_IF_init()
    out = bytearray(b"#!AMR-WB\n")
    frame_out = (ctypes.c_ubyte * 64)()
    try:
        for start in range(0, len(samples) - AMR_WB_FRAME + 1, AMR_WB_FRAME):
            frame = np.ascontiguousarray(samples[start : start + AMR_WB_FRAME])
            size = encoder.E_IF_encode(
                state,
                AMR_WB_MODE_23K,
                frame.ctypes.data_as(ctypes.POINTER(ctypes.c_short)),
                frame_out,
                0,
            )
            out += bytes(frame_out[:size])
    finally:
        encoder.E_IF_exit(state)
    target.write_bytes(bytes(out))
    return target


def make_formats(folder: Path) -> dict[str, Path]:
    """The same speech in every format the library must take, as phones and apps send it."""
    wav = speech(folder / "speech.wav")
    formats = {"wav": wav}
    formats["mp3"] = folder / "speech.mp3"
    ffmpeg("-i", wav, "-c:a", "libmp3lame", "-b:a", "96k", formats["mp3"])
    formats["opus"] = folder / "speech.ogg"
    ffmpeg("-i", wav, "-c:a", "libopus", "-b:a", "24k", formats["opus"])
    formats["m4a"] = folder / "speech.m4a"
    ffmpeg("-i", wav, "-c:a", "aac", "-b:a", "64k", formats["m4a"])
    formats["flac"] = folder / "speech.flac"
    ffmpeg("-i", wav, "-c:a", "flac", formats["flac"])
    formats["amr-nb"] = folder / "speech.amr"
    run("sox", wav, "-r", "8000", "-c", "1", "-t", "amr-nb", "-C", "7", formats["amr-nb"])
    formats["amr-wb"] = encode_amr_wb(wav, folder / "speech.awb")
    return formats


def quiet_with_silence(source: Path, target: Path) -> Path:
    """Speech peaking at -35 dBFS, with a second of silence before and after it."""
    run("sox", source, target, "gain", "-n", "-35", "pad", "1.0", "1.0")
    return target


def loud(source: Path, target: Path) -> Path:
    """Speech pushed 16 dB up into a limiter: about -11 LUFS, peaks at -0.3 dBFS."""
    ffmpeg("-i", source, "-af", "volume=16dB,alimiter=limit=0.97:level=0", target)
    return target


def two_hours(target: Path) -> Path:
    """Two hours of 8 kHz silence as FLAC: 1.3 MB, made in about two seconds."""
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "flac", target)
    return target


def truncated_mp3(source: Path, target: Path) -> Path:
    """The first 40 % of an MP3 whose header announces its full length, cut mid-frame."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * 0.4) + 77])
    return target


def decoded(path: Path) -> tuple[np.ndarray, int]:
    """Samples (float, frames x channels) and rate, decoded by ffmpeg independently of the app."""
    info = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=sample_rate,channels", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.strip().split(",")  # fmt: skip
    rate, channels = int(info[0]), int(info[1])
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<f4").reshape(-1, channels), rate


def integrated_loudness(path: Path) -> float:
    """BS.1770 loudness measured with pyloudnorm, not with the code under test."""
    samples, rate = decoded(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64)))
