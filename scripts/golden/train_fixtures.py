#!/usr/bin/env python3
"""Writes the small kprca.graph datasets the kprca-train end-to-end tests run on (committed under
tests/fixtures/train/; the tests never need Python):

  node-small.h5   task node: a stochastic block model of 200 nodes in 3 classes with noisy class
                  features; train/val/test masks (60/40/100 nodes).
  graph-small.h5  task graph: 90 small graphs (4..9 nodes, a path plus chords) in 3 classes; the
                  class shifts one feature of the first node; edge weights; graph_split 70/15/15.

Usage: python scripts/golden/train_fixtures.py [--out tests/fixtures/train]   (numpy, h5py)
"""
import argparse
import os

import h5py
import numpy as np


def write(path, task, arrays, names):
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = "kprca.graph"
        f.attrs["version"] = np.int64(1)
        f.attrs["task"] = task
        for k, v in arrays.items():
            f.create_dataset(k, data=v)
        f.create_dataset("labels/names", data=np.array(names, dtype=object), dtype=h5py.string_dtype())
    os.replace(tmp, path)


def csr(n, edges):
    """CSR by destination from (src, dst) pairs."""
    rows = [[] for _ in range(n)]
    for s, d in edges:
        rows[d].append(s)
    indptr = np.zeros(n + 1, np.int32)
    indices = []
    for i, r in enumerate(rows):
        indices += sorted(r)
        indptr[i + 1] = len(indices)
    return indptr, np.array(indices, np.int32)


def node_small(path, rng):
    n, c, f = 200, 3, 8
    y = rng.integers(0, c, n).astype(np.int32)
    centre = rng.normal(size=(c, f))
    x = (0.5 * centre[y] + rng.normal(size=(n, f))).astype(np.float32)
    edges = []
    for i in range(n):
        for j in range(i + 1, n):
            p = 0.06 if y[i] == y[j] else 0.006
            if rng.random() < p:
                edges += [(i, j), (j, i)]
    indptr, indices = csr(n, edges)
    order = rng.permutation(n)
    masks = {k: np.zeros(n, np.int8) for k in ("train_mask", "val_mask", "test_mask")}
    masks["train_mask"][order[:60]] = 1
    masks["val_mask"][order[60:100]] = 1
    masks["test_mask"][order[100:]] = 1
    write(path, "node", dict(x=x, indptr=indptr, indices=indices, y=y, **masks), ["oom", "gpu_xid", "nfs"])


def graph_small(path, rng):
    G, c, f = 90, 3, 6
    xs, edges, ptr, gy, split, w = [], [], [0], [], [], []
    for g in range(G):
        nn, base = int(rng.integers(4, 10)), ptr[-1]
        label = g % c
        x = 0.5 * rng.normal(size=(nn, f))
        x[0, label] += 2.0
        xs.append(x)
        for i in range(1, nn):
            edges += [(base + i - 1, base + i), (base + i, base + i - 1)]
            if i > 1 and rng.random() < 0.3:
                edges += [(base, base + i)]
        ptr.append(base + nn)
        gy.append(label)
        split.append(0 if g % 20 < 14 else 1 if g % 20 < 17 else 2)
    n = ptr[-1]
    indptr, indices = csr(n, edges)
    w = (0.5 + rng.random(len(indices))).astype(np.float32)
    write(path, "graph", dict(x=np.concatenate(xs).astype(np.float32), indptr=indptr, indices=indices, edge_weight=w,
                              graph_ptr=np.array(ptr, np.int64), graph_y=np.array(gy, np.int32),
                              graph_split=np.array(split, np.int8)), ["oom", "gpu_xid", "nfs"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "train"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(7)
    node_small(os.path.join(a.out, "node-small.h5"), rng)
    graph_small(os.path.join(a.out, "graph-small.h5"), rng)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
