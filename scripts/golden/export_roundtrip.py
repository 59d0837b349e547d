#!/usr/bin/env python3
"""Check a kprca-export directory against the libraries it is meant for.

    kprca-export RUN --out DIR --reference REF.safetensors [--lines LINES.txt]
    python3 scripts/golden/export_roundtrip.py DIR REF.safetensors [--lines LINES.txt]

BERT (DIR/config.json): transformers' AutoModelForSequenceClassification.from_pretrained(DIR) and
AutoTokenizer.from_pretrained(DIR) load it with no missing or unexpected weights; the tokenizer gives
the ids kprca gave for LINES; the model's logits on those ids equal kprca's.
GNN (DIR/model.json): the model is rebuilt from model.json with torch_geometric (the convs and Linear
layers named there, with their constructor arguments), model.safetensors is loaded strictly, and its
logits on the reference graph(s) equal kprca's.

Passes when max |logit diff| <= 1e-4 * max(1, max |kprca logit|). Prints one JSON line of figures
(versions, sizes, errors) for docs/export.md. Developers run it by hand; tests never need Python.
Needs torch, transformers, safetensors and torch_geometric (PyPI); build/golden-venv has them.
"""
import argparse
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

TOL = 1e-4


def compare(name, ours, ref):
    diff = (ours.double() - ref.double()).abs().max().item()
    scale = max(1.0, ref.double().abs().max().item())
    return {"what": name, "max_abs_err": diff, "scale": scale, "rel_err": diff / scale, "ok": diff <= TOL * scale}


def check_bert(out, ref, meta, lines_path):
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model, info = AutoModelForSequenceClassification.from_pretrained(out, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    if bad:
        raise SystemExit(f"export_roundtrip: {out}: transformers reports {bad}")
    model.eval()
    tok = AutoTokenizer.from_pretrained(out)
    with open(lines_path, encoding="utf-8") as f:
        lines = [l.rstrip("\r\n") for l in f]
    max_length = int(meta.get("max_length", 128))
    enc = tok(lines, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    ids, mask = ref["input_ids"], ref["attention_mask"]
    same_ids = enc["input_ids"].shape == ids.shape and bool((enc["input_ids"] * mask == ids * mask).all())
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    r = compare("bert logits", logits, ref["logits"])
    r.update({"lines": len(lines), "tokens": list(ids.shape), "tokenizer_ids_equal": same_ids,
              "labels": model.config.id2label, "transformers": transformers.__version__})
    r["ok"] = r["ok"] and same_ids
    return r


ACTS = {
    "relu": lambda x, a: torch.relu(x),
    "elu": lambda x, a: torch.nn.functional.elu(x, alpha=a),
    "gelu": lambda x, a: torch.nn.functional.gelu(x),
    "leaky_relu": lambda x, a: torch.nn.functional.leaky_relu(x, negative_slope=a),
    "tanh": lambda x, a: torch.tanh(x),
}


class ExportedGNN(torch.nn.Module):
    """The model model.json describes: [dropout, conv, act] per layer; graph task: pool, then the head."""

    def __init__(self, desc):
        super().__init__()
        import torch_geometric.nn as pygnn

        self.desc = desc
        self.convs = torch.nn.ModuleList(getattr(pygnn, c["class"])(**c["kwargs"]) for c in desc["convs"])
        self.head = torch.nn.ModuleList(torch.nn.Linear(**h["kwargs"]) for h in desc["head"])
        self.pool = getattr(pygnn, desc["pool"]) if desc["task"] == "graph" else None

    def forward(self, x, edge_index, edge_weight=None, batch=None):
        d = self.desc
        act = lambda t: ACTS[d["activation"]](t, d["activation_alpha"])  # noqa: E731
        node = d["task"] == "node"
        for i, conv in enumerate(self.convs):
            x = torch.nn.functional.dropout(x, d["input_dropout"] if i == 0 else d["dropout"], self.training)
            x = conv(x, edge_index, edge_weight) if d["uses_edge_weight"] else conv(x, edge_index)
            if not (node and i == len(self.convs) - 1):
                x = act(x)
        if node:
            return x
        x = self.pool(x, batch)
        for i, lin in enumerate(self.head):
            x = lin(torch.nn.functional.dropout(x, d["dropout"], self.training))
            if i < len(self.head) - 1:
                x = act(x)
        return x


def check_pyg(out, ref):
    import torch_geometric
    from torch_geometric.data import Data
    from torch_geometric.transforms import NormalizeFeatures

    with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
        desc = json.load(f)
    model = ExportedGNN(desc)
    model.load_state_dict(load_file(os.path.join(out, "model.safetensors")), strict=True)
    model.eval()
    x, indptr, indices = ref["x"], ref["indptr"].long(), ref["indices"].long()
    n = x.shape[0]
    dst = torch.repeat_interleave(torch.arange(n), indptr[1:] - indptr[:-1])  # CSR row i = edges into node i
    data = Data(x=x.clone(), edge_index=torch.stack([indices, dst]))
    if desc["feature_transform"] == "NormalizeFeatures":
        data = NormalizeFeatures()(data)
    ew = ref.get("edge_weight")
    batch = None
    if desc["task"] == "graph":
        ptr = ref["graph_ptr"].long()
        batch = torch.repeat_interleave(torch.arange(len(ptr) - 1), ptr[1:] - ptr[:-1])
    with torch.no_grad():
        logits = model(data.x, data.edge_index, ew, batch)
    r = compare(f"{desc['task']} {desc['conv']} logits", logits, ref["logits"])
    r.update({"nodes": n, "edges": int(indices.numel()), "rows": int(logits.shape[0]),
              "torch_geometric": torch_geometric.__version__})
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("reference")
    ap.add_argument("--lines", help="the lines given to kprca-export --lines (BERT)")
    a = ap.parse_args()
    ref = load_file(a.reference)
    with safe_open(a.reference, "pt") as f:
        meta = f.metadata() or {}
    if os.path.exists(os.path.join(a.dir, "model.json")):
        r = check_pyg(a.dir, ref)
    else:
        if not a.lines:
            raise SystemExit("export_roundtrip: a BERT export needs --lines (the file given to kprca-export)")
        r = check_bert(a.dir, ref, meta, a.lines)
    r.update({"dir": a.dir, "torch": torch.__version__, "python": sys.version.split()[0]})
    print(json.dumps(r))
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
