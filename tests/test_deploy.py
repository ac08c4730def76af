"""The systemd unit in deploy/ is valid (systemd-analyze verify) and runs commands that exist."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_data import PROJECT_ROOT

UNIT = PROJECT_ROOT / "deploy" / "newswatch.service"


def test_the_systemd_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: cannot verify the unit")
    newswatch = Path(sys.executable).with_name("newswatch")
    text = UNIT.read_text().replace("/srv/newswatch/.venv/bin/newswatch", str(newswatch))
    text = text.replace("/srv/newswatch", str(tmp_path))
    unit = tmp_path / "newswatch.service"
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "newswatch.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_the_unit_starts_the_daemon_after_checking_the_configuration():
    lines = UNIT.read_text().splitlines()
    assert "ExecStartPre=/srv/newswatch/.venv/bin/newswatch config check" in lines
    assert "ExecStart=/srv/newswatch/.venv/bin/newswatch run" in lines
    assert "KillSignal=SIGTERM" in lines  # the daemon's clean stop
