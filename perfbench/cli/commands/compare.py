"""``perfbench compare``: baseline vs new, exit 1 on a regression."""

from __future__ import annotations


from perfbench.cli.outputs import wrote
from perfbench.reporters.consoles import report_console
from perfbench.tracking.verdict import compare, parse_gate, parse_noise_floors, parse_thresholds
from perfbench.tracking.exporters import export_all
from perfbench.tracking.layer_attribution import attribute_results
from perfbench.tracking.fidelity_tolerances import DEFAULT_THRESHOLDS, FidelityThresholds
from perfbench.files import atomic_write, write_json
from perfbench.results.metrics import Metric, benchmark_name
from perfbench.reporters import comparison as report
from perfbench.results import load
from perfbench.results.comparison import Comparison


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
    layers = attribute_results(base, new, base_files, new_files) if attribute else None
    # Files first, then the terminal (a reader that closed the pipe must not cost them).
    if markdown_path:
        atomic_write(markdown_path, report.markdown(result))
        wrote("--markdown", markdown_path)
    if json_path and json_path != "-":
        write_json(json_path, result.to_dict())
        wrote("--json", json_path)
    metrics = [Metric(c.name, c.unit, c.bigger_is_better, c.new) for c in result.changes]
    export_all(benchmark_name(new[0]), metrics, exports)
    for option, destination in exports.items():
        wrote(f"--export-{option}", destination)
    drawn = True
    if html_path:
        drawn = _html(base_files + new_files, result, html_path)
    console = report_console(stderr=json_path == "-")
    report.render(result, console)
    if layers is not None:
        report.render_attribution(layers, (len(base), len(new)), console)
    if json_path == "-":
        write_json(json_path, result.to_dict())
    return result.exit_status or (0 if drawn else 1)


def _html(files: list[str], result: Comparison, path: str) -> bool:
    """The files and the command's own comparison, drawn; a page that cannot be written is
    one line (the other outputs are written already)."""
    import sys
    from perfbench.cli.commands.report import argv
    from perfbench.report.page import write_inputs
    try:
        write_inputs(list(dict.fromkeys(files)), argv(), path, result)
    except OSError as exc:
        print(f"perfbench: could not write --html {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    wrote("--html", path)
    return True
