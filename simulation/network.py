"""The household social network: who hears from and imitates whom.

Each household listens to a fixed number of others, almost all in its own village and a few
elsewhere. Word of mouth and peer uptake are sparse matrix products over this row-normalised
matrix, computed only for the households that need them. No seed describes peer-to-peer
spread directly; it is a modelling assumption standing for demonstration households and
neighbours' example (001, 002 §4.3).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from scipy.sparse import _sparsetools

from simulation.streams import Streams

#: Rows above which a product with the network is split over threads (POVSIM_THREADS=1: off).
PARALLEL_ROWS = 200_000
#: Below this share of households, a product for some rows slices those rows out first.
SUBSET_SHARE = 0.05
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> int:
    try:
        wanted = int(os.environ.get("POVSIM_THREADS", "0"))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else min(len(os.sched_getaffinity(0)), 4)


def _map(fn, chunks) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="povsim-network")
    for f in [_pool.submit(fn, lo, hi) for lo, hi in chunks]:
        f.result()


class HouseholdNetwork(sparse.csr_matrix):
    """The network as a CSR matrix whose products with dense vectors split the rows over
    threads. Each row is summed exactly as scipy sums it (scipy's own kernel, which releases
    the GIL), so the values are identical; only large float products are split."""

    def _chunks(self, other: np.ndarray):
        m = self.shape[0]
        k = _threads()
        if (self.ndim != 2 or m < PARALLEL_ROWS or k < 2 or other.dtype != self.dtype
                or self.dtype not in (np.float32, np.float64)):
            return None
        edges = np.linspace(0, m, k + 1).astype(np.int64)
        return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True)
                if hi > lo]

    def _matmul_vector(self, other):
        chunks = self._chunks(other)
        if chunks is None:
            return super()._matmul_vector(other)
        x = np.ascontiguousarray(other)
        result = np.zeros(self.shape[0], dtype=self.dtype)
        ip, ind, data, n = self.indptr, self.indices, self.data, self.shape[1]
        _map(lambda lo, hi: _sparsetools.csr_matvec(hi - lo, n, ip[lo:hi + 1], ind, data, x,
                                                     result[lo:hi]), chunks)
        return result

    def _matmul_multivector(self, other):
        chunks = self._chunks(other)
        if chunks is None:
            return super()._matmul_multivector(other)
        n_vecs = other.shape[-1]
        x = np.ascontiguousarray(other).ravel()
        result = np.zeros((self.shape[0], n_vecs), dtype=self.dtype)
        ip, ind, data, n = self.indptr, self.indices, self.data, self.shape[1]
        _map(lambda lo, hi: _sparsetools.csr_matvecs(hi - lo, n, n_vecs, ip[lo:hi + 1], ind,
                                                      data, x, result[lo:hi].ravel()), chunks)
        return result


def product_rows(network: sparse.csr_matrix, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`(network @ x)[rows]` for bool or float32 `x` of shape (n,) or (n, c), the same values.

    Every row is summed by scipy's kernel in the same order either way; for a few rows the
    rows are sliced out first, otherwise the whole product (over threads) is cheaper.
    """
    x = np.asarray(x, dtype=np.float32, order="C")
    if len(rows) < SUBSET_SHARE * network.shape[0]:
        return network[rows] @ x
    return (network @ x)[rows]


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
    return HouseholdNetwork(sparse.csr_matrix((data, (rows, cols)), shape=(n, n)))
