"""The runtime's own log lines, kept off the terminal unless ``-v`` asked for them.

OpenVINO's readers are C++ libraries that write straight to file descriptor 2: reading a
JSON file, the TensorFlow frontend printed two absl/protobuf lines ("WARNING: All log
messages before absl::InitializeLog() …", "Error parsing text-format
tensorflow.GraphDef") in front of perfbench's own one-line error.  Python cannot catch
those at ``sys.stderr``, so the descriptor itself is pointed at a temporary file for the
call, and what was caught is passed on only when the ``perfbench`` logger is verbose.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Iterator

_lock = threading.Lock()       # fd 2 is process-wide: one capture at a time
log = logging.getLogger("perfbench")


@contextlib.contextmanager
def runtime_output_captured(what: str) -> Iterator[None]:
    """Run the block with fd 2 going to a temporary file; under ``-v`` its text follows,
    labelled with ``what``.  Where fd 2 cannot be redirected (no such descriptor), the
    block runs as it is."""
    with _lock, tempfile.TemporaryFile() as caught:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield
            return
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode("utf-8", "replace").strip()
            if text and log.isEnabledFor(logging.INFO):
                log.info("%s said:\n%s", what, text)
