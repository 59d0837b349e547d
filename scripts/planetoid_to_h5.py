#!/usr/bin/env python3
"""Convert a Planetoid citation graph (Cora, CiteSeer, PubMed) to kprca's graph HDF5 format.

    python3 scripts/planetoid_to_h5.py --name cora --dir ../shared/data/planetoid --out cora.h5

Reads the Planetoid release files ind.NAME.{x,tx,allx,y,ty,ally,graph,test.index} (Python 2
pickles) and reproduces the reference preprocessing (Kipf & Welling's gcn/utils.py, PyTorch
Geometric's read_planetoid_data):
  - features: allx and tx stacked; the test rows are put at the ids listed in test.index;
  - CiteSeer: test ids with no row in tx (isolated nodes) get an all-zero feature row and an
    all-zero one-hot label, hence label 0 (argmax of zeros), as the reference does;
  - labels: argmax of the one-hot rows;
  - public split: train = the first len(y) nodes (140 for Cora), val = the next 500, test = the
    ids in test.index (1000);
  - edges: every (node, neighbour) pair of the adjacency dict, self loops removed, duplicates
    removed (PyG: remove_self_loops + coalesce). The release's dicts are symmetric, so the result
    is an undirected graph stored as two directed entries per edge (Cora: 10556 = 2 x 5278).
Features are stored raw (row normalisation is a training-time transform, as in PyG).

Writes format "kprca.graph" version 1, task "node" (docs/datasets.md, "HDF5 datasets"), through a
temporary file renamed into place. Needs numpy, scipy and h5py from PyPI; not used by any test:
    python3 -m venv build/pyvenv && build/pyvenv/bin/pip install numpy scipy h5py
"""
import argparse
import warnings
import os
import pickle
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import scipy.sparse as sp
except ImportError as e:  # pragma: no cover
    sys.exit(f"planetoid_to_h5.py: {e}; install with: pip install numpy scipy h5py")

NAMES = ("cora", "citeseer", "pubmed")


def fail(msg):
    print(f"planetoid_to_h5.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_part(folder, name, part):
    path = os.path.join(folder, f"ind.{name}.{part}")
    if not os.path.isfile(path):
        fail(f"{path}: file not found")
    if part == "test.index":
        with open(path) as f:
            return np.array([int(line) for line in f if line.strip()], dtype=np.int64)
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old scipy module paths inside the pickles
        obj = pickle.load(f, encoding="latin1")  # Python 2 pickles
    if part == "graph":
        return obj
    return np.asarray(obj.todense() if sp.issparse(obj) else obj)


def convert(folder, name):
    x, tx, allx, y, ty, ally, graph, test_index = (
        load_part(folder, name, p) for p in ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index"))
    sorted_test = np.sort(test_index)
    lo, hi = int(sorted_test[0]), int(sorted_test[-1])
    # Test ids without a row in tx (CiteSeer's isolated nodes): zero feature rows and zero labels.
    # For Cora and PubMed the test ids are one contiguous range and this changes nothing.
    padded = (hi - lo + 1) - len(test_index)
    if padded:
        tx_ext = np.zeros((hi - lo + 1, tx.shape[1]), dtype=tx.dtype)
        tx_ext[sorted_test - lo] = tx
        ty_ext = np.zeros((hi - lo + 1, ty.shape[1]), dtype=ty.dtype)
        ty_ext[sorted_test - lo] = ty
        tx, ty = tx_ext, ty_ext
    feats = np.vstack([allx, tx]).astype(np.float32)
    onehot = np.vstack([ally, ty])
    feats[test_index] = feats[sorted_test]
    onehot[test_index] = onehot[sorted_test]
    labels = onehot.argmax(axis=1).astype(np.int32)
    n = feats.shape[0]

    train = np.zeros(n, np.int8)
    val = np.zeros(n, np.int8)
    test = np.zeros(n, np.int8)
    train[np.arange(len(y))] = 1
    val[np.arange(len(y), len(y) + 500)] = 1
    test[test_index] = 1

    src, dst = [], []
    for node, nbrs in graph.items():
        src.extend([node] * len(nbrs))
        dst.extend(nbrs)
    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    raw = len(src)
    if raw and (src.max() >= n or dst.max() >= n or min(src.min(), dst.min()) < 0):
        fail(f"{name}: the adjacency dict names nodes outside [0, {n})")
    loops = int((src == dst).sum())
    keep = src != dst
    src, dst = src[keep], dst[keep]
    # kprca's CSR row i lists the nodes whose messages reach i: row = target (dst), entry = source.
    key = np.unique(dst * n + src)
    dups = len(src) - len(key)
    rows, cols = key // n, key % n
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr).astype(np.int32)
    indices = cols.astype(np.int32)
    pairs = set(zip(rows.tolist(), cols.tolist()))
    symmetric = all((b, a) in pairs for a, b in pairs)
    degree = np.diff(indptr)

    info = dict(nodes=n, features=feats.shape[1], classes=onehot.shape[1], entries=len(indices),
                raw_entries=raw, self_loops_removed=loops, duplicates_removed=dups, symmetric=symmetric,
                isolated=int((degree == 0).sum()), padded_test_rows=padded,
                train=int(train.sum()), val=int(val.sum()), test=int(test.sum()))
    data = dict(x=feats, indptr=indptr, indices=indices, y=labels, train_mask=train, val_mask=val, test_mask=test)
    return data, info


def write(out, name, data, num_classes):
    folder = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(out) + ".tmp-", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = "kprca.graph"
            f.attrs["version"] = np.int64(1)
            f.attrs["task"] = "node"
            f.attrs["source"] = f"Planetoid ind.{name}.* with the public split (Kipf & Welling; PyG)"
            for key, arr in data.items():
                f.create_dataset(key, data=arr, chunks=True, compression="gzip", compression_opts=4, shuffle=True)
            names = np.array([f"class_{k}" for k in range(num_classes)], dtype=object)
            f.create_dataset("labels/names", data=names, dtype=h5py.string_dtype("utf-8"), chunks=True,
                             compression="gzip", compression_opts=4)
        os.chmod(tmp, 0o666 & ~current_umask())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", required=True, choices=NAMES, type=str.lower)
    ap.add_argument("--dir", required=True, help="folder holding ind.NAME.* files")
    ap.add_argument("--out", required=True, help="output .h5 file")
    args = ap.parse_args()
    data, info = convert(args.dir, args.name)
    write(args.out, args.name, data, info["classes"])
    print(f"{args.name}: {info['nodes']} nodes, {info['features']} features, {info['classes']} classes, "
          f"{info['entries']} directed entries ({info['entries'] // 2} undirected edges), "
          f"symmetric: {'yes' if info['symmetric'] else 'NO'}")
    print(f"  adjacency dict: {info['raw_entries']} entries, {info['self_loops_removed']} self loops and "
          f"{info['duplicates_removed']} duplicates removed; {info['isolated']} isolated nodes; "
          f"{info['padded_test_rows']} zero rows padded for test ids without features")
    print(f"  split: train {info['train']}, val {info['val']}, test {info['test']}")
    y = data["y"]
    print(f"  {'class':<8} {'train':>6} {'val':>6} {'test':>6} {'all':>6}")
    for c in range(info["classes"]):
        m = y == c
        print(f"  {'class_' + str(c):<8} {int((m & (data['train_mask'] == 1)).sum()):>6} "
              f"{int((m & (data['val_mask'] == 1)).sum()):>6} {int((m & (data['test_mask'] == 1)).sum()):>6} "
              f"{int(m.sum()):>6}")
    print(f"  wrote {args.out}")


if __name__ == "__main__":
    main()
