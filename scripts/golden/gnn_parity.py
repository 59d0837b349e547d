#!/usr/bin/env python3
"""Write tests/fixtures/gnn/*.json: PyTorch Geometric's outputs and gradients on small fixed
graphs, for tests/unit/test_gnn_parity.cc (kprca's GCN/SAGE/GAT layers and models must match
them within 1e-5 relative).

Run once by a developer, never by tests or CI:

    python3 scripts/golden/gnn_parity.py

The first run makes a virtual environment under build/golden-venv and installs torch,
torch_geometric and numpy into it from PyPI; later runs reuse it. Every case records its
inputs, parameters (by PyG state_dict name), outputs and the gradients of a scalar loss with
respect to the input features and every parameter. Inputs and parameters are float32 values;
PyG then runs in float64, so the fixture holds the exact result for those values and both
float32 implementations are judged against it.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VENV = os.path.join(ROOT, "build", "golden-venv")
OUT = os.path.join(ROOT, "tests", "fixtures", "gnn")


def ensure_venv():
    """Re-run this script inside build/golden-venv, creating it first if needed."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "--upgrade", "pip"])
    probe = subprocess.run([py, "-c", "import torch, torch_geometric, numpy"], capture_output=True)
    if probe.returncode != 0:
        subprocess.check_call([py, "-m", "pip", "install", "torch", "torch_geometric", "numpy"])
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])


ensure_venv()

import torch  # noqa: E402
import torch_geometric  # noqa: E402
from torch_geometric.nn import GATConv, GCNConv, SAGEConv, global_add_pool, global_max_pool, global_mean_pool  # noqa: E402

torch.manual_seed(20240611)

# A directed graph on 9 nodes without duplicate edges: node 8 is isolated, node 7 only sends,
# node 2 carries a self loop (PyG's GCN keeps one loop per node, GAT removes and re-adds it).
NODE_EDGES = [(0, 1), (1, 0), (1, 2), (2, 3), (3, 1), (4, 1), (0, 4), (2, 2), (5, 3), (3, 5), (7, 5), (4, 0),
              (6, 4), (5, 6), (3, 0)]
N_NODES = 9

# Three graphs in one batch: nodes 0-3, 4-6, 7-8 (node 8 alone, no edges at all).
BATCH_EDGES = [(0, 1), (1, 0), (2, 1), (1, 3), (3, 2), (4, 5), (5, 6), (6, 4), (5, 4), (7, 7)]
BATCH = [0, 0, 0, 0, 1, 1, 1, 2, 2]


def f32(t):
    """Round to float32 values, keep float64 storage."""
    return t.float().double()


def tensor_json(t):
    t = t.detach().double().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def edge_index_of(edges):
    return torch.tensor(edges, dtype=torch.long).t().contiguous()


def randomise(module):
    """Every parameter (biases included) drawn from U(-0.5, 0.5), rounded to float32."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(torch.rand_like(p) - 0.5))


def record(name, module, x, run, extra):
    """run(x) -> (output, loss); writes inputs, params, output, loss and all gradients."""
    module.double()
    randomise(module)
    x = x.clone().requires_grad_(True)
    out, loss = run(x)
    loss.backward()
    case = {
        "name": name,
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
        "x": tensor_json(x),
        "params": {k: tensor_json(v) for k, v in module.state_dict().items()},
        "output": tensor_json(out),
        "loss": float(loss),
        "grads": {"x": tensor_json(x.grad)},
    }
    for k, p in module.named_parameters():
        case["grads"][k] = tensor_json(p.grad)
    case.update(extra)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(case, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def conv_case(name, conv, opts, in_dim, edge_weight=None):
    """One layer; loss = sum(out * dy) with a fixed random dy (recorded)."""
    ei = edge_index_of(NODE_EDGES)
    x = f32(torch.randn(N_NODES, in_dim, dtype=torch.float64))
    ew = None if edge_weight is None else f32(edge_weight)
    heads = opts.get("heads", 1)
    out_cols = opts["out"] * (heads if opts.get("concat", True) else 1)
    dy = f32(torch.randn(N_NODES, out_cols, dtype=torch.float64))
    conv.eval()  # attention dropout off: the fixture fixes every value

    def run(xx):
        out = conv(xx, ei) if ew is None else conv(xx, ei, ew)
        return out, (out * dy).sum()

    record(name, conv, x, run, {"kind": "conv", "options": opts, "num_nodes": N_NODES,
                                "edge_index": [list(r) for r in zip(*NODE_EDGES)],
                                "edge_weight": None if ew is None else [float(v) for v in ew.tolist()],
                                "dy": tensor_json(dy)})


class NodeModel(torch.nn.Module):
    def __init__(self, convs, act):
        super().__init__()
        self.convs = torch.nn.ModuleList(convs)
        self.act = act

    def forward(self, x, ei):
        for i, conv in enumerate(self.convs):
            x = conv(x, ei)
            if i < len(self.convs) - 1:
                x = self.act(x)
        return x


class GraphModel(torch.nn.Module):
    def __init__(self, convs, head, act, pool):
        super().__init__()
        self.convs = torch.nn.ModuleList(convs)
        self.head = torch.nn.ModuleList(head)
        self.act = act
        self.pool = pool

    def forward(self, x, ei, batch):
        for conv in self.convs:
            x = self.act(conv(x, ei))
        x = self.pool(x, batch)
        for i, lin in enumerate(self.head):
            x = lin(x)
            if i < len(self.head) - 1:
                x = self.act(x)
        return x


ACTS = {"relu": torch.relu, "elu": torch.nn.functional.elu, "tanh": torch.tanh}


def node_model_case(name, model, cfg, targets):
    ei = edge_index_of(NODE_EDGES)
    x = f32(torch.randn(N_NODES, cfg["in_dim"], dtype=torch.float64))
    t = torch.tensor(targets)
    model.eval()

    def run(xx):
        out = model(xx, ei)
        return out, torch.nn.functional.cross_entropy(out, t, ignore_index=-100)

    record(name, model, x, run, {"kind": "model", "model": cfg, "num_nodes": N_NODES,
                                 "edge_index": [list(r) for r in zip(*NODE_EDGES)], "edge_weight": None,
                                 "targets": targets})


def graph_model_case(name, model, cfg, targets):
    ei = edge_index_of(BATCH_EDGES)
    batch = torch.tensor(BATCH)
    x = f32(torch.randn(len(BATCH), cfg["in_dim"], dtype=torch.float64))
    t = torch.tensor(targets)
    model.eval()

    def run(xx):
        out = model(xx, ei, batch)
        return out, torch.nn.functional.cross_entropy(out, t)

    ptr = [0]
    for g in range(max(BATCH) + 1):
        ptr.append(ptr[-1] + BATCH.count(g))
    record(name, model, x, run, {"kind": "model", "model": cfg, "num_nodes": len(BATCH),
                                 "edge_index": [list(r) for r in zip(*BATCH_EDGES)], "edge_weight": None,
                                 "graph_ptr": ptr, "targets": targets})


def main():
    # single layers
    conv_case("gcn_conv", GCNConv(5, 3), {"conv": "gcn", "in": 5, "out": 3}, 5)
    conv_case("gcn_conv_weighted", GCNConv(3, 4), {"conv": "gcn", "in": 3, "out": 4}, 3,
              edge_weight=torch.rand(len(NODE_EDGES), dtype=torch.float64) * 1.5 + 0.25)
    conv_case("gcn_conv_no_loops", GCNConv(4, 4, add_self_loops=False),
              {"conv": "gcn", "in": 4, "out": 4, "add_self_loops": False}, 4)
    conv_case("sage_conv", SAGEConv(5, 3), {"conv": "sage", "in": 5, "out": 3}, 5)
    conv_case("sage_conv_widen", SAGEConv(3, 6), {"conv": "sage", "in": 3, "out": 6}, 3)
    conv_case("gat_conv_concat", GATConv(5, 3, heads=2, concat=True),
              {"conv": "gat", "in": 5, "out": 3, "heads": 2, "concat": True}, 5)
    conv_case("gat_conv_mean", GATConv(5, 3, heads=2, concat=False),
              {"conv": "gat", "in": 5, "out": 3, "heads": 2, "concat": False}, 5)
    conv_case("gat_conv_slope_no_loops", GATConv(4, 2, heads=3, negative_slope=0.1, add_self_loops=False),
              {"conv": "gat", "in": 4, "out": 2, "heads": 3, "concat": True, "negative_slope": 0.1,
               "add_self_loops": False}, 4)

    # node classification: 2 layers, cross-entropy over the labelled nodes
    targets = [0, 2, -100, 1, 1, -100, 2, 0, 1]
    node_model_case("node_gcn", NodeModel([GCNConv(5, 6), GCNConv(6, 3)], torch.relu),
                    {"task": "node", "conv": "gcn", "in_dim": 5, "hidden": 6, "num_classes": 3, "num_layers": 2,
                     "act": "relu"}, targets)
    node_model_case("node_sage", NodeModel([SAGEConv(5, 6), SAGEConv(6, 3)], torch.relu),
                    {"task": "node", "conv": "sage", "in_dim": 5, "hidden": 6, "num_classes": 3, "num_layers": 2,
                     "act": "relu"}, targets)
    node_model_case("node_gat", NodeModel([GATConv(5, 4, heads=2), GATConv(8, 3, heads=2, concat=False)],
                                          ACTS["elu"]),
                    {"task": "node", "conv": "gat", "in_dim": 5, "hidden": 4, "heads": 2, "out_heads": 2,
                     "num_classes": 3, "num_layers": 2, "act": "elu"}, targets)

    # graph classification: convs, global pooling, Linear head
    graph_model_case("graph_gcn_mean",
                     GraphModel([GCNConv(4, 5), GCNConv(5, 5)], [torch.nn.Linear(5, 3)], torch.relu,
                                global_mean_pool),
                     {"task": "graph", "conv": "gcn", "in_dim": 4, "hidden": 5, "num_classes": 3, "num_layers": 2,
                      "act": "relu", "readout": "mean", "head_layers": 1}, [2, 0, 1])
    graph_model_case("graph_gat_sum_mlp",
                     GraphModel([GATConv(4, 3, heads=2)], [torch.nn.Linear(6, 4), torch.nn.Linear(4, 2)],
                                torch.tanh, global_add_pool),
                     {"task": "graph", "conv": "gat", "in_dim": 4, "hidden": 3, "heads": 2, "num_classes": 2,
                      "num_layers": 1, "act": "tanh", "readout": "sum", "head_layers": 2, "head_hidden": 4},
                     [1, 0, 1])
    graph_model_case("graph_sage_max",
                     GraphModel([SAGEConv(4, 5)], [torch.nn.Linear(5, 2)], torch.tanh, global_max_pool),
                     {"task": "graph", "conv": "sage", "in_dim": 4, "hidden": 5, "num_classes": 2, "num_layers": 1,
                      "act": "tanh", "readout": "max", "head_layers": 1}, [0, 1, 1])


if __name__ == "__main__":
    main()
