"""Which nodes measure (perfbench.sizing.fleet_nodes)."""

import pytest

from tests.sizing.test_fleet_run import FakeExecutor


def test_two_nodes_with_one_identity_are_refused():
    from perfbench.errors import UsageError
    from perfbench.sizing.fleet_nodes import measuring_nodes
    executor = FakeExecutor()
    executor.nodes = lambda: [{"id": i, "hostname": "host", "alive": True, "offers": True,
                               "labels": {}} for i in ("x", "y")]
    with pytest.raises(UsageError, match="share the identity 'host'"):
        measuring_nodes(executor, {})
