"""Turning whatever arrived (a phone's AMR, a WhatsApp M4A, a studio WAV) into a library file.

The broadcast-ready file is FLAC, 44.1 kHz, 16-bit stereo. Lossless on purpose: the playout
worker (libVLC) re-encodes for the Icecast stream anyway, so storing MP3 would put two lossy
generations on air; the loudness measured here is exactly the loudness played; and every
browser the panel supports plays FLAC in an `<audio>` element. Speech at 44.1 kHz compresses
to about 5 MB a minute: small next to the cost of a muddy testimony.

Nothing the sender chose reaches the disk: the file is stored under the SHA-256 of its
normalised content, with our suffix; its tags (which may carry a caller's name) are dropped.
On any failure the scratch folder is removed and nothing new is left in the store.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from audio import decode, loudness, probe, silence, waveform
from audio.errors import AudioError
from audio.storage import Area, MediaStore, StoredFile
from gateway.settings import MediaSettings

MEDIA_SUFFIX = ".flac"
MEDIA_TYPE = "audio/flac"
WAVEFORM_SUFFIX = ".svg"

__all__ = ["MEDIA_SUFFIX", "MEDIA_TYPE", "AudioError", "PreparedAudio", "prepare_recording"]


@dataclass(frozen=True)
class PreparedAudio:
    """A normalised recording in the store, not yet in the database."""

    media: StoredFile
    waveform: StoredFile
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    source_loudness_lufs: float
    source_codec: str
    trimmed_s: float

    @property
    def sha256(self) -> str:
        return self.media.sha256


def prepare_recording(source: Path, *, media: MediaSettings, store: MediaStore) -> PreparedAudio:
    """Check, decode, normalise and store `source`; raise AudioError for unusable input."""
    described = probe.probe(source, max_duration_s=media.max_duration_s)
    silence.refuse_if_silent(source, duration_s=described.duration_s)
    work = store.scratch()
    stored: list[StoredFile] = []
    try:
        decoded = work / "decoded.wav"
        length = decode.decode(
            source, decoded, probe=described, max_duration_s=media.max_duration_s
        )
        measured = loudness.measure(decoded, duration_s=length)
        loudness.require_sound(measured)
        bounds = (
            silence.speech_bounds(decoded, loudness=measured, duration_s=length)
            if media.trim_silence
            else None
        )
        normalised = work / f"normalised{MEDIA_SUFFIX}"
        result = loudness.normalise(
            decoded,
            normalised,
            measured=measured,
            target_lufs=media.loudness_target_lufs,
            ceiling_dbtp=media.true_peak_dbtp,
            duration_s=length,
            trim=bounds,
        )
        final_length = decode.wav_duration(normalised)
        picture = waveform.write_waveform(
            normalised, work / f"waveform{WAVEFORM_SUFFIX}", duration_s=final_length
        )
        stored.append(store.put(normalised, area=Area.LIBRARY, suffix=MEDIA_SUFFIX))
        stored.append(store.put(picture, area=Area.WAVEFORMS, suffix=WAVEFORM_SUFFIX))
        return PreparedAudio(
            media=stored[0],
            waveform=stored[1],
            duration_s=final_length,
            loudness_lufs=result.integrated_lufs,
            true_peak_dbtp=result.true_peak_dbtp,
            source_loudness_lufs=measured.integrated_lufs,
            source_codec=described.codec,
            trimmed_s=max(0.0, length - final_length),
        )
    except BaseException:
        for item in stored:
            if item.created:
                store.delete(item.relative)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
