"""The household social network: who hears from and imitates whom.

Each household listens to a fixed number of others, almost all in its own village and a few
elsewhere. Word of mouth and peer uptake are sparse matrix products over this row-normalised
matrix, computed only for the households that need them. No seed describes peer-to-peer
spread directly; it is a modelling assumption standing for demonstration households and
neighbours' example (001, 002 §4.3).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import _sparsetools

from simulation import threads
from simulation.streams import Streams

#: Rows above which a product with the network is split over threads (POVSIM_THREADS=1: off).
PARALLEL_ROWS = 200_000
#: Below this share of households, a product for some rows slices those rows out first.
SUBSET_SHARE = 0.05


def _map(fn, chunks) -> None:
    pool = threads.pool("network", 4)
    for f in [pool.submit(fn, lo, hi) for lo, hi in chunks]:
        f.result()


class HouseholdNetwork(sparse.csr_matrix):
    """The network as a CSR matrix whose products with dense vectors split the rows over
    threads. Each row is summed exactly as scipy sums it (scipy's own kernel, which releases
    the GIL), so the values are identical; only large float products are split."""

    def _chunks(self, other: np.ndarray):
        m = self.shape[0]
        k = threads.wanted()
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


class NeighbourCounts:
    """Shares of neighbours for yes/no traits (aware, taking part), by counting.

    scipy sums a row as 0 + w*x_1 + w*x_2 + ... in float32, in the row's order. When x is 0
    or 1 and every weight of the row is the same w (a household whose ties were all
    distinct), that sum depends only on how many x are 1: the share is a lookup of the
    float32 running sum of w by the count. Rows with merged (repeated) ties are summed by
    scipy itself. Either way the values are those of `network @ x`, bit for bit.
    """

    def __init__(self, network: sparse.csr_matrix):
        n = network.shape[0]
        lengths = np.diff(network.indptr)
        self.width = int(lengths.max()) if network.nnz else 0
        w = network.data[0] if network.nnz else np.float32(0)
        plain = lengths == self.width
        if network.nnz:
            row_of = np.repeat(np.arange(n), lengths)
            plain &= np.bincount(row_of, weights=network.data != w, minlength=n) == 0
        self.plain = plain
        # index[j, i]: household i's j-th tie (rows with merged ties: unused, 0).
        first = np.where(plain, network.indptr[:-1], 0)
        self.index = np.stack([np.where(plain, network.indices[np.minimum(first + j,
                                                                          network.nnz - 1)], 0)
                               for j in range(self.width)]).astype(np.int32)
        sums = np.zeros(self.width + 1, dtype=np.float32)
        for m in range(1, self.width + 1):
            sums[m] = sums[m - 1] + w
        self.sum_of = sums

    def share(self, network: sparse.csr_matrix, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        """`(network @ x)[rows]` for bool `x` of shape (n, c), c <= 8."""
        c = x.shape[1]
        code = np.zeros(len(x), dtype=np.uint8)  # one bit per column
        for k in range(c):
            code |= x[:, k].view(np.uint8) << np.uint8(k)
        # Each neighbour adds its bits into eight one-byte counters held in one integer.
        counts = np.zeros(len(rows), dtype="<u8")
        for j in range(self.width):
            counts += _BYTE_LANES[code[self.index[j, rows]]]
        out = self.sum_of[counts.view(np.uint8).reshape(len(rows), 8)[:, :c]]
        self._sum_merged(network, rows, x, out)
        return out

    def _sum_merged(self, network: sparse.csr_matrix, rows: np.ndarray, x: np.ndarray,
                    out: np.ndarray) -> None:
        """Rows with merged (repeated) ties are summed by scipy's kernel, with only their
        neighbours' values, into `out`."""
        other = ~self.plain[rows]
        if other.any():
            sub = network[rows[other]]
            ties = sparse.csr_matrix((sub.data, np.arange(sub.nnz), sub.indptr),
                                     shape=(sub.shape[0], sub.nnz))
            out[other] = ties @ x[sub.indices].astype(np.float32)


class PeerCounts:
    """Shares of neighbours with each of a few yes/no traits (taking part in a programme,
    aware of it), from counts kept up to date.

    The traits change little from month to month, so instead of summing every row's ties
    each month, the number of each household's neighbours with each trait is kept and
    moved by the households whose trait changed since the last snapshot (through the ties
    into them). The share is then the running float32 sum of that many ties, exactly as for
    `NeighbourCounts`; rows with merged ties are summed by scipy. The values are those of
    `network @ snapshot`, bit for bit.
    """

    def __init__(self, network: sparse.csr_matrix, traits: int):
        n = network.shape[0]
        self.network = network
        self.neighbours = neighbour_counts(network)
        self.into = network.T.tocsr()  # row p: the households that listen to p
        self.snapshot = np.zeros((n, traits), dtype=bool, order="F")
        self.counts = np.zeros((n, traits), dtype=np.int32, order="F")

    def update(self, traits: np.ndarray, own: bool = False) -> None:
        """Take a new snapshot (bool, n x traits); `own`: `traits` is a fresh array nothing
        else changes, kept as it is instead of copied."""
        for k in range(traits.shape[1]):
            now, before = traits[:, k], self.snapshot[:, k]
            changed = np.flatnonzero(now != before)
            if len(changed):
                gained = now[changed]
                self._add(k, self.into[changed[gained]].indices, 1)
                self._add(k, self.into[changed[~gained]].indices, -1)
        self.snapshot = (np.asarray(traits, dtype=bool, order="F") if own
                         else np.array(traits, dtype=bool, order="F"))

    def _add(self, k: int, listeners: np.ndarray, sign: int) -> None:
        """Add `sign` (+1 or -1) to the count of each of `listeners` (repeats count
        again)."""
        column, n = self.counts[:, k], len(self.counts)
        if len(listeners) > n // 16:  # many: one count over all households
            add = np.add if sign > 0 else np.subtract  # sign is +1 or -1
            add(column, np.bincount(listeners, minlength=n), out=column, casting="unsafe")
        elif len(listeners):  # few: count the distinct ones (np.add.at is far slower)
            rows, times = np.unique(listeners, return_counts=True)
            column[rows] += sign * times.astype(np.int32)

    def share(self, rows: np.ndarray, k: int) -> np.ndarray:
        """`(network @ snapshot[:, k])[rows]` as float32."""
        if self.network.nnz == 0:
            return np.zeros(len(rows), dtype=np.float32)
        out = self.neighbours.sum_of[self.counts[rows, k]]
        self.neighbours._sum_merged(self.network, rows, self.snapshot[:, k], out)
        return out


#: Byte b spread to one bit per byte of a little-endian 64-bit integer (bit k -> byte k).
_BYTE_LANES = np.array([sum(((b >> k) & 1) << (8 * k) for k in range(8)) for b in range(256)],
                       dtype="<u8")


def neighbour_counts(network: sparse.csr_matrix) -> NeighbourCounts:
    """The network's NeighbourCounts, built once and kept on the matrix."""
    counts = getattr(network, "_povsim_counts", None)
    if counts is None:
        counts = NeighbourCounts(network)
        network._povsim_counts = counts
    return counts


def product_rows(network: sparse.csr_matrix, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`(network @ x)[rows]` for bool or float32 `x` of shape (n,) or (n, c), the same values.

    Several yes/no traits at once are counted (NeighbourCounts); otherwise scipy's kernel
    sums every row in the same order, on the rows sliced out when they are few, or as the
    whole product (over threads).
    """
    n = network.shape[0]
    if (x.dtype == bool and x.ndim == 2 and x.shape[1] <= 8 and network.nnz
            and neighbour_counts(network).width <= 255):  # counts fit in a byte
        return neighbour_counts(network).share(network, rows, x)
    x = np.asarray(x, dtype=np.float32, order="C")
    if len(rows) < SUBSET_SHARE * n:
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
