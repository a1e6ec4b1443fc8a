"""One side of an interleaved A/B run: a process that compiles its model once, keeps its
request pool ready, and measures a short block each time the parent asks.

Started as ``python -m perfbench.runner.worker --reply-fd N`` by
:class:`perfbench.runner.side.Side`.  The parent sends JSON lines on stdin; the worker
answers one JSON line per message on descriptor N, a pipe of its own, and nowhere else.
At start it points fd 1 and ``sys.stdout`` at stderr, so what libraries print (NNCF while
quantizing, OpenVINO's C++ code) goes to stderr, which the parent drains all along and keeps
the last lines of as the worker's last words.  That is why whatever loads OpenVINO is imported
inside the functions here, never at the top.  Protocol version :data:`PROTOCOL` (bump it
when a message changes; :func:`perfbench.runner.side.check_interpreter` refuses a worker
that speaks another):

* ``{"config": {...}}`` → prepare, compile, warm up → ``{"ready": true, "protocol", ...what
  resolved}``
* ``{"block": S, "warmup": W, "record": bool}`` → run W s unmeasured (caches and threads back
  in shape after the other side ran), then S s measured → ``{"completed", "duration_s", "batch",
  "fps", "median_ms", "p99_ms", "t_start", "t_end", "latency_hist"}``.  ``fps`` is images
  per second (:func:`perfbench.results.metrics.images_per_second`: completed × batch /
  duration), the one definition of a block's throughput; ``latency_hist`` is the block's
  latencies as a :class:`perfbench.stats.histogram.LogHistogram` dictionary, for tails
  pooled over blocks.  The times are ``time.monotonic()``, one clock for every process on
  the machine, so the parent can check blocks never overlap.  ``record`` false (a probe of
  the model's speed): not kept for the result below.  In the server scenario the reply also
  has ``"server"``: :func:`server_figures` (arrivals scheduled, sent and never sent,
  requests over ``--sla-ms``, the generator's issue delay and validity; latencies there run
  from the scheduled arrival).
* ``{"result": true, "interrupted": bool}`` → every block so far as one full
  ``perfbench.result`` (an interleaved sweep's point): ``{"result": {...}}``.
* ``{"profile": S, "min_inferences": N, "graph": bool}`` → a profiling block (an A/B's
  ``--attribute`` pass, never part of its verdict): the model compiled a second time with
  ``PERF_COUNT`` on (once, on the first such message, warmed up), its pool run for S s and
  at least N inferences, each node's counter time summed (after its wall is timed) →
  ``{"inferences", "wall_s", "streams", "pool_size", "time_ms", "nodes_ms"}``, with
  ``"graph"`` (the runtime graph's nodes, :mod:`perfbench.stats.matching`) when asked.
  ``time_ms`` is wall time × busy streams / inferences: what one stream spends per
  inference, the counters' own scale; ``nodes_ms`` each executed node's counter time per
  inference.
* ``{"outputs": N}`` → the side's outputs on its fidelity inputs (an A/B's ``--fidelity``
  pass, never part of its verdict; :mod:`perfbench.runner.side_outputs`): N synthetic
  samples (null: the default 8) or every ``--input`` sample, cut to a bounded size, inferred
  one at a time by the model as measured and by its f32 reference → ``{"configured",
  "samples", "inputs", "seed", "label", "inputs_digest", "outputs": {"f32": {name: encoded},
  "configured": {name: encoded} or null}}`` (null when the measured model is f32 with
  nothing quantized: its own reference).
* ``{"quit": true}`` → exit.

Started with ``--controls JSON`` (``perfbench ab --control``, :mod:`perfbench.runner.controls`)
the worker applies the process-wide ones before anything else, its ready reply adds
``"controls"`` (what the process sees of each: THP flag, affinity, environment, …) and each
block reply ``"controls"`` (eviction, prefault, the warm-up's measured length).  Without
it every message is as above, so a parent without controls talks to any worker of this
protocol, and a parent with them checks the ready reply for each.

A worker whose parent is gone (killed, or exited at once on a second Ctrl-C) exits at once,
whatever it was doing: :func:`exit_when_orphaned`.

Errors go back as ``{"error": message, "usage": bool}``: a bad model or setting is the
user's input (exit 2 in the parent), anything else a failure (exit 1).  Run it with any
interpreter that has perfbench and OpenVINO installed (``--base-python``/``--new-python``):
that is how one side runs another OpenVINO release.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import sys
import threading
import time

from perfbench import __version__
from perfbench.errors import RunFailed, UsageError


#: The message format below; bump it whenever a message changes, so that a parent never
#: talks to a worker (another interpreter's perfbench) that reads or answers differently.
PROTOCOL = 4


def _reply(channel, message: dict) -> None:
    channel.write(json.dumps(message, allow_nan=False) + "\n")
    channel.flush()


def reply_channel(fd: int):
    """The reply pipe, opened once; from here on fd 1 and ``sys.stdout`` are stderr, so a
    library's print (Python or C) can neither corrupt a reply nor be mistaken for one.
    The descriptor is not inherited by anything the worker starts."""
    os.set_inheritable(fd, False)
    channel = os.fdopen(fd, "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def latency_histogram(recorder):
    """A block's latencies as a compact histogram (the recorder's one definition)."""
    return recorder.compact_histogram()


def scheduled_arrivals(rate: float, seed: int, seconds: float) -> int:
    """How many arrivals the open loop schedules in a block of ``seconds``: by its own rule,
    every arrival of its seeded schedule before the time limit."""
    # inside: OpenVINO loads after reply_channel made fd 1 stderr
    from perfbench.measure.server import arrivals
    count = 0
    for offset in arrivals(rate, seed):
        if offset >= seconds:
            return count
        count += 1
    raise AssertionError("unreachable: arrivals never end")


def server_figures(config, measured, seconds: float) -> dict:
    """What the open loop knows about a block's schedule: arrivals due, sent (the loop
    drains, so every one sent completed), never sent (the device could not take them before
    the time limit), over ``--sla-ms``, and the generator's own lateness with whether the
    block is valid for its rate.  Latencies of the server scenario run from the scheduled
    arrival (queueing included), so the block's percentiles and histogram are those."""
    # inside: OpenVINO loads after reply_channel made fd 1 stderr
    from perfbench.runner.benchmark import generator_validity
    scheduled = scheduled_arrivals(config.rate, config.seed, seconds)
    sent = measured.completed
    over = measured.recorder.count_above(config.sla_ms) if config.sla_ms and sent else None
    figures = {"target_rate": config.rate, "scheduled": scheduled, "sent": sent,
               "missed": scheduled - sent, "latency_from": "scheduled arrival",
               "sla_ms": config.sla_ms, "over_sla": over}
    delays = measured.issue_delays
    if delays is not None and delays.count:
        figures.update(generator_validity(delays.summary(),
                                          config.sla_ms or measured.latency.median))
    return figures


class _Worker:
    """A compiled model, its request pool, and every block measured so far."""

    def __init__(self, settings: dict, controls: dict | None = None):
        # inside: OpenVINO loads after reply_channel made fd 1 stderr (module docstring)
        import openvino as ov
        from perfbench.measure.loop import warm_up
        from perfbench.model.compile import check_device
        from perfbench.runner.benchmark import Session, prepare
        from perfbench.settings.config import BenchmarkConfig
        from perfbench.system.monitor import SystemMonitor
        self.config = BenchmarkConfig(**settings)
        self.core = ov.Core()
        check_device(self.core, self.config.device)
        self.prepared = prepare(self.config, self.core)
        self.session = Session(self.core, self.prepared, self.config)
        self.first_ms, self.warmups = warm_up(self.session.queue, self.config.warmup)
        self.monitor = SystemMonitor()
        self.blocks: list = []          # (monotonic start, Measurement) of each block
        from perfbench.runner.controls import BlockControls
        self.controls = controls or {}
        self.block_controls = BlockControls(self.controls)

    def ready(self) -> dict:
        import openvino as ov       # inside: OpenVINO loads after reply_channel made fd 1 stderr

        prepared, compilation = self.prepared, self.session.compilation
        return {"ready": True, "name": prepared.name, "batch": prepared.batch,
                "gflops_per_image": prepared.gflops_per_image,
                "inputs": [{"name": s.name, "element_type": s.element_type,
                            "shape": list(s.shape)} for s in prepared.inputs],
                "resolved": compilation.resolved, "pool_size": self.session.pool_size,
                "compile_ms": compilation.compile_ms, "openvino": ov.get_version(),
                "perfbench": __version__, "python": sys.version.split()[0],
                "protocol": PROTOCOL, **self._observed_controls()}

    def _observed_controls(self) -> dict:
        """``--control``: what this process sees of each (none asked: no key at all)."""
        if not self.controls:
            return {}
        # inside: the worker module loads nothing before its controls are applied
        from perfbench.runner.controls import observed
        return {"controls": observed(self.controls)}

    def block(self, seconds: float, warmup: float, record: bool = True) -> dict:
        # inside: OpenVINO and numpy load after reply_channel made fd 1 stderr and after
        # the controls are applied (numpy's OpenBLAS starts threads that pin would miss)
        from perfbench.measure.windows import StopLimits
        from perfbench.runner.benchmark import measure_once
        done = (self.block_controls.before_block(self.session.queue)
                if self.block_controls else None)
        warmed_s = 0.0
        if warmup > 0:
            warm = measure_once(self.session, self.config,
                                StopLimits(time_s=warmup, iterations=None))
            self.warmups += warm.completed
            warmed_s = warm.duration_s
        self.monitor.begin()
        t_start = time.monotonic()
        measured = measure_once(self.session, self.config,
                                StopLimits(time_s=seconds, iterations=None))
        t_end = time.monotonic()
        self.monitor.end()
        if record:
            self.blocks.append((t_start, measured))
        reply = self._block_reply(measured, seconds, t_start, t_end)
        if self.controls:               # --control: what ran before this block, untimed
            reply["controls"] = {**(done or {}), "warmup_s": warmed_s}
        return reply

    def _block_reply(self, measured, seconds: float, t_start: float, t_end: float) -> dict:
        """The block message of the protocol (module docstring)."""
        # inside: numpy loads after the controls are applied (see block)
        from perfbench.results.metrics import images_per_second
        batch = self.prepared.batch
        # A block can complete nothing (a server block whose first arrival came after its
        # time limit on a starved machine): no latency figures then, and the parent leaves
        # its round out of the ratios.
        latency = measured.latency if measured.completed else None
        reply = {"completed": measured.completed, "duration_s": measured.duration_s,
                 "batch": batch,
                 "fps": images_per_second(measured.completed, batch, measured.duration_s),
                 "median_ms": latency and latency.median, "p99_ms": latency and latency.p99,
                 "t_start": t_start, "t_end": t_end,
                 "latency_hist": latency_histogram(measured.recorder).to_dict()}
        if self.config.scenario == "server":
            reply["server"] = server_figures(self.config, measured, seconds)
        return reply

    def outputs(self, samples: int | None) -> dict:
        """The ``outputs`` message: after every timed block, on one request at a time.  An
        int8 side's model before quantization is built again here, not kept through the
        timed blocks (:func:`perfbench.runner.benchmark.as_configured` quantizes int8 only:
        any other side's prepared model is its original)."""
        # inside: OpenVINO loads after reply_channel made fd 1 stderr
        from perfbench.model.prepare import prepare_model
        from perfbench.runner.side_outputs import side_outputs
        original = prepare_model(self.config, self.core) if self.config.precision == "int8" \
            else self.prepared
        return side_outputs(self.core, self.config, original, self.session, samples)

    def result(self, interrupted: bool) -> dict:
        """Every block so far as one benchmark result: each block is one window (placed at
        its time since the first block), latencies pooled, CPU use over the blocks only."""
        # inside: OpenVINO loads after reply_channel made fd 1 stderr
        from perfbench.runner.benchmark import merge_blocks, result_of_blocks
        if not self.blocks:
            raise RunFailed("no block was measured")
        measured = merge_blocks(self.blocks, "interrupted" if interrupted else "time")
        result = result_of_blocks(self.core, self.config, self.prepared, self.session,
                                  measured, self.first_ms, self.warmups,
                                  self.monitor.summarize(), interrupted)
        return {"result": result.to_dict()}


class _Profiler:
    """The side's model compiled with counters on, and its own request pool."""

    def __init__(self, worker: "_Worker"):
        # inside: OpenVINO loads after reply_channel made fd 1 stderr
        from perfbench.measure.loop import make_pool, run_each
        from perfbench.model.compile import compile_model
        self.compilation = compile_model(worker.core, worker.prepared.model, worker.config,
                                         extra={"PERF_COUNT": True})
        self.pool_size = worker.session.pool_size
        self.queue = make_pool(self.compilation.model, self.pool_size, worker.session.tensors)
        streams = self.compilation.resolved.get("streams")
        self.streams = max(1, min(int(streams) if isinstance(streams, int) else 1,
                                  self.pool_size))
        run_each(self.queue, lambda n: n < 2 * self.pool_size, lambda request: None)

    def block(self, seconds: float, min_inferences: int, graph: bool) -> dict:
        """Run the pool for ``seconds`` and ``min_inferences``; the wall it times holds the
        inferences and one read of each one's counters (a request's counters are those of
        its last inference, so they are read before it runs again), not their per-node
        sums: those are added up after the clock stopped.  Summed inside the wall, they
        cost about 1 % of it on the built-in model (more on tiny ones), all of it landing
        in the attribution's "outside the counters"."""
        # inside: OpenVINO loads after reply_channel made fd 1 stderr
        from perfbench.measure.loop import run_each
        profiles: list = []
        keep = profiles.append
        clock = profile_clock
        began = clock()
        deadline = began + seconds
        done = run_each(self.queue, lambda n: n < min_inferences or clock() < deadline,
                        lambda request: keep(read_profile(request)))
        wall = clock() - began
        totals = node_times(profiles)
        reply = {"inferences": done, "wall_s": wall, "streams": self.streams,
                 "pool_size": self.pool_size, "time_ms": 1e3 * wall * self.streams / done,
                 "nodes_ms": {name: ms / done for name, ms in totals.items()}}
        if graph:
            # inside: OpenVINO loads after reply_channel made fd 1 stderr
            from perfbench.model.runtime_nodes import nodes_of_runtime_model
            reply["graph"] = [n.to_dict() for n in
                              nodes_of_runtime_model(self.compilation.model.get_runtime_model())]
        return reply


#: The profiling block's clock (tests inject one: the wall is then known by construction).
profile_clock = time.perf_counter


def read_profile(request) -> list:
    """A completed request's counters (OpenVINO's ``ProfilingInfo`` per node)."""
    return request.profiling_info


def node_times(profiles: list) -> dict[str, float]:
    """Each executed node's counter time in ms, summed over the inferences' profiles."""
    totals: dict[str, float] = {}
    for profile in profiles:
        for info in profile:
            if info.status == info.Status.EXECUTED:
                totals[info.node_name] = (totals.get(info.node_name, 0.0)
                                          + info.real_time.total_seconds() * 1e3)
    return totals


def serve(channel, lines=sys.stdin, controls: dict | None = None) -> int:
    """Answer each message on ``channel`` until told to quit or the parent goes away;
    ``controls``: the ``--controls`` the worker was started with (already applied to the
    process by :func:`main`)."""
    worker = None
    profiler = None
    for line in lines:
        message = json.loads(line)
        try:
            if "config" in message:
                worker = _Worker(message["config"], controls)
                _reply(channel, worker.ready())
            elif "block" in message:
                _reply(channel, worker.block(float(message["block"]), float(message["warmup"]),
                                             bool(message.get("record", True))))
            elif "result" in message:
                _reply(channel, worker.result(bool(message.get("interrupted"))))
            elif "profile" in message:
                profiler = profiler or _Profiler(worker)
                _reply(channel, profiler.block(float(message["profile"]),
                                               int(message.get("min_inferences", 10)),
                                               bool(message.get("graph"))))
            elif "outputs" in message:
                samples = message["outputs"]
                _reply(channel, worker.outputs(None if samples is None else int(samples)))
            elif message.get("quit"):
                return 0
        except UsageError as exc:
            _reply(channel, {"error": str(exc), "usage": True})
            return 2
        except Exception as exc:            # anything else: one line to the parent, exit 1
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            _reply(channel, {"error": first[:300], "usage": False})
            return 1
    return 0


#: How often an orphan-watch that saw stdin end checks whether the parent is gone, and the
#: status a worker exits with when it is.
ORPHAN_POLL_S = 0.05
EXIT_ORPHANED = 1


def exit_when_orphaned(fd: int, parent: int) -> None:
    """Leave at once when the parent is gone, even in the middle of a block or a compile,
    which would otherwise run to their end (an hour for a long ``--block-ms``) on cores
    the next measurement needs.  The parent is stdin's only writer, so its end wakes this
    thread; a parent that merely closed stdin is still there and still gets its replies."""
    poller = select.poll()
    poller.register(fd, 0)          # no events asked: only a hang-up (or an error) wakes it
    poller.poll()
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_S)
    os._exit(EXIT_ORPHANED)


def main(argv: list[str] | None = None) -> int:
    """``python -m perfbench.runner.worker --reply-fd N``: set up the channel, then serve."""
    parser = argparse.ArgumentParser(prog="python -m perfbench.runner.worker")
    parser.add_argument("--reply-fd", type=int, required=True,
                        help="descriptor of the pipe the replies go to")
    parser.add_argument("--controls", type=json.loads, default=None,
                        help="noise controls (perfbench.runner.controls), as JSON")
    args = parser.parse_args(argv)
    # The parent decides when to stop (a terminal's Ctrl-C reaches the whole group).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    failed = _apply_controls(args.controls)    # before any thread starts: they inherit it
    threading.Thread(target=exit_when_orphaned, args=(sys.stdin.fileno(), os.getppid()),
                     daemon=True, name="orphan-watch").start()
    channel = reply_channel(args.reply_fd)
    if failed:
        _reply(channel, {"error": failed, "usage": False})
        return 1
    return serve(channel, controls=args.controls)


def _apply_controls(controls: dict | None) -> str | None:
    """Apply the process-wide controls; the reason, in one line, when one cannot be."""
    if not controls:
        return None
    # inside: the worker module loads nothing before its controls are applied
    from perfbench.runner.controls import apply_at_start
    try:
        apply_at_start(controls)
    except Exception as exc:
        return (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    return None


if __name__ == "__main__":
    sys.exit(main())
