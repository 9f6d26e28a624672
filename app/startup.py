"""Stand-ins for modules Whoosh imports but a search does not use, to start faster.

Whoosh's reader imports the `cached_property` package for one decorator, and that
package imports asyncio; Whoosh's query module imports `whoosh.lang.morph_en`, which
compiles hundreds of regular expressions, for a query type dwsearch never builds; the
English stemmer comes from a package that imports the stemmers of fourteen languages;
Whoosh's compatibility module imports `urllib.request` (and with it the HTTP client,
SSL and e-mail parsing) for a download function nothing calls. Together they were about
a third of a bundled-corpus search's start-up. Each stand-in serves what Whoosh takes
from it, and loads the real module the moment anything asks it for more.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any


class _StandIn(ModuleType):
    """A module that turns into the real one on first use of anything it lacks."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system asking, e.g., for `__path__`
            raise AttributeError(name)
        return getattr(_load_real(self.__name__), name)


def _find(name: str) -> importlib.machinery.ModuleSpec | None:
    parent, _, _ = name.rpartition(".")
    path = importlib.import_module(parent).__path__ if parent else None
    return importlib.machinery.PathFinder.find_spec(name, path)


def _load_real(name: str) -> ModuleType:
    """The real module, loaded the first time and then taken from `sys.modules`."""
    loaded = sys.modules.get(name)
    if loaded is not None and not isinstance(loaded, _StandIn):
        return loaded
    spec = _find(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    real = importlib.util.module_from_spec(spec)
    sys.modules[name] = real
    spec.loader.exec_module(real)
    parent, _, last = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), last, real)
    return real


def _variations(word: str) -> Any:
    return _load_real("whoosh.lang.morph_en").variations(word)


class _Stemmers:
    """Whoosh's table of Snowball stemmers, importing English's alone until asked more."""

    def _real(self) -> Any:
        return _load_real("whoosh.lang.snowball").classes

    def __contains__(self, code: object) -> bool:
        return code == "en" or code in self._real()

    def __getitem__(self, code: str) -> Any:
        if code == "en":
            from whoosh.lang.snowball.english import EnglishStemmer

            return EnglishStemmer
        return self._real()[code]


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    return _load_real("urllib.request").urlretrieve(*args, **kwargs)


STAND_INS: dict[str, dict[str, Callable[..., Any] | _Stemmers]] = {
    "cached_property": {"cached_property": functools.cached_property},
    "urllib.request": {"urlretrieve": _urlretrieve},
    "whoosh.lang.morph_en": {"variations": _variations},
    "whoosh.lang.snowball": {"classes": _Stemmers()},
}
PACKAGES = {"whoosh.lang.snowball"}  # their own modules must still import


def install() -> None:
    """Put the stand-ins in place, where the real modules are not loaded already."""
    for name, attributes in STAND_INS.items():
        if name in sys.modules:
            continue
        module = _StandIn(name)
        module.__dict__.update(attributes)
        parent, _, last = name.rpartition(".")
        if name in PACKAGES:
            places = importlib.import_module(parent).__path__
            module.__path__ = [os.path.join(place, last) for place in places]
        sys.modules[name] = module
        if parent:  # `import a.b` then `a.b.f()` finds the stand-in, as the real one
            setattr(importlib.import_module(parent), last, module)
