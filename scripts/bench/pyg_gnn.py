#!/usr/bin/env python3
"""The PyTorch Geometric side of scripts/bench/gnn_bench.sh.

Trains the model a resolved kprca config describes (the YAML `kprca-train --print-config` writes), on
the same kprca.graph HDF5 dataset, with the same hyperparameters, the same model structure as kprca's
(per layer: dropout, conv, activation; the last layer of a node model has no activation; graph models
pool the node states and apply a Linear head with dropout before each Linear) and the same per-epoch
work (one pass over the training data, then the validation split evaluated every train.eval_every
epochs). Prints one JSON object: seconds per epoch (mean over the epochs after the first), total
training seconds, peak RSS of this process in MiB, and the final validation / test accuracy.

usage: pyg_gnn.py --config RESOLVED.yaml [--epochs N] [--device cpu|cuda] [--threads T]
"""
import argparse
import json
import resource
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GATConv, GCNConv, SAGEConv, global_add_pool, global_max_pool, global_mean_pool


def load_graph(path):
    with h5py.File(path, "r") as f:
        fmt = f.attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt != "kprca.graph":
            sys.exit(f"pyg_gnn.py: {path}: format {fmt!r}, expected kprca.graph")
        d = {k: f[k][()] for k in f.keys() if isinstance(f[k], h5py.Dataset)}
        d["label_names"] = [s.decode() if isinstance(s, bytes) else s for s in f["labels/names"][()]]
        d["task"] = f.attrs["task"].decode() if isinstance(f.attrs["task"], bytes) else f.attrs["task"]
    return d


def csr_to_edge_index(indptr, indices):
    """kprca's CSR row i lists the sources of the edges into node i: edge_index = [sources; targets]."""
    counts = np.diff(indptr)
    dst = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return torch.from_numpy(np.stack([indices.astype(np.int64), dst]))


ACTS = {"relu": F.relu, "elu": F.elu, "gelu": F.gelu, "leaky_relu": F.leaky_relu, "tanh": torch.tanh}
POOLS = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}


class Net(torch.nn.Module):
    def __init__(self, m, in_dim, classes, task):
        super().__init__()
        self.task, self.dropout, self.act = task, m["dropout"], ACTS[m["activation"]]
        L, hidden, name = m["layers"], m["hidden"], m["name"]
        node_out = task == "node" and m["head_layers"] == 0
        self.convs = torch.nn.ModuleList()
        width = in_dim
        for l in range(L):
            last = node_out and l == L - 1
            out = classes if last else hidden
            if name == "gcn":
                conv = GCNConv(width, out, add_self_loops=m["self_loops"], normalize=m["normalize"], bias=m["bias"])
                width = out
            elif name == "sage":
                conv = SAGEConv(width, out, aggr=m["aggr"], root_weight=m["root_weight"], bias=m["bias"])
                width = out
            elif name == "gat":
                heads = m["out_heads"] if last else m["heads"]
                concat = False if last else m["concat"]
                conv = GATConv(width, out, heads=heads, concat=concat, negative_slope=m["negative_slope"],
                               dropout=m["attn_dropout"], add_self_loops=m["self_loops"], bias=m["bias"])
                width = out * heads if concat else out
            else:
                sys.exit(f"pyg_gnn.py: model {name} not supported")
            self.convs.append(conv)
        self.node_out = node_out
        self.head = torch.nn.ModuleList()
        if not node_out:
            dims = [width] + [hidden] * (max(m["head_layers"], 1) - 1) + [classes]
            for a, b in zip(dims[:-1], dims[1:]):
                self.head.append(torch.nn.Linear(a, b))
        self.pool = POOLS[m["readout"]]

    def forward(self, x, edge_index, batch=None):
        L = len(self.convs)
        for l, conv in enumerate(self.convs):
            x = F.dropout(x, self.dropout, self.training)
            x = conv(x, edge_index)
            if not (self.node_out and l == L - 1):
                x = self.act(x)
        if self.node_out:
            return x
        if self.task == "graph":
            x = self.pool(x, batch)
        for i, lin in enumerate(self.head):
            x = F.dropout(x, self.dropout, self.training)
            x = lin(x)
            if i + 1 < len(self.head):
                x = self.act(x)
        return x


def make_optimizer(model, o):
    first = list(model.convs[0].parameters())
    rest = [p for p in model.parameters() if all(p is not q for q in first)]
    wd = o["weight_decay"]
    groups = [dict(params=first, weight_decay=wd), dict(params=rest, weight_decay=wd if o["weight_decay_scope"] == "all" else 0.0)]
    if o["name"] == "adam":
        return torch.optim.Adam(groups, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"])
    if o["name"] == "adamw":
        return torch.optim.AdamW(groups, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"])
    return torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"])


def class_weights(cw, y, classes):
    if cw in (None, "none"):
        return None
    if cw == "balanced":
        counts = np.bincount(y, minlength=classes).astype(np.float64)
        w = len(y) / (classes * np.maximum(counts, 1))
        return torch.tensor(w, dtype=torch.float32)
    return torch.tensor(cw, dtype=torch.float32)


def split_masks(d, cfg, n, labels):
    split = cfg["data"]["split"]
    if split != "file":
        rng = np.random.default_rng(cfg["train"]["seed"])
        s = np.zeros(n, np.int8)
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            nt, nv = round(len(idx) * split[2]), round(len(idx) * split[1])
            s[idx[:nt]], s[idx[nt:nt + nv]] = 2, 1
        return s
    if "graph_split" in d:
        return d["graph_split"]
    s = np.full(n, -1, np.int8)
    s[d["train_mask"].astype(bool)] = 0
    s[d["val_mask"].astype(bool)] = 1
    s[d["test_mask"].astype(bool)] = 2
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = yaml.safe_load(f)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(cfg["train"]["seed"])
    dev = torch.device(a.device)
    m, o, t = cfg["model"], cfg["optim"], cfg["train"]
    epochs = a.epochs or t["epochs"]
    d = load_graph(cfg["data"]["path"])
    x = torch.from_numpy(d["x"].astype(np.float32))
    if cfg["data"]["normalize_features"]:
        x = x / x.sum(1, keepdim=True).clamp(min=1e-12)
    ei = csr_to_edge_index(d["indptr"], d["indices"])
    classes = len(d["label_names"])
    task = m["task"]
    model = Net(m, x.shape[1], classes, task).to(dev)
    opt = make_optimizer(model, o)
    t0 = time.perf_counter()
    times = []
    if task == "node":
        y = torch.from_numpy(d["y"].astype(np.int64))
        s = torch.from_numpy(split_masks(d, cfg, len(y), d["y"]))
        data = Data(x=x, edge_index=ei, y=y).to(dev)
        tr, va, te = (s == 0).to(dev), (s == 1).to(dev), (s == 2).to(dev)
        w = class_weights(t["class_weights"], d["y"][s.numpy() == 0], classes)
        w = w.to(dev) if w is not None else None
        for ep in range(epochs):
            e0 = time.perf_counter()
            model.train()
            opt.zero_grad()
            out = model(data.x, data.edge_index)
            loss = F.cross_entropy(out[tr], data.y[tr], weight=w)
            loss.backward()
            if o["clip_norm"] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), o["clip_norm"])
            opt.step()
            if (ep + 1) % t["eval_every"] == 0:
                model.eval()
                with torch.no_grad():
                    out = model(data.x, data.edge_index)
                    F.cross_entropy(out[va], data.y[va]).item()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - e0)
        model.eval()
        with torch.no_grad():
            pred = model(data.x, data.edge_index).argmax(1)
        acc = {k: (pred[mk] == data.y[mk]).float().mean().item() for k, mk in (("val", va), ("test", te))}
    else:
        gp, gy = d["graph_ptr"], d["graph_y"].astype(np.int64)
        s = split_masks(d, cfg, len(gy), gy)
        counts = np.diff(d["indptr"])
        graphs = {0: [], 1: [], 2: []}
        for g in range(len(gy)):
            a0, a1 = int(gp[g]), int(gp[g + 1])
            e0, e1 = int(d["indptr"][a0]), int(d["indptr"][a1])
            src = d["indices"][e0:e1].astype(np.int64) - a0
            dst = np.repeat(np.arange(a1 - a0, dtype=np.int64), counts[a0:a1])
            if s[g] in graphs:
                graphs[int(s[g])].append(Data(x=x[a0:a1], edge_index=torch.from_numpy(np.stack([src, dst])),
                                              y=torch.tensor([gy[g]])))
        bs = cfg["data"]["batch_size"] or max(len(graphs[0]), 1)
        loader = DataLoader(graphs[0], batch_size=bs, shuffle=cfg["data"]["shuffle"])
        val_loader = DataLoader(graphs[1], batch_size=max(bs, 256))
        test_loader = DataLoader(graphs[2], batch_size=max(bs, 256))
        w = class_weights(t["class_weights"], gy[s == 0], classes)
        w = w.to(dev) if w is not None else None

        def evaluate(ld):
            model.eval()
            right = total = 0
            with torch.no_grad():
                for b in ld:
                    b = b.to(dev)
                    p = model(b.x, b.edge_index, b.batch).argmax(1)
                    right += int((p == b.y).sum())
                    total += b.num_graphs
            return right / max(total, 1)

        for ep in range(epochs):
            e0 = time.perf_counter()
            model.train()
            for b in loader:
                b = b.to(dev)
                opt.zero_grad()
                loss = F.cross_entropy(model(b.x, b.edge_index, b.batch), b.y, weight=w)
                loss.backward()
                if o["clip_norm"] > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), o["clip_norm"])
                opt.step()
            if (ep + 1) % t["eval_every"] == 0:
                evaluate(val_loader)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - e0)
        acc = {"val": evaluate(val_loader), "test": evaluate(test_loader)}
    total = time.perf_counter() - t0
    per_epoch = float(np.mean(times[1:])) if len(times) > 1 else times[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"epoch_s": per_epoch, "train_s": total, "epochs": epochs, "peak_rss_mib": rss,
                      "val_accuracy": acc["val"], "test_accuracy": acc["test"], "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
