"""Products with the household network for some rows equal the whole product's rows."""

import numpy as np
import pytest

from simulation.network import build_network, neighbour_counts, product_rows
from simulation.streams import Streams


@pytest.mark.parametrize("share", [0.001, 0.02, 0.3, 1.0])
def test_product_rows_equals_whole_product(share):
    rng = np.random.default_rng(5)
    n = 20_000
    village = np.sort(rng.integers(0, 200, n)).astype(np.int32)
    network = build_network(village, 200, 6, 0.1, Streams(3))
    plain = neighbour_counts(network).plain
    assert 0.5 < plain.mean() < 1.0  # both paths: rows counted, rows with merged ties summed
    rows = np.flatnonzero(rng.random(n) < share)
    x = rng.random((n, 3)) < 0.4
    whole = network @ x.astype(np.float32)
    assert np.array_equal(product_rows(network, rows, x), whole[rows])  # bit for bit
    assert np.array_equal(product_rows(network, rows, x[:, 1]), whole[rows, 1])
    column = np.asfortranarray(x)[:, 2]  # a strided column, as the model passes them
    assert np.array_equal(product_rows(network, rows, column), whole[rows, 2])



def test_peer_counts_kept_up_to_date_equal_the_product():
    from simulation.network import PeerCounts

    rng = np.random.default_rng(8)
    n = 20_000
    village = np.sort(rng.integers(0, 200, n)).astype(np.int32)
    network = build_network(village, 200, 6, 0.1, Streams(4))
    peers = PeerCounts(network, 3)
    taking_part = np.zeros((n, 3), dtype=bool, order="F")
    for share_changed in (0.3, 0.01, 0.0, 0.05, 0.5):  # joins and leaves, month by month
        taking_part ^= rng.random((n, 3)) < share_changed
        peers.update(taking_part)
        whole = network @ taking_part.astype(np.float32)
        rows = np.flatnonzero(rng.random(n) < 0.3)
        for k in range(3):
            assert np.array_equal(peers.share(rows, k), whole[rows, k])  # bit for bit
