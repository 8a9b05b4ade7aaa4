"""The simulator's Network refuses settings a node cannot honour (rather than ignoring them)."""

from __future__ import annotations

import numpy as np
import pytest

from restock.errors import InputError
from restock.simulator.world import Network, Node, Vendor


def test_a_vendor_fed_node_refuses_a_transfer_lead_time() -> None:
    with pytest.raises(InputError, match=r"node 'a' is fed by vendor 'v'.*transfer_lead_time 3"):
        Network(vendors=(Vendor("v"),), nodes=(Node("a", "v", transfer_lead_time=3),))
    # a node fed by a node takes it; 0 on a vendor-fed node is what happens anyway
    net = Network(
        vendors=(Vendor("v"),),
        nodes=(Node("wh", "v", customer_facing=False), Node("fc", "wh", transfer_lead_time=3)),
    )
    assert net.node("fc").transfer_lead_time == 3
    Network(vendors=(Vendor("v"),), nodes=(Node("a", "v", transfer_lead_time=0),))


@pytest.mark.parametrize("value", [1.5, 2.0, True, "2"])
def test_a_transfer_lead_time_is_a_whole_number_of_periods(value: object) -> None:
    with pytest.raises(InputError, match=r"node 'fc': transfer_lead_time must be a whole number"):
        Node("fc", "wh", transfer_lead_time=value)  # type: ignore[arg-type]
    assert Node("fc", "wh", transfer_lead_time=np.int64(2)).transfer_lead_time == 2
