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


def test_a_checkout_reads_the_dialects_in_place_at_the_top_of_the_repository():
    """The project card's layout: mappings/, schemas/ and config.yaml beside facade/, not inside it; only a
    built wheel carries copies (facade/shipped/, made by setup.py)."""
    from pathlib import Path

    from facade import shipped
    top = Path(__file__).resolve().parents[1]
    assert (shipped.MAPPINGS, shipped.SCHEMAS, shipped.CONFIG) == (top / "mappings", top / "schemas", top / "config.yaml")
    assert (shipped.MAPPINGS / "cases").is_dir() and (shipped.SCHEMAS / "mapping.schema.json").is_file()
