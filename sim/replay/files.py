"""Atomic result files: written to a temporary name in the target folder, then renamed."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path`` (never a half-written file)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path: str | Path, data) -> None:
    """JSON (UTF-8, tag names kept in their script), atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=float), encoding="utf-8"))
