"""Waiting on a condition, not for a fixed time: a loaded CI machine may take longer, never shorter."""
from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 60.0, step: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def wait_for_text(path, text: str, timeout: float = 60.0) -> bool:
    """Wait until the file at ``path`` (a process's log) contains ``text``."""
    return wait_for(lambda: path.exists() and text in path.read_text(errors="replace"), timeout)
