"""``ab --fidelity``: after the verdict, did NEW give other answers than BASE?

A separate pass, never part of the verdict and never inside a timed block: each side is
started once more, alone (BASE, then NEW: one model in memory at a time), in its own
interpreter with its own settings, and asked for its outputs on its fidelity inputs as
measured and in f32 (:mod:`perfbench.runner.side_outputs`, which bounds what travels).
Here, in the parent, the outputs are compared with ``run --fidelity``'s definitions
(:mod:`perfbench.stats.fidelity`) and judged with ``compare``'s tolerances
(:mod:`perfbench.tracking.fidelity_verdict`): a release that changed the f32 answers beyond
them, or whose configured precision lost agreement with its own f32 against BASE's, is a
fidelity regression.

Outputs that cannot be compared (other inputs, outputs or shapes on the two sides,
non-finite values) and a side that could not give its outputs (its worker failed) are one
line, in the block as ``failed``; the verdict stands.
"""

from __future__ import annotations

import threading

import numpy as np

from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.comparison import FidelityComparison
from perfbench.runner.benchmark import log
from perfbench.runner.side import Side
from perfbench.stats.fidelity import FidelityError, compare_outputs, decode_stored
from perfbench.tracking.fidelity_verdict import (DEFAULT_THRESHOLDS, FidelityThresholds,
                                                 judge_reference, judge_sides)

SIDES = (("base", "BASE"), ("new", "NEW"))


def skipped_fidelity(stopped: bool, failure: BaseException | None) -> ABFidelity:
    """``--fidelity`` asked for and never run, as ``ab`` and every ``suite --ab`` entry
    say it (not null, as if never asked): the A/B was stopped, or failed after rounds were
    kept; the exit status says so already (128+N, or 1)."""
    if stopped or failure is None:
        return ABFidelity.not_measured("interrupted", "stopped before the fidelity pass")
    first = (str(failure).splitlines() or [type(failure).__name__])[0]
    return ABFidelity.not_measured("failed", f"the A/B failed before the pass: {first}"[:300])


def fidelity_pass(base: dict, new: dict, pythons: tuple[str, str], samples: int | None = None,
                  thresholds: FidelityThresholds = DEFAULT_THRESHOLDS,
                  stop_event: threading.Event | None = None) -> ABFidelity:
    """Both sides' outputs, compared and judged; a failure or a stop is said in the block
    (the verdict before it stands)."""
    stop_event = stop_event or threading.Event()
    settings = {"base": (pythons[0], base), "new": (pythons[1], new)}
    replies = {}
    try:
        for name, label in SIDES:
            if stop_event.is_set():
                return ABFidelity.not_measured("interrupted")
            log.info("ab fidelity: %s's outputs", label)
            replies[name] = _outputs(label, *settings[name], samples)
        if stop_event.is_set():
            return ABFidelity.not_measured("interrupted")
        return judged(replies, thresholds)
    except FidelityError as exc:
        return ABFidelity.not_measured("failed", f"outputs not compared: {exc}")
    except Exception as exc:        # a side that could not give its outputs
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return ABFidelity.not_measured("failed", f"no outputs: {first[:300]}")


def _outputs(label: str, python: str, settings: dict, samples: int | None) -> dict:
    """One side's ``outputs`` reply, from a worker started for it alone."""
    side = Side(label, python, settings)
    try:
        return side.outputs(samples)
    finally:
        side.close()


def judged(replies: dict[str, dict], t: FidelityThresholds = DEFAULT_THRESHOLDS
           ) -> ABFidelity:
    """The block from both sides' ``outputs`` replies; a FidelityError (one line) where
    they cannot be compared."""
    base, new = replies["base"], replies["new"]
    _same_inputs(base, new)
    outputs = {name: {model: _decoded(reply, model) for model in ("f32", "configured")}
               for name, reply in replies.items()}
    _same_outputs(outputs["base"]["f32"], outputs["new"]["f32"])
    for name, label in SIDES:
        for model, values in outputs[name].items():
            if values is not None:
                _finite(label, replies[name]["configured"] if model == "configured" else model,
                        values)
    f32 = {name: outputs[name]["f32"] for name in outputs}
    configured = {name: outputs[name]["configured"] or f32[name] for name in outputs}
    reference = compare_outputs(f32["base"], f32["new"])
    sides = {name: None if outputs[name]["configured"] is None else
             compare_outputs(f32[name], outputs[name]["configured"]) for name in outputs}
    both_f32 = all(outputs[name]["configured"] is None for name in outputs)
    changes = judge_reference(reference, t)
    if sides["base"] is not None and sides["new"] is not None:
        changes += judge_sides(sides["base"], sides["new"], t)
    verdict = "regression" if any(c.verdict == "regression" for c in changes) \
        else "within tolerance"
    made_in = {name: replies[name]["configured"] for name in replies}
    return ABFidelity(
        "complete", verdict, samples=base["samples"], inputs=base["inputs"],
        label=base["label"], inputs_digest=base["inputs_digest"], seed=base["seed"],
        configured=made_in, reference=reference,
        precision=None if both_f32 else compare_outputs(configured["base"],
                                                        configured["new"]),
        sides=sides, judged=FidelityComparison(tuple(changes), tuple(_warnings(made_in))))


def _warnings(made_in: dict[str, str]) -> list[str]:
    if made_in["base"] == made_in["new"]:
        return []
    warnings = [f"fidelity: BASE's outputs are made in {made_in['base']}, NEW's in "
                f"{made_in['new']}: their precisions' outputs compared anyway"]
    f32 = [label for name, label in SIDES if made_in[name] == "f32"]
    if f32:
        warnings.append(f"fidelity: {' and '.join(f32)} runs f32, its own reference: "
                        "agreement with f32 not judged")
    return warnings


def _decoded(reply: dict, model: str) -> dict[str, list[np.ndarray]] | None:
    stored = reply["outputs"].get(model)
    if stored is None:
        return None
    return {name: list(decode_stored(entry)) for name, entry in stored.items()}


def _same_inputs(base: dict, new: dict) -> None:
    if base["inputs_digest"] == new["inputs_digest"]:
        return
    def fed(reply: dict) -> str:
        return f"{reply['samples']} {reply['inputs']} sample(s)"
    raise FidelityError(f"the sides fed different inputs (BASE {fed(base)}, NEW {fed(new)}, "
                        "other values, names or shapes): give both the same inputs "
                        "(--input, or the same --fill/--seed and input shapes)")


def _same_outputs(base: dict[str, list[np.ndarray]], new: dict[str, list[np.ndarray]]) -> None:
    if set(base) != set(new):
        raise FidelityError(f"BASE has outputs {', '.join(base) or 'none'}, NEW "
                            f"{', '.join(new) or 'none'}")
    for name in base:
        b, n = list(np.shape(base[name][0])), list(np.shape(new[name][0]))
        if b != n:
            raise FidelityError(f"output {name!r}: shape {n} from NEW, {b} from BASE")


def _finite(label: str, made_in: str, outputs: dict[str, list[np.ndarray]]) -> None:
    for name, values in outputs.items():
        bad = sum(int(np.count_nonzero(~np.isfinite(v))) for v in values)
        if bad:
            raise FidelityError(f"output {name!r}: {bad} non-finite value"
                                f"{'s' if bad != 1 else ''} (NaN or inf) from {label}'s "
                                f"{made_in} model")
