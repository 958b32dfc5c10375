"""One build step, and nothing else (the project is declared in pyproject.toml): a wheel
carries copies of the Excel add-in's files.

The top-level ``addin/`` folder is the committed source of truth for the add-in
(``smallcap.xlam``, ``smallcap_udfs.bas``, ``customUI.xml``; tests compare it with what
``smallcap addin build`` generates). An installed smallcap has no checkout around it, so
``build_py`` copies those files into the built package as ``smallcap/resources/addin/``,
where :func:`smallcap.addin.addin_dir` finds them. Nothing is copied into the source
tree; an editable install (``pip install -e .``) reads ``addin/`` itself. MANIFEST.in
puts ``addin/`` into the source distribution, so a wheel built from it has them too.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ADDIN = Path(__file__).resolve().parent / "addin"
ADDIN_FILES = ("smallcap.xlam", "smallcap_udfs.bas", "customUI.xml")
TARGET = ("smallcap", "resources", "addin")


class BuildPyWithAddin(build_py):
    """``build_py``, then the add-in's files into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, *TARGET)
        self.mkpath(str(target))
        for name in ADDIN_FILES:
            source = ADDIN / name
            if not source.is_file():
                raise FileNotFoundError(f"{source} is missing: the wheel must carry the add-in")
            self.copy_file(str(source), str(target / name))


setup(cmdclass={"build_py": BuildPyWithAddin})
