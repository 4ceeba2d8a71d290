"""What a user checks first: which version is installed, the same wherever it is asked."""
from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import facade


def test_the_version_is_one_and_the_same_in_the_package_its_metadata_and_the_command():
    printed = subprocess.run([sys.executable, "-m", "facade", "--version"], capture_output=True, text=True, check=True)
    assert printed.stdout == f"facade {facade.__version__}\n"
    assert version("facade") == facade.__version__
