"""The repository keeps the dialects at its top (mappings/, schemas/, config.yaml), where a reader sees them
first and an editable install reads them in place; a wheel carries copies inside the package, as
facade/shipped/, which facade/shipped.py prefers when it is there. Everything else is in setup.cfg."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP = Path(__file__).resolve().parent
SHIPPED = ("mappings", "schemas", "config.yaml")


class BuildWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads them where they are
            return
        target = Path(self.build_lib) / "facade" / "shipped"
        for name in SHIPPED:
            source = TOP / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target / name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
