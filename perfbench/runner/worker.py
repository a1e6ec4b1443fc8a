"""One side of an interleaved A/B run: a process that compiles its model once, keeps its
request pool ready, and measures a short block each time the parent asks.

The parent (:mod:`perfbench.runner.ab`) speaks JSON lines on stdin/stdout:

* ``{"config": {...}}`` → prepare, compile, warm up → ``{"ready": true, ...what resolved}``
* ``{"block": S, "warmup": W}`` → run W s unmeasured (caches and threads back in shape
  after the other side ran), then S s measured → ``{"completed", "duration_s", "images",
  "median_ms", "p99_ms", "t_start", "t_end"}``; the times are ``time.monotonic()``, one
  clock for every process on the machine, so the parent can check blocks never overlap.
* ``{"quit": true}`` → exit.

Errors go back as ``{"error": message, "usage": bool}``: a bad model or setting is the
user's input (exit 2 in the parent), anything else a failure (exit 1).  Run it with any
interpreter that has perfbench and OpenVINO installed (``--base-python``/``--new-python``):
that is how one side runs another OpenVINO release.
"""

from __future__ import annotations

import json
import sys
import time

from perfbench.errors import RunFailed, UsageError


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def _prepare(settings: dict):
    import openvino as ov

    from perfbench import __version__
    from perfbench.measure.loop import warm_up
    from perfbench.model.compile import check_device
    from perfbench.model.prepare import prepare_model
    from perfbench.runner.benchmark import Session
    from perfbench.settings.config import BenchmarkConfig
    config = BenchmarkConfig(**settings)
    core = ov.Core()
    check_device(core, config.device)
    prepared = prepare_model(config, core)
    session = Session(core, prepared, config)
    compilation, queue, pool = session.compilation, session.queue, session.pool_size
    warm_up(queue, config.warmup)
    ready = {"ready": True, "name": prepared.name, "batch": prepared.batch,
             "gflops_per_image": prepared.gflops_per_image,
             "inputs": [{"name": s.name, "element_type": s.element_type,
                         "shape": list(s.shape)} for s in prepared.inputs],
             "resolved": compilation.resolved, "pool_size": pool,
             "compile_ms": compilation.compile_ms, "openvino": ov.get_version(),
             "perfbench": __version__, "python": sys.version.split()[0]}
    return queue, ready


def _block(queue, seconds: float, warmup: float) -> dict:
    from perfbench.measure.loop import measure_async
    from perfbench.measure.windows import StopLimits
    if warmup > 0:
        measure_async(queue, StopLimits(time_s=warmup, iterations=None))
    t_start = time.monotonic()
    measured = measure_async(queue, StopLimits(time_s=seconds, iterations=None))
    t_end = time.monotonic()
    latency = measured.latency
    return {"completed": measured.completed, "duration_s": measured.duration_s,
            "median_ms": latency.median, "p99_ms": latency.p99,
            "t_start": t_start, "t_end": t_end}


def serve(lines=sys.stdin) -> int:
    queue = None
    for line in lines:
        message = json.loads(line)
        try:
            if "config" in message:
                queue, ready = _prepare(message["config"])
                _reply(ready)
            elif "block" in message:
                _reply(_block(queue, float(message["block"]), float(message["warmup"])))
            elif message.get("quit"):
                return 0
        except UsageError as exc:
            _reply({"error": str(exc), "usage": True})
            return 2
        except (RunFailed, RuntimeError) as exc:
            _reply({"error": str(exc).splitlines()[0][:300], "usage": False})
            return 1
    return 0


if __name__ == "__main__":
    import signal
    # The parent decides when to stop (a terminal's Ctrl-C reaches the whole group).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(serve())
