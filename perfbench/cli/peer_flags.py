"""benchmark_app's flags: the run setting each one means, and the nearest equivalent of
those perfbench lacks.  Read by ``perfbench benchmark-app``, which takes them as spelt, and
by ``perfbench run``, which refuses them naming the option (or command) that means it."""

from __future__ import annotations

#: benchmark_app flag -> (run setting, metavar, help).  Values keep benchmark_app's syntax.
MAPPED = {
    "-m": ("model", "PATH", "model file (as --model)"),
    "-d": ("device", "DEVICE", "device (as --device; default CPU)"),
    "-hint": ("hint", "HINT", "throughput|tput|cumulative_throughput|ctput|latency|none "
              "(as --hint; latency without -api runs sync, as benchmark_app)"),
    "-nstreams": ("streams", "N", "streams, N or DEVICE:N (as --streams)"),
    "-nireq": ("requests", "N", "requests in flight (as --requests)"),
    "-nthreads": ("threads", "N", "inference threads (as --threads)"),
    "-pin": ("pin", "YES|NO", "pin threads (as --pin/--no-pin)"),
    "-b": ("batch", "N", "batch (as --batch)"),
    "-t": ("time", "S", "seconds to measure (as --time; default 60 without -niter, as "
           "benchmark_app on CPU)"),
    "-niter": ("iterations", "N", "requests to run (as --iterations)"),
    "-shape": ("shape", "SHAPE", "input shapes (as --shape)"),
    "-data_shape": ("data_shape", "SHAPES", "several shapes (as --data-shape)"),
    "-layout": ("layout", "LAYOUT", "input layouts (as --layout)"),
    "-mean_values": ("mean_values", "[R,G,B]", "per-channel mean (as --mean-values)"),
    "-scale_values": ("scale_values", "[R,G,B]", "per-channel scale (as --scale-values)"),
    "-api": ("api", "sync|async", "API (as --api)"),
    "-infer_precision": ("precision", "f32|bf16|f16", "inference precision (as --precision)"),
    "-cdir": ("cache_dir", "DIR", "model cache (as --cache-dir)"),
    "-exec_graph_path": ("exec_graph", "PATH", "save the executed graph (as --exec-graph)"),
}
#: Long spellings benchmark_app also accepts, for the same flags.
ALIASES = {"-m": ["--path_to_model"], "-d": ["--target_device"], "-hint": ["--perf_hint"],
           "-nstreams": ["--number_streams"], "-nireq": ["--number_infer_requests"],
           "-nthreads": ["--number_threads"], "-b": ["--batch_size"], "-t": ["--time"],
           "-niter": ["--number_iterations"], "-api": ["--api_type"],
           "-mean_values": ["--mean_values"], "-scale_values": ["--scale_values"],
           "-cdir": ["--cache_dir"], "-i": ["--paths_to_input"], "-pc": ["--perf_counts"]}
#: benchmark_app flags perfbench has no equivalent of -> what comes nearest.
REFUSED = {
    "-max_irate": "--scenario server --rate QPS (Poisson arrivals; perfbench has no "
                  "uniform pacing)",
    "-ip": "none: perfbench feeds each input in the model's own element type (--input "
           "arrays of another type need --input-cast)",
    "-op": "none: outputs stay in the model's element type",
    "-iop": "none: inputs and outputs stay in the model's element types",
    "-extensions": "none: perfbench loads no extension libraries",
    "-c": "none: perfbench has no GPU kernel configuration",
    "-lfile": "-m PATH (the model is always read with read_model)",
    "-inference_only": "none needed: perfbench always times inference only (inputs are set "
                       "before the loop)",
    "-no_warmup": "--warmup 0 is the default; the first inference always runs and is left "
                  "out of the statistics",
    "-report_type": "--perf-counters (per-layer times) and --json PATH (every statistic)",
    "-report_folder": "--json PATH (every statistic, in one file)",
    "-json_stats": "--json PATH",
    "-pcsort": "-pc (the layers are listed by time)",
    "-pcseq": "-data_shape (a full result per shape)",
    "-dump_config": "--profile FILE.toml (perfbench profiles; `perfbench profiles`)",
    "-load_config": "--profile FILE.toml (perfbench profiles; `perfbench profiles`)",
}
HINTS = {"tput": "throughput", "ctput": "cumulative_throughput"}
