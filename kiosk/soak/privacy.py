"""The soak's privacy checks, on what the run left behind.

- Every image in the capture is decoded and searched with both BlazeFace models at their own
  threshold: no face may be found. The best score below it is reported as well.
- Every audio byte in the capture must sit between an activityStart and an activityEnd, and each
  turn's audio must be exactly the audio of an utterance the kiosk escalated.
- The API key (a canary made for the run) may appear in the capture only in each connection's
  handshake header, and nowhere else: not in the log, the turn log (database and WAL), the
  crash reports, the report itself or any config dump.
- The turn log holds no raw phone number from the question that says one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.vision.faces import Face
from kiosk.soak.capture import CapturedConnection, decode_capture

PROBE_THRESHOLD = 0.2
"""Below the detectors' own threshold, candidates are only noted: their best score is reported
(a flattened face can still read as a face-shaped patch at a low score)."""


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Face]: ...


@dataclass
class CaptureFindings:
    connections: int = 0
    messages: int = 0
    frames: int = 0
    undecodable_frames: int = 0
    faces_sent: int = 0
    """Faces the detectors find at their own threshold, as the kiosk's redaction runs them."""
    best_candidate: float = 0.0
    audio_turns: int = 0
    audio_outside_escalation: int = 0
    """Audio blobs outside an activity window, plus turns whose audio no escalation sent."""
    key_in_headers: int = 0
    key_elsewhere_in_capture: int = 0
    problems: list[str] = field(default_factory=list)


def pcm_digest(pcm: bytes) -> str:
    return hashlib.sha256(pcm).hexdigest()


def check_capture(
    files: Iterable[Path],
    detectors: Sequence[FaceDetector],
    escalated: set[str],
    api_key: str,
) -> CaptureFindings:
    findings = CaptureFindings()
    for path in files:
        connection = decode_capture(path)
        findings.connections += 1
        findings.messages += connection.messages
        findings.problems += [f"{path.name}: {p}" for p in connection.undecodable]
        _check_images(connection, detectors, findings)
        _check_audio(connection, escalated, findings)
        _check_key(connection, api_key, findings)
    return findings


def _check_images(
    connection: CapturedConnection, detectors: Sequence[FaceDetector], findings: CaptureFindings
) -> None:
    for jpeg in connection.images:
        findings.frames += 1
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            findings.undecodable_frames += 1
            continue
        candidates = [f for d in detectors for f in d.detect(image, PROBE_THRESHOLD)]
        if candidates:
            best = max(f.score for f in candidates)
            findings.best_candidate = max(findings.best_candidate, round(best, 3))
        faces = [f for d in detectors for f in d.detect(image)]
        if faces:
            findings.faces_sent += len(faces)
            best = max(f.score for f in faces)
            findings.problems.append(
                f"{connection.path.name}: frame {findings.frames} shows {len(faces)} face(s), "
                f"best score {best:.2f}"
            )


def _check_audio(
    connection: CapturedConnection, escalated: set[str], findings: CaptureFindings
) -> None:
    if connection.loose_audio:
        findings.audio_outside_escalation += connection.loose_audio
        findings.problems.append(
            f"{connection.path.name}: {connection.loose_audio} audio blob(s) outside a turn"
        )
    for turn in connection.audio_turns:
        if not turn.pcm:
            continue
        findings.audio_turns += 1
        if pcm_digest(turn.pcm) not in escalated:
            findings.audio_outside_escalation += 1
            findings.problems.append(
                f"{connection.path.name}: {len(turn.pcm)} bytes of audio that no escalated "
                "turn sent"
            )


def _check_key(connection: CapturedConnection, api_key: str, findings: CaptureFindings) -> None:
    if not api_key:
        return
    in_header = connection.headers.get("x-goog-api-key") == api_key
    findings.key_in_headers += int(in_header)
    total = connection.raw.count(api_key.encode())
    if total - int(in_header):
        findings.key_elsewhere_in_capture += total - int(in_header)
        findings.problems.append(f"{connection.path.name}: the API key outside its header")


def files_holding(secret: str, paths: Iterable[Path]) -> list[str]:
    """Names of the files (any under a folder) whose bytes contain `secret`."""
    needle = secret.encode()
    found = []
    for root in paths:
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            try:
                if needle in path.read_bytes():
                    found.append(str(path))
            except OSError:
                continue
    return found


def raw_digits_in(texts: Iterable[str], digits: str) -> int:
    """How many texts still hold `digits` in any spelling (spaces, dashes, dots, brackets)."""
    return sum(1 for text in texts if digits in re.sub(r"[\s().-]", "", text))
