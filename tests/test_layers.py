"""The layers go one way (pyproject.toml's [tool.importlinter] contracts): crawler/ may import
pipelines/, pipelines/ never imports crawler/, nor Scrapy or Twisted."""
import subprocess
import sys
from pathlib import Path

from tests.shared_data import PROJECT_ROOT


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
