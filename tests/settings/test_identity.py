"""A result's configuration identity: one definition for compare, history and fleet."""

import pytest

from perfbench.results import from_document
from perfbench.settings.config import SETTINGS
from perfbench.settings.identity import IDENTITY_KEYS, configuration_key
from perfbench.sizing.fleet import measured_from
from perfbench.tracking import history
from perfbench.tracking.verdict import like_with_like
from tests.models import synthetic_document

#: One changed setting each, with whether it changes what is measured.
CHANGES = [({"threads": 2}, True), ({"device": "AUTO"}, True), ({"pin": False}, True),
           ({"api": "sync"}, True), ({"streams": 2}, True), ({"requests": 4}, True),
           ({"precision": "bf16"}, True), ({"fill": "zeros"}, True),
           ({"input": ["x=a.npy"]}, True), ({"scenario": "server", "rate": 50.0}, True),
           ({"hint": "latency"}, True), ({"shape": "[1,3,8,8]"}, True),
           ({"seed": 7}, False), ({"time": 3.0}, False), ({"iterations": 100}, False),
           ({"warmup": 1.0}, False), ({"repeat": 3}, False), ({"label": "c7i"}, False),
           ({"sla_ms": 5.0}, False), ({"roofline": True}, False),
           ({"model": "/elsewhere/m.xml"}, False), ({"cache_dir": "/tmp/c"}, False),
           ({"until_stable": 2.0, "max_time": 30.0}, False)]


def _document(**requested):
    doc = synthetic_document([100.0, 100.0])
    doc["config"]["requested"].update(requested)
    doc["host"] = {"hardware_class": "k", "hostname": "h"}
    return doc


def test_every_setting_declares_whether_it_is_identity():
    assert set(IDENTITY_KEYS) == {k for k, s in SETTINGS.items() if s.identity}
    for name in ("threads", "device", "pin", "api", "fill", "scenario", "rate"):
        assert name in IDENTITY_KEYS
    for name in ("time", "seed", "label", "sla_ms", "repeat", "model"):
        assert name not in IDENTITY_KEYS


@pytest.mark.parametrize("change, splits", CHANGES, ids=lambda c: str(c))
def test_compare_history_and_fleet_agree_on_what_is_the_same_configuration(change, splits):
    """A setting that changes what is measured splits compare (a warning), the history (a
    series) and the fleet report (a configuration) alike; any other setting splits none."""
    base = from_document(_document(), "base")
    other = from_document(_document(**change), "other")
    assert (configuration_key(base) != configuration_key(other)) == splits
    config_warnings = [w for w in like_with_like([base], [other]) if "different" in w]
    assert bool(config_warnings) == splits, config_warnings
    assert (history.config_key(base) != history.config_key(other)) == splits
    (fleet_base,) = measured_from(_document(), "a.json")
    (fleet_other,) = measured_from(_document(**change), "b.json")
    assert (fleet_base.configuration_key != fleet_other.configuration_key) == splits


def test_a_file_from_before_a_setting_existed_counts_as_its_default():
    old = _document()
    for name in ("fill", "input", "input_cast", "api", "pin"):
        old["config"]["requested"].pop(name, None)
    new = _document(fill="seeded", input=None, input_cast=False, api="async", pin=None)
    assert configuration_key(from_document(old, "old")) == \
        configuration_key(from_document(new, "new"))


def test_the_model_is_what_was_read_not_its_path():
    base = _document()
    other = _document()
    other["model"]["inputs"] = [{"name": "x", "element_type": "f32", "shape": [1, 3, 8, 8],
                                 "data": "seeded (seed 0)"}]
    assert configuration_key(from_document(base, "a")) != \
        configuration_key(from_document(other, "b"))
    again = _document()
    again["model"]["inputs"] = [dict(other["model"]["inputs"][0], data="random (seed 991)")]
    assert configuration_key(from_document(other, "b")) == \
        configuration_key(from_document(again, "c"))
    again["model"]["gflops_per_image"] = 3.0
    again["results"]["effective_gflops"] = 3.0 * again["results"]["fps"]
    assert configuration_key(from_document(other, "b")) != \
        configuration_key(from_document(again, "c"))
