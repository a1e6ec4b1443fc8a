"""``perfbench save-model``: the built-in model as IR, so other tools run the identical graph.
(Called ``export`` before, a name it shared with the ``--export-*`` metric exporters; the old
name stays an alias.)"""

from __future__ import annotations

import argparse

import openvino as ov

from perfbench.model.builtin import build_model
from perfbench.errors import UsageError
from perfbench.files import check_writable
from perfbench.settings.config import coerce

HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    save = sub.add_parser("save-model", aliases=["export"],
                          help="write the built-in model as OpenVINO IR (old name: export)")
    save.add_argument("output", help="path of the .xml file (the .bin goes beside it)")
    save.add_argument("-b", "--batch", default="1")
    save.add_argument("--seed", default="0")


def run(args: argparse.Namespace) -> int:
    return save_model_command(args.output, coerce("batch", args.batch, "--batch"),
                              coerce("seed", args.seed, "--seed"))


def save_model_command(output: str, batch: int, seed: int) -> int:
    if not output.endswith(".xml"):
        raise UsageError(f"save-model: output must end in .xml (got {output!r})")
    check_writable(output, "save-model")
    check_writable(output[:-4] + ".bin", "save-model")
    ov.save_model(build_model(batch=batch, seed=seed), output, compress_to_fp16=False)
    print(f"wrote {output} and {output[:-4]}.bin (batch {batch}, seed {seed})")
    return 0
