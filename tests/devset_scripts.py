"""devset/ holds scripts, not a package: this loads one as a module for its tests."""
import importlib.util
import sys
from pathlib import Path

import pytest

DEVSET = Path(__file__).resolve().parents[1] / "devset"


def load(name: str):
    """devset/<name>.py as the module devset_<name>; the scripts import each other by name."""
    if str(DEVSET) not in sys.path:
        sys.path.insert(0, str(DEVSET))
    spec = importlib.util.spec_from_file_location(f"devset_{name}", DEVSET / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def needs(name: str):
    """The mark that skips a test module when devset/<name>.py is not in this tree."""
    return pytest.mark.skipif(not (DEVSET / f"{name}.py").exists(), reason="no devset/ in this tree")
