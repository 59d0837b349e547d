#!/usr/bin/env python3
"""Write tests/fixtures/data/h5py_graph.h5: a tiny kprca.graph file made the way a user would make
it with h5py's defaults (float64 features, int64 CSR and labels, numpy bool masks, str attributes,
a list of str as label names, no compression), so the C reader is tested against h5py's types.

    build/pyvenv/bin/python scripts/golden/h5py_graph_fixture.py   (needs numpy and h5py from PyPI)
"""
import os

import h5py
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "data", "h5py_graph.h5")
with h5py.File(out, "w", track_order=False) as f:
    f.attrs["format"] = "kprca.graph"
    f.attrs["version"] = 1
    f.attrs["task"] = "node"
    f["x"] = np.array([[1.0, 0.0], [0.5, 2.0], [0.0, 0.0], [-3.25, 1e-3]])  # float64
    f["indptr"] = np.array([0, 1, 3, 4, 4])  # int64: 0<-1, 1<-0, 1<-2, 2<-1; node 3 isolated
    f["indices"] = np.array([1, 0, 2, 1])
    f["y"] = np.array([0, 1, 1, -1])
    f["train_mask"] = np.array([True, False, False, False])
    f["val_mask"] = np.array([False, True, False, False])
    f["test_mask"] = np.array([False, False, True, False])
    f["labels/names"] = ["normal", "fault \u2192 panic"]  # h5py stores a list of str as vlen UTF-8
print(f"wrote {os.path.normpath(out)}")
