"""The household social network: who hears from and imitates whom.

Each household listens to a fixed number of others, almost all in its own village and a few
elsewhere. Word of mouth and peer uptake are one sparse matrix product per month over this
row-normalised matrix. No seed describes peer-to-peer spread directly; it is a modelling
assumption standing for demonstration households and neighbours' example (001, 002 §4.3).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from simulation.streams import Streams


def build_network(village: np.ndarray, n_villages: int, neighbours: int,
                  between_share: float, streams: Streams) -> sparse.csr_matrix:
    """Row-normalised directed adjacency (n x n); `village` must be sorted."""
    n = len(village)
    if neighbours == 0 or n < 2:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    rng = streams.rng("setup.network")
    counts = np.bincount(village, minlength=n_villages)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rows = np.repeat(np.arange(n), neighbours)
    v = village[rows]
    local = starts[v] + (rng.random(len(rows)) * counts[v]).astype(np.int64)
    anywhere = rng.integers(0, n, len(rows))
    cols = np.where(rng.random(len(rows)) < between_share, anywhere, local)
    # A household in a village of one, or drawing itself, listens to a random other instead.
    self_tie = cols == rows
    cols[self_tie] = (rows[self_tie] + 1 + rng.integers(0, n - 1, self_tie.sum())) % n
    data = np.full(len(rows), 1.0 / neighbours, dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
