"""smallcap: the questions behind a small-cap rally, from Excel cells, the command line
or Python.

``smallcap.<function>(...)`` takes the same arguments, in the same order and with the
same defaults, as the Excel function of the same name (see the README's function
reference), reads prices from the local store and returns floats, ints,
``datetime.date`` or pandas DataFrames. ``smallcap.analytics`` holds the pure
functions underneath. Heavy optional parts (yfinance, xlwings) load only when used.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from . import errors as _errors

# every exception of smallcap.errors, as smallcap.<Name> (the tree is declared once, there)
_ERRORS = [name for name, value in vars(_errors).items()
           if isinstance(value, type) and issubclass(value, _errors.SmallcapError)]
globals().update({name: getattr(_errors, name) for name in _ERRORS})

__version__ = "0.1.0"

_LAZY = {
    # the catalogue's functions (smallcap.streak_count, ...) are found in smallcap.api
    # through smallcap.catalogue; these are the other names
    "use_store": "smallcap.api",
    "current_store": "smallcap.api",
    "load_csv": "smallcap.api",
    "refresh": "smallcap.sources.refresh",
    "main": "smallcap.ribbon",
    "analytics": "smallcap.analytics",
    "catalogue": "smallcap.catalogue",
    "store": "smallcap.store",
}



def _is_submodule(name: str) -> bool:
    """True for a submodule being imported (``from . import params`` asks us first)."""
    here = Path(__file__).parent
    return (here / f"{name}.py").is_file() or (here / name / "__init__.py").is_file()


def _catalogue_names() -> list[str]:
    from . import api  # noqa: F401  (its declarations fill the catalogue)
    from .catalogue import functions

    return [fn.name for fn in functions()]


def __getattr__(name: str) -> Any:
    if name == "__all__":  # computed on first use, so `import smallcap` stays light
        value = globals()["__all__"] = [*_ERRORS, *_catalogue_names(), *_LAZY]
        return value
    module_name = _LAZY.get(name)
    if module_name is None and not name.startswith("_") and not _is_submodule(name) and (
            name in _catalogue_names()):
        module_name = "smallcap.api"
    if module_name is None:
        raise AttributeError(f"module 'smallcap' has no attribute {name!r}")
    module = import_module(module_name)
    value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_catalogue_names()))
