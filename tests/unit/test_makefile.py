"""The Makefile is the front door: `make help` lists every target with one line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9_-]*):", text, flags=re.M))


def test_help_lists_every_target_once_with_a_description() -> None:
    out = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    listed = re.findall(r"^\s+(?:\x1b\[36m)?([a-z][a-z0-9_-]*)(?:\x1b\[0m)?\s+(\S.*)$", out, re.M)
    names = [name for name, _ in listed]
    assert sorted(names) == sorted(_declared_targets())
    assert len(names) == len(set(names))
    assert all(desc.strip() for _, desc in listed)


def test_two_commands_come_first_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
