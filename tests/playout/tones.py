"""Test sounds made with sox: steady tones (one pitch per item, so a listener can tell items
apart), a stepped item whose pitch tells the position, and a file no decoder accepts.

No pytest here: the benchmarks under bench/ make the same sounds."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _generate(path: Path, *effects: str) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", *effects],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


class Tones:
    """Steady tones in several containers, a stepped item to tell positions, a corrupt file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def tone(self, frequency: int, seconds: float = 2.0, suffix: str = "wav") -> Path:
        path = self.directory / f"tone-{frequency}-{seconds}.{suffix}"
        if not path.exists():
            _generate(path, str(seconds), "sine", str(frequency), "vol", "0.5")
        return path

    def steps(self, frequencies: tuple[int, ...], step_s: float) -> Path:
        """One file whose pitch changes every `step_s`, so a listener can tell the position."""
        name = "-".join(str(frequency) for frequency in frequencies)
        path = self.directory / f"steps-{name}-{step_s}.wav"
        if not path.exists():
            parts = [self.tone(frequency, step_s) for frequency in frequencies]
            subprocess.run(
                ["sox", *map(str, parts), str(path)], check=True, capture_output=True, timeout=30
            )
        return path

    def joined(self, paths: list[Path], name: str) -> Path:
        """Several files as one, end to end: the same sound with no item change in it."""
        path = self.directory / f"{name}.wav"
        if not path.exists():
            subprocess.run(
                ["sox", *map(str, paths), str(path)], check=True, capture_output=True, timeout=60
            )
        return path

    def corrupt(self) -> Path:
        path = self.directory / "corrupt.mp3"
        path.write_bytes(bytes((index * 7919) % 251 for index in range(20000)))
        return path
