"""The fidelity arithmetic: one output's values from the run against the reference's.

Pure numpy on float64 copies, so that a bf16 or int8 output is judged on its own values,
not on rounding in the comparison.  Every figure pools all samples (every element of every
sample, every classifier row of every sample); see
:class:`perfbench.results.fidelity.OutputFidelity` for each definition.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence

import numpy as np

from perfbench.results.fidelity import OutputFidelity

#: Classes a classifier output needs for top-5 agreement.
TOP_K = 5
#: Reference outputs are stored (for ``compare``) up to this many values per output, all
#: samples together (256 KiB of float32: a 1000-class classifier on 64 samples).
MAX_STORED_VALUES = 1 << 16


class FidelityError(ValueError):
    """Outputs that cannot be compared (shapes, names, non-finite values): one line."""


def classifier_classes(shape: tuple[int, ...]) -> int | None:
    """C for an N × C output (or N × C × 1 × 1, a classifier head before its squeeze);
    None for anything else: agreement has no meaning on a feature map."""
    if len(shape) < 2 or shape[1] < 2 or any(d != 1 for d in shape[2:]):
        return None
    return shape[1]


def compare_output(name: str, reference: Sequence[np.ndarray],
                   candidate: Sequence[np.ndarray]) -> OutputFidelity:
    """The figures of one output over paired samples (sample i of each side is one input)."""
    ref, out = _stacked(name, reference, candidate)
    shape = tuple(int(d) for d in np.shape(reference[0]))
    diff = np.abs(out - ref)
    nonzero = ref != 0
    rel = diff[nonzero] / np.abs(ref[nonzero])
    identical = bool(np.array_equal(out, ref))
    item = OutputFidelity(
        name=name, shape=shape, elements=int(np.prod(shape)) if shape else 1,
        identical=identical,
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        mean_abs_error=float(diff.mean()) if diff.size else 0.0,
        max_rel_error=float(rel.max()) if rel.size else None,
        mean_rel_error=float(rel.mean()) if rel.size else None,
        cosine_similarity=cosine_similarity(ref, out), sqnr_db=sqnr_db(ref, out))
    classes = classifier_classes(shape)
    if classes is None:
        return item
    top1, top5, rows = agreement(ref.reshape(-1, classes), out.reshape(-1, classes))
    return OutputFidelity(**{**item.__dict__, "rows": rows, "top1_agreement_pct": top1,
                             "top5_agreement_pct": top5})


def _stacked(name: str, reference: Sequence[np.ndarray],
             candidate: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if len(reference) != len(candidate) or not reference:
        raise FidelityError(f"output {name!r}: {len(candidate)} samples from the run, "
                            f"{len(reference)} from the reference: cannot compare")
    shapes = {tuple(np.shape(a)) for a in list(reference) + list(candidate)}
    if len(shapes) != 1:
        ref_shape, out_shape = np.shape(reference[0]), np.shape(candidate[0])
        raise FidelityError(f"output {name!r}: shape {list(out_shape)} from the run, "
                            f"{list(ref_shape)} from the reference"
                            + ("" if ref_shape != out_shape else " (it changes between samples)")
                            + ": cannot compare")
    ref = np.stack([np.asarray(a, dtype=np.float64) for a in reference])
    out = np.stack([np.asarray(a, dtype=np.float64) for a in candidate])
    for side, values in (("reference", ref), ("run", out)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise FidelityError(f"output {name!r}: {bad} non-finite value"
                                f"{'s' if bad != 1 else ''} (NaN or inf) from the {side}: "
                                "cannot compare")
    return ref, out


def sqnr_db(reference: np.ndarray, candidate: np.ndarray) -> float | None:
    """10·log10(signal energy / noise energy); None when there is no noise (identical:
    infinite) or no signal (undefined)."""
    noise = float(np.sum((candidate - reference) ** 2))
    signal = float(np.sum(reference ** 2))
    if noise == 0 or signal == 0:
        return None
    return 10 * math.log10(signal / noise)


def cosine_similarity(reference: np.ndarray, candidate: np.ndarray) -> float | None:
    """Of the two outputs as vectors; 1 for two all-zero outputs, None when only one is."""
    a, b = reference.ravel(), candidate.ravel()
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 and nb == 0:
        return 1.0
    if na == 0 or nb == 0:
        return None
    return float(np.dot(a, b) / (na * nb))


def agreement(reference: np.ndarray, candidate: np.ndarray
              ) -> tuple[float, float | None, int]:
    """(top-1 %, top-5 %, rows) of R × C scores: the run's arg-max is the reference's;
    the reference's arg-max is among the run's five largest.  Ties go to the lowest
    index on both sides (numpy's arg-max), so identical rows always agree."""
    rows, classes = reference.shape
    answer = np.argmax(reference, axis=1)
    top1 = 100.0 * float(np.mean(np.argmax(candidate, axis=1) == answer))
    if classes < TOP_K:
        return top1, None, rows
    # the run's k largest, ties broken towards lower indices like argmax (stable sort)
    order = np.argsort(-candidate, axis=1, kind="stable")[:, :TOP_K]
    top5 = 100.0 * float(np.mean(np.any(order == answer[:, None], axis=1)))
    return top1, top5, rows


def compare_outputs(reference: Mapping[str, Sequence[np.ndarray]],
                    candidate: Mapping[str, Sequence[np.ndarray]]) -> tuple[OutputFidelity, ...]:
    """Every output, by name, in the reference's order; the two sides must have the same
    outputs."""
    if set(reference) != set(candidate):
        raise FidelityError(f"the run has outputs {', '.join(candidate) or 'none'}, the "
                            f"reference {', '.join(reference) or 'none'}: cannot compare")
    return tuple(compare_output(name, reference[name], candidate[name]) for name in reference)


def stored_outputs(outputs: dict[str, list[np.ndarray]]) -> dict | None:
    """The reference outputs small enough to keep, as little-endian float32 in base64;
    None when none is."""
    kept = {name: encoded(values) for name, values in outputs.items()
            if sum(int(np.size(v)) for v in values) <= MAX_STORED_VALUES}
    return kept or None


def encoded(values: Sequence[np.ndarray]) -> dict:
    """One output's samples, stacked, as little-endian float32 in base64 (what
    :func:`decode_stored` reads back)."""
    stacked = np.stack(values).astype("<f4")
    return {"shape": list(stacked.shape), "dtype": "float32-le",
            "data": base64.b64encode(stacked.tobytes()).decode("ascii")}


def decode_stored(entry: dict) -> np.ndarray:
    """One stored output back as an array of shape [samples, ...]."""
    raw = base64.b64decode(entry["data"])
    return np.frombuffer(raw, dtype="<f4").reshape(entry["shape"])
