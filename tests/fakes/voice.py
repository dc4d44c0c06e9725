"""Real Spanish voice notes for tests: espeak-ng speaks, opusenc encodes OGG/Opus.

WhatsApp voice notes are OGG/Opus files; these are the same format, made from Debian's
`espeak-ng` and `opus-tools` (`scripts/ensure_media_tools.sh`, `make media-deps`). A missing
tool fails the test with the fix, it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = {"espeak-ng": "espeak-ng", "opusenc": "opus-tools"}


def spanish_voice_note(text: str, workdir: Path) -> bytes:
    """An OGG/Opus recording of `text` read by a Latin-American Spanish voice."""
    missing = [
        f"{tool} (Debian package {pkg})" for tool, pkg in TOOLS.items() if not shutil.which(tool)
    ]
    if missing:
        pytest.fail(f"voice-note tests need {', '.join(missing)}: run `make media-deps`")
    wav, ogg = workdir / "nota.wav", workdir / "nota.ogg"
    subprocess.run(["espeak-ng", "-v", "es-419", "-s", "150", "-w", str(wav), text], check=True)
    subprocess.run(["opusenc", "--quiet", "--bitrate", "24", str(wav), str(ogg)], check=True)
    return ogg.read_bytes()
