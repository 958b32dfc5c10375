"""smallcap: the questions behind a small-cap rally, from Excel cells, the command line
or Python.

``smallcap.<function>(...)`` takes the same arguments, in the same order and with the
same defaults, as the Excel function of the same name (see the README's function
reference), reads prices from the local store and returns floats, ints,
``datetime.date`` or pandas-native DataFrames (:mod:`smallcap.pyface`); the Excel names
in lower case work too (``smallcap.rut_streak`` is ``smallcap.streak_length``).
``smallcap.summary(table)`` is the summary of an episode table. ``smallcap.analytics``
holds the pure functions underneath. Heavy optional parts (yfinance, xlwings) load only
when used. ``dir(smallcap)`` lists the public names only.
"""

from importlib import import_module as _import_module
from pathlib import Path as _Path

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
    "summary": "smallcap.frames",
    "refresh": "smallcap.sources.refresh",
    "main": "smallcap.ribbon",
    "analytics": "smallcap.analytics",
    "catalogue": "smallcap.catalogue",
    "store": "smallcap.store",
}



def _is_submodule(name: str) -> bool:
    """True for a submodule being imported (``from . import params`` asks us first)."""
    here = _Path(__file__).parent
    return (here / f"{name}.py").is_file() or (here / name / "__init__.py").is_file()


def _catalogue_names() -> list[str]:
    from . import api  # noqa: F401  (its declarations fill the catalogue)
    from .catalogue import functions

    return [fn.name for fn in functions()]


def _excel_names() -> dict[str, str]:
    """The Excel names in lower case that are not also Python names, with the Python name
    (``rut_streak`` -> ``streak_length``, ``close_price`` -> ``price``)."""
    from . import api  # noqa: F401  (its declarations fill the catalogue)
    from .catalogue import functions

    return {excel.lower(): fn.name for fn in functions() for excel in fn.excel
            if excel.lower() != fn.name}


def __getattr__(name: str) -> object:
    if name == "__all__":  # computed on first use, so `import smallcap` stays light
        value = globals()["__all__"] = [*_ERRORS, *_catalogue_names(), *_LAZY]
        return value
    module_name = _LAZY.get(name)
    if module_name is None and not name.startswith("_") and not _is_submodule(name) and (
            name in _catalogue_names()):
        module_name = "smallcap.api"
    if module_name is None and name == name.lower() and not name.startswith("_") and (
            not _is_submodule(name)):
        python_name = _excel_names().get(name)
        if python_name is not None:  # smallcap.rut_streak: the Excel name, in lower case
            value = globals()[name] = __getattr__(python_name)
            return value
    if module_name is None:
        raise AttributeError(f"module 'smallcap' has no attribute {name!r}")
    module = _import_module(module_name)
    value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names: errors, functions (Python and lower-case Excel names), the rest."""
    return sorted({*_ERRORS, *_catalogue_names(), *_excel_names(), *_LAZY, "__version__",
                   "errors"})
