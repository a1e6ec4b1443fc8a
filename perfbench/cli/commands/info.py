"""``perfbench info``: what this machine offers, before anything is measured."""

from __future__ import annotations

import argparse

import openvino as ov
from perfbench.reporters.consoles import report_console
from rich.table import Table

from perfbench.system import environment
from perfbench.model.compile import plain_value
from perfbench.cli.arguments import check_writable_all
from perfbench.cli.outputs import wrote
from perfbench.files import write_json

HANDLES_SIGNALS = False

DEVICE_PROPERTIES = ("FULL_DEVICE_NAME", "OPTIMIZATION_CAPABILITIES", "RANGE_FOR_STREAMS",
                     "RANGE_FOR_ASYNC_INFER_REQUESTS", "INFERENCE_PRECISION_HINT",
                     "PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS")


def add_parser(sub) -> None:
    info = sub.add_parser("info", help="devices, CPU and OpenVINO version")
    info.add_argument("--json", help="also write the information as JSON (- for stdout)")


def run(args: argparse.Namespace) -> int:
    check_writable_all((args.json, "--json"))
    return info_command(args.json)


def device_info(core: ov.Core) -> dict[str, dict]:
    devices = {}
    for device in core.available_devices:
        props = {}
        for key in DEVICE_PROPERTIES:
            try:
                props[key] = plain_value(core.get_property(device, key))
            except Exception:  # properties differ between devices
                continue
        devices[device] = props
    return devices


def info_command(json_path: str | None) -> int:
    data = {"environment": environment.describe(), "devices": device_info(ov.Core())}
    console = report_console(stderr=json_path == "-")
    env = Table(title="Machine", title_justify="left", show_header=False)
    for key, value in data["environment"].items():
        env.add_row(key, _readable(key, value))
    console.print(env)
    for device, props in data["devices"].items():
        table = Table(title=f"Device {device}", title_justify="left", show_header=False)
        for key, value in props.items():
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            table.add_row(key, text)
        console.print(table)
    if json_path:
        write_json(json_path, data)
        wrote("--json", json_path)
    return 0


def _readable(key: str, value) -> str:
    """Bytes as GiB for people (the JSON keeps the exact count)."""
    if key.endswith("_bytes") and isinstance(value, int):
        return f"{value / 2**30:,.1f} GiB"
    return str(value)
