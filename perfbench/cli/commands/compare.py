"""``perfbench compare``: baseline vs new, exit 1 on a regression."""

from __future__ import annotations

import dataclasses

from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.reporters.consoles import report_console
from perfbench.tracking.verdict import compare, parse_gate, parse_noise_floors, parse_thresholds
from perfbench.tracking.layer_attribution import attribute_results
from perfbench.tracking.fidelity_tolerances import DEFAULT_THRESHOLDS, FidelityThresholds
from perfbench.files import write_json
from perfbench.reporters import comparison as report
from perfbench.results import load


def compare_command(base_files: list[str], new_files: list[str], thresholds: list[str],
                    noise_floors: list[str], gate: str | None, strict: bool,
                    markdown_path: str | None,
                    json_path: str | None, exports: dict[str, str],
                    html_path: str | None = None, attribute: bool = False,
                    fidelity_thresholds: FidelityThresholds = DEFAULT_THRESHOLDS) -> int:
    limits = parse_thresholds(thresholds)
    floors = parse_noise_floors(noise_floors)
    base = [load(path) for path in base_files]
    new = [load(path) for path in new_files]
    result = compare(base, new, base_files, new_files, limits, strict, floors, parse_gate(gate),
                     fidelity_thresholds=fidelity_thresholds)
    if attribute:     # into the document, so --json, --markdown and --html carry it too
        result = dataclasses.replace(result, attribution=attribute_results(
            base, new, base_files, new_files))
    # Files first, then the terminal (a reader that closed the pipe must not cost them).
    written = write_outputs(result, Outputs(json=json_path, markdown=markdown_path,
                                            html=html_path, exports=tuple(exports.items())),
                            "the comparison")
    console = report_console(stderr=json_path == "-")
    report.render(result, console)
    if result.attribution is not None:
        report.render_attribution(result.attribution, (len(base), len(new)), console)
    if json_path == "-":
        write_json(json_path, result.to_dict())
    return result.exit_status or (0 if written else 1)
