"""Every setting, declared once: the frozen benchmark configuration and the sweep options.

Each field of :class:`BenchmarkConfig` carries its :class:`Setting` (parser, help, CLI
spelling, argparse group, where it is valid) in its metadata.  That one declaration drives
the validation of the dataclass itself (so ``BenchmarkConfig(hint="x")`` fails where it is
built, for the Python API as for the CLI), the keys a TOML profile may hold, and the
argparse options (``perfbench.cli.options``).  A bad value gets the same one-line message
wherever it came from, naming where it came from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from perfbench.errors import UsageError
from perfbench.results.types import PERCENTILES
from perfbench.settings import values
from perfbench.settings.shapes import parse_data_shapes, parse_shapes

HINTS = ("throughput", "latency", "cumulative_throughput", "none")
SCENARIOS = ("offline", "single-stream", "server")
PRECISIONS = ("f32", "bf16", "f16", "int8")
QUANTIZE = ("int8",)
MODEL_TYPES = ("cnn", "transformer")
APIS = ("async", "sync")
FILLS = ("seeded", "random", "zeros", "ones")
IMAGE_COLORS = ("rgb", "bgr")
IMAGE_LAYOUTS = ("nchw", "nhwc")
#: Used when neither ``time`` nor ``iterations`` is given.
DEFAULT_TIME_S = 15.0
#: Bound of an ``--until-stable`` run (the peer's default fixed duration on CPU).
DEFAULT_MAX_TIME_S = 60.0
#: Each request holds its own input and output buffers; beyond this, creating the pool
#: alone takes minutes and no device gains throughput.
MAX_REQUESTS = 1024


@dataclass(frozen=True)
class Setting:
    """How one setting is parsed, documented and spelled on the command line.

    ``cli``: "value" (``--key VALUE``), "switch" (``--key`` sets true), "toggle"
    (``--key``/``--no-key``), "optional" (``--key [VALUE]``, VALUE defaulting to ``const``),
    "append" (``--key VALUE``, repeatable, a list).
    ``grid``: its rank among sweep dimensions (outer → inner), or None if it cannot be
    swept.  ``in_sweep``: whether a sweep accepts it as a fixed setting (a sweep sets each
    point's duration and trials itself).  ``identity``: whether it is part of a result's
    configuration identity (see :mod:`perfbench.settings.identity`)."""

    parse: Callable[[Any], Any]
    help: str
    group: str = "measurement"
    cli: str = "value"
    short: str | None = None
    const: str | None = None
    grid: int | None = None
    in_sweep: bool = True
    metavar: str | None = None
    identity: bool = True


def setting(default: Any, parse: Callable[[Any], Any], help: str, **spec: Any):
    return field(default=default, metadata={"setting": Setting(parse, help, **spec)})


def _requests(value: Any) -> int:
    count = values.positive_int(value)
    if count > MAX_REQUESTS:
        raise ValueError(f"is above {MAX_REQUESTS} (each request holds its own buffers)")
    return count


@dataclass(frozen=True)
class BenchmarkConfig:
    """What the user asked for.  ``None`` means "let the device or model decide"."""

    model: str | None = setting(
        None, values.non_empty_str, "model file (IR .xml, .onnx, …); default: the built-in "
        "inception-resnet-v2-tf replica", group="model", short="-m", identity=False)
    device: str = setting("CPU", values.non_empty_str, "OpenVINO device (default CPU; AUTO, "
                          "MULTI:…, HETERO:… too)", group="device", short="-d", grid=0)
    hint: str = setting("throughput", values.choice(HINTS), f"performance hint: "
                        f"{'|'.join(HINTS)} (default throughput)", group="device", grid=1)
    streams: int | str | None = setting(
        None, values.streams, "number of streams, or AUTO", group="device", grid=6)
    threads: int | None = setting(None, values.positive_int, "inference threads",
                                  group="device", grid=3)
    pin: bool | None = setting(None, values.boolean, "pin threads to cores (--no-pin: don't)",
                               group="device", cli="toggle")
    precision: str | None = setting(
        None, values.choice(PRECISIONS), f"inference precision: {'|'.join(PRECISIONS)} "
        "(int8: quantize with NNCF first, as --quantize int8)", group="device", grid=2)
    quantize: str | None = setting(
        None, values.choice(QUANTIZE), "quantize the model with NNCF on calibration data "
        "(--input, else synthetic) before compiling; needs perfbench[int8]", group="model")
    calibration_size: int = setting(32, values.positive_int, "calibration samples for "
                                    "--quantize (default 32)", group="model")
    model_type: str = setting("cnn", values.choice(MODEL_TYPES), "cnn (default) or "
                              "transformer: NNCF's model type and preset", group="model")
    batch: int | None = setting(
        None, values.positive_int, "images per inference (sets dimension 0)", group="model",
        short="-b", grid=4)
    shape: str | None = setting(
        None, values.non_empty_str, "input shapes, benchmark_app syntax: [1,3,224,224] or "
        "ids[1,128],mask[1,128]", group="model")
    data_shape: str | None = setting(
        None, values.non_empty_str, "several input shapes, each measured in turn on one "
        "compilation with dynamic dimensions: [1,128][1,256] or ids[1,128][1,256],mask[...]",
        group="model", in_sweep=False)
    mean_values: str | None = setting(
        None, values.non_empty_str, "subtract per channel before inference (benchmark_app "
        "syntax: [123.7,116.3,103.5] or data[...],info[...]; OpenVINO's PrePostProcessor)",
        group="model")
    scale_values: str | None = setting(
        None, values.non_empty_str, "then divide per channel (as --mean-values)",
        group="model")
    layout: str | None = setting(
        None, values.non_empty_str, "input layouts, e.g. [NCHW] or data[NHWC],info[NC]: "
        "where --mean-values/--scale-values find the channel", group="model")
    input: tuple[str, ...] | None = setting(
        None, values.text_list, "input data: NAME=FILE.npy (repeatable; several for one name "
        "are several samples), FILE.npz (one array per input), or a directory of them",
        group="model", cli="append", metavar="NAME=PATH|PATH")
    input_cast: bool = setting(False, values.boolean, "cast --input arrays whose element type "
                               "differs from the model's (default: refuse)", group="model",
                               cli="switch")
    fill: str = setting("seeded", values.choice(FILLS), "synthetic input data: seeded (from "
                        "--seed, default), random (a fresh seed, recorded), zeros, ones",
                        group="model")
    input_color: str | None = setting(
        None, values.choice(IMAGE_COLORS), "--input DIR of images: the colour order the model "
        "takes, rgb or bgr (default: the model's metadata, else rgb)", group="model",
        identity=False, metavar="rgb|bgr")
    input_mean: str | None = setting(
        None, values.non_empty_str, "--input DIR of images: subtracted from each pixel, one "
        "value or three (default: the model's metadata, else 0)", group="model",
        identity=False, metavar="V[,V,V]")
    input_scale: str | None = setting(
        None, values.non_empty_str, "--input DIR of images: each pixel is divided by it after "
        "the mean, one value or three (default: the model's metadata, else 1)",
        group="model", identity=False, metavar="V[,V,V]")
    input_layout: str | None = setting(
        None, values.choice(IMAGE_LAYOUTS), "--input DIR of images: nchw or nhwc (default: "
        "from the input's shape)", group="model", identity=False, metavar="nchw|nhwc")
    requests: int | None = setting(
        None, _requests, f"requests in flight (default: the device's optimal; at most "
        f"{MAX_REQUESTS})", grid=5)
    api: str = setting("async", values.choice(APIS), f"{'|'.join(APIS)} (default async)")
    time: float | None = setting(None, values.positive_float, "measure for this many seconds "
                                 "(default 15)", short="-t", in_sweep=False, identity=False)
    iterations: int | None = setting(None, values.positive_int, "stop after this many requests",
                                     short="-n", in_sweep=False, identity=False)
    warmup: float = setting(0.0, values.non_negative_float,
                            "extra warm-up seconds after every request ran once",
                            identity=False)
    gflops: float | None = setting(
        None, values.positive_float, "model cost per image, overriding the computed one",
        group="model", identity=False)
    cache_dir: str | None = setting(None, values.non_empty_str,
                                    "OpenVINO model cache directory", group="device",
                                    identity=False)
    seed: int = setting(0, values.non_negative_int, "seed for synthetic weights and inputs "
                        "(default 0)", group="model", identity=False)
    until_stable: float | None = setting(
        None, values.percentage, "measure until the FPS 95%% CI half-width is within PCT %% "
        "(default 1) and the last windows agree", group="precision and diagnostics",
        cli="optional", const="1", identity=False)
    max_time: float | None = setting(None, values.positive_float, "bound of "
                                     "--until-stable, seconds (default 60)",
                                     group="precision and diagnostics", in_sweep=False,
                                     identity=False)
    repeat: int = setting(1, values.positive_int, "independent trials; reports the spread "
                          "between them", group="precision and diagnostics", in_sweep=False,
                          identity=False)
    recompile: bool = setting(False, values.boolean, "compile afresh for every --repeat trial",
                              group="precision and diagnostics", cli="switch", in_sweep=False,
                              identity=False)
    roofline: bool = setting(False, values.boolean, "report efficiency vs the device peak "
                             "(measured once, cached)", group="precision and diagnostics",
                             cli="switch", identity=False)
    label: str | None = setting(None, values.non_empty_str, "hardware class of this machine "
                                "in results (default: derived from CPU, cores, ISA, memory)",
                                group="precision and diagnostics", identity=False)
    exec_graph: str | None = setting(None, values.non_empty_str, "save the executed (runtime) "
                                     "graph as IR here, for inspection",
                                     group="precision and diagnostics", in_sweep=False,
                                     identity=False)
    perf_counters: bool = setting(False, values.boolean, "per-layer times from a separate "
                                  "profiling pass", group="precision and diagnostics",
                                  cli="switch", identity=False)
    scenario: str = setting("offline", values.choice(SCENARIOS), "offline (default, closed "
                            "loop), single-stream, or server (open loop, needs --rate)")
    rate: float | None = setting(None, values.positive_float, "server scenario: target "
                                 "queries/s (Poisson arrivals)", in_sweep=False)
    sla_ms: float | None = setting(None, values.positive_float,
                                   "latency bound: count requests above it", identity=False)

    def __post_init__(self) -> None:
        for name, spec in SETTINGS.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, validate(value, spec.parse, name,
                                                        "BenchmarkConfig"))
        self._check_combinations()

    def _check_combinations(self) -> None:
        if self.until_stable is not None and self.time is not None:
            raise UsageError("--until-stable stops by itself; bound it with --max-time, "
                             "not --time")
        if (self.scenario == "server") != (self.rate is not None):
            raise UsageError("--scenario server needs --rate QPS, and --rate only applies to "
                             "--scenario server")
        if self.data_shape is not None:
            self._check_data_shape()
        if self.quantize is not None:
            if self.precision not in (None, "int8"):
                raise UsageError(f"--quantize {self.quantize} contradicts --precision "
                                 f"{self.precision}; drop one (--precision int8 quantizes too)")
            object.__setattr__(self, "precision", "int8")
        if self.scenario != "offline" and self.api == "sync":
            raise UsageError(f"--scenario {self.scenario} drives the async API; drop --api sync")
        self._check_no_effect()

    def _check_no_effect(self) -> None:
        """Refuse an option that could change nothing: silently ignored, it would stand in
        the result's requested settings for something that never ran."""
        if self.requests not in (None, 1) and (self.api == "sync"
                                               or self.scenario == "single-stream"):
            which = "--api sync" if self.api == "sync" else "--scenario single-stream"
            raise UsageError(f"{which} runs one request at a time; drop --requests "
                             f"{self.requests}")
        if self.recompile and self.repeat == 1:
            raise UsageError("--recompile applies between --repeat trials; add --repeat K "
                             "(K ≥ 2) or drop --recompile")
        if self.max_time is not None and self.until_stable is None:
            raise UsageError("--max-time bounds --until-stable; add --until-stable, or bound "
                             "the run with --time")
        if self.batch is not None and self.shape is not None:
            self._check_batch_in_shape()
        if not self.input and any((self.input_color, self.input_mean, self.input_scale,
                                   self.input_layout)):
            raise UsageError("--input-color/--input-mean/--input-scale/--input-layout apply "
                             "to --input DIR of images; add one or drop them")

    def _check_batch_in_shape(self) -> None:
        """--batch sets dimension 0 of every input, so a --shape saying otherwise would be
        overridden."""
        for name, dims in parse_shapes(self.shape).items():
            if dims and dims[0] != self.batch:
                target = f"input {name!r}" if name else "the input"
                raise UsageError(f"--batch {self.batch} sets dimension 0 of every input, but "
                                 f"--shape gives {target} {dims[0]} there; drop one or make "
                                 "them agree")

    def _check_data_shape(self) -> None:
        parse_data_shapes(self.data_shape)
        if self.model is None:
            raise UsageError("--data-shape applies to --model files with dynamic dimensions; "
                             "the built-in model's shape is fixed")
        if self.shape is not None or self.batch is not None:
            raise UsageError("--data-shape gives every shape itself; drop --shape/--batch")
        if self.quantize is not None or self.precision == "int8":
            raise UsageError("--data-shape with int8 is not supported: quantize one shape "
                             "at a time with --shape")

    @property
    def time_limit_s(self) -> float | None:
        """The measuring time limit actually applied (a default when nothing bounds the run)."""
        if self.until_stable is not None:
            return self.max_time if self.max_time is not None else DEFAULT_MAX_TIME_S
        if self.time is None and self.iterations is None:
            return DEFAULT_TIME_S
        return self.time

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (lists, not tuples), so a dict read back from a file is equal."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


#: name -> Setting, in declaration order: the table everything else derives from.
SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(BenchmarkConfig)}
#: Sweep dimensions, outer → inner; the innermost swept one of batch/requests/streams grows.
GRID_KEYS = tuple(sorted((k for k, s in SETTINGS.items() if s.grid is not None),
                         key=lambda k: SETTINGS[k].grid))


@dataclass(frozen=True)
class SweepOption:
    parse: Callable[[Any], Any]
    help: str


#: Options of a sweep as a whole (not of one run); profile keys and ``--flags`` alike.
SWEEP_OPTIONS: dict[str, SweepOption] = {
    "budget": SweepOption(values.duration, "cap for the whole sweep: 300, 90s, 10m, 1h"),
    "point_time": SweepOption(values.positive_float,
                              "cap per point in seconds (default 20)"),
    "sla_percentile": SweepOption(values.one_of_numbers(tuple(PERCENTILES.values())),
                                  "percentile of the latency bound (default 99)"),
    "min_top1_agreement": SweepOption(values.share_pct, "fidelity constraint: points whose "
                                      "precision agrees with f32 on fewer top-1 answers "
                                      "(%%) are not picked; classifier outputs only"),
    "min_sqnr": SweepOption(values.positive_float, "fidelity constraint: points whose "
                            "precision's outputs have a lower SQNR against f32 (dB) are "
                            "not picked"),
    "target_fps": SweepOption(values.positive_float,
                              "sizing: machines needed for this many images/s"),
    "gain_cutoff": SweepOption(values.positive_float, "stop growing a dimension when gains "
                               "stay under this %% (default 3)"),
    "tie_margin": SweepOption(values.positive_float, "race: points within this %% of the "
                              "leader tie; worse by more, they leave (default 3)"),
    "epoch_time": SweepOption(values.positive_float, "race: seconds of rounds per epoch of "
                              "fresh workers (default: sized from earlier races of the grid "
                              "on this machine once enough is known, else 10)"),
    "confirm_time": SweepOption(values.positive_float, "race: cap in seconds of the "
                                "confirmation A/B of the winner against the default "
                                "(default 60; within --budget, at most a third of it)"),
}


def validate(value: Any, parser: Callable[[Any], Any], key: str, where: str) -> Any:
    """Parse one value; a bad one becomes a one-line error naming ``key`` and ``where``."""
    try:
        return parser(value)
    except ValueError as exc:
        raise UsageError(f"{where}: '{key}' {exc} (got {value!r:.60})") from None


def coerce(key: str, value: Any, where: str) -> Any:
    """Validate one ``run`` setting; ``where`` names its origin for the error message."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise UsageError(f"{where}: unknown setting '{key}' (known: {', '.join(sorted(SETTINGS))})")
    return validate(value, spec.parse, key, where)


def build_config(*layers: dict[str, Any]) -> BenchmarkConfig:
    """Merge already-coerced layers, later ones winning, into a frozen config.

    A later layer's ``time`` replaces an earlier ``until_stable`` (and its ``max_time``)
    and vice versa, so that ``--time 5`` on the command line overrides a profile that asks
    for ``until_stable``.
    """
    return BenchmarkConfig(**merge_layers(*layers))


def merge_layers(*layers: dict[str, Any]) -> dict[str, Any]:
    """The layers merged as :func:`build_config` merges them (a suite's defaults, model and
    matrix are layers too)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        given = {k: v for k, v in layer.items() if v is not None}
        if "time" in given and "until_stable" not in given:
            merged.pop("until_stable", None)
            merged.pop("max_time", None)          # the bound of the until_stable dropped
        if "until_stable" in given and "time" not in given:
            merged.pop("time", None)
        merged.update(given)
    return merged
