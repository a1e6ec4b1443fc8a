"""The fidelity tolerances of ``compare`` and ``history``: each default defined once, here,
with the command-line option that changes it.

Apart from :mod:`.fidelity_verdict` so that the CLI parser can state every default in its
help without importing numpy.  Imports nothing but :mod:`perfbench.errors`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perfbench.errors import UsageError

DEFAULT_AGREEMENT_DROP_PP = 1.0
DEFAULT_SQNR_DROP_DB = 3.0
#: f32 against f32 on the same inputs: float32 rounding alone is ~140 dB, a reordered
#: reduction ~100 dB; a perturbed weight or a changed kernel falls far below this.
DEFAULT_REFERENCE_SQNR_DB = 60.0
DEFAULT_REFERENCE_TOP1_PCT = 99.0


@dataclass(frozen=True)
class FidelityThresholds:
    agreement_drop_pp: float = DEFAULT_AGREEMENT_DROP_PP
    sqnr_drop_db: float = DEFAULT_SQNR_DROP_DB
    reference_sqnr_db: float = DEFAULT_REFERENCE_SQNR_DB
    reference_top1_pct: float = DEFAULT_REFERENCE_TOP1_PCT


DEFAULT_THRESHOLDS = FidelityThresholds()


@dataclass(frozen=True)
class ToleranceOption:
    flag: str
    field: str            # of FidelityThresholds
    unit: str             # "pp", "dB" or "%": the one suffix a value may carry
    default: float
    low: float            # allowed range, both ends included
    high: float
    means: str

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    def help(self) -> str:
        return f"{self.means} (default {self.default:g} {self.unit})"


OPTIONS = (
    ToleranceOption("--fidelity-agreement-drop", "agreement_drop_pp", "pp",
                    DEFAULT_AGREEMENT_DROP_PP, 0.0, 100.0,
                    "a fall of NEW's top-1 or top-5 agreement with its f32 "
                    "reference, below BASE's, beyond this many percentage points is a "
                    "regression"),
    ToleranceOption("--fidelity-sqnr-drop", "sqnr_drop_db", "dB", DEFAULT_SQNR_DROP_DB,
                    0.0, math.inf, "a fall of NEW's SQNR against its f32 "
                    "reference, below BASE's, beyond this many dB is a regression"),
    ToleranceOption("--fidelity-reference-sqnr", "reference_sqnr_db", "dB",
                    DEFAULT_REFERENCE_SQNR_DB, 0.0, math.inf,
                    "NEW's f32 reference outputs against BASE's (same inputs) "
                    "below this SQNR are changed answers, a regression"),
    ToleranceOption("--fidelity-reference-top1", "reference_top1_pct", "%",
                    DEFAULT_REFERENCE_TOP1_PCT, 0.0, 100.0,
                    "NEW's f32 reference answers agreeing with BASE's on fewer "
                    "than this share of rows (top-1) are changed answers, a regression"),
)


def add_options(parser) -> None:
    """The four tolerances on an argparse parser (``compare``, ``history``)."""
    group = parser.add_argument_group("fidelity tolerances (runs with --fidelity)")
    for option in OPTIONS:
        metavar = option.unit.upper() if option.unit != "%" else "PCT"
        group.add_argument(option.flag, dest=option.dest, metavar=metavar,
                           help=option.help().replace("%", "%%"))


def thresholds_from(args) -> FidelityThresholds:
    """The options' values (None where not given) as thresholds; a bad value is one line."""
    given = {o.field: _value(o, getattr(args, o.dest, None)) for o in OPTIONS}
    return FidelityThresholds(**{k: v for k, v in given.items() if v is not None})


def _value(option: ToleranceOption, text: str | None) -> float | None:
    if text is None:
        return None
    number = text.strip()
    if number.lower().endswith(option.unit.lower()):
        number = number[:-len(option.unit)].strip()
    try:
        value = float(number)
    except ValueError:
        value = math.nan               # refused below
    if not (math.isfinite(value) and option.low <= value <= option.high):
        span = (f"of at least {option.low:g}" if math.isinf(option.high)
                else f"from {option.low:g} to {option.high:g}")
        raise UsageError(f"{option.flag} {text!r}: give a number {span} ({option.unit})")
    return value
