"""Where perfbench keeps its caches (measured peaks, INT8 models): one root for all.

``$PERFBENCH_CACHE_DIR`` wins (the test suite and CI point it at a scratch directory);
otherwise the XDG base-directory rule, ``$XDG_CACHE_HOME/perfbench``, falling back to
``~/.cache/perfbench``.  One function, so no cache can honour a variable another ignores.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    own = os.environ.get("PERFBENCH_CACHE_DIR")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "perfbench"
