#!/usr/bin/env python3
"""Writes the committed safetensors fixtures under tests/fixtures/safetensors/ (run once; tests never need Python).

  dtypes.safetensors          every dtype kprca converts (torch + safetensors.torch.save_file), values exact in
                              their dtype; tests/unit/test_safetensors.cc holds the same literals
  writer_golden.safetensors   safetensors.numpy.save_file output that kprca's writer must reproduce byte for byte
  tiny-bert/                  a 2-layer BERT for sequence classification, names with "bert.", stored F16
  tiny-bert-plain/            a 2-layer BertModel without prefix, stored BF16, with the position_ids buffer and the
                              old LayerNorm.gamma/beta names in the embeddings
  bad/*.safetensors           one malformed file per problem, bytes written by hand (struct), listed in BAD below

Tiny BERT values: element i of tensor `name` is ((7*i + 3*len(name) + sum(name bytes)) % 61 - 30) / 32, exact in
f16 and bf16; the test recomputes it.

Usage: python scripts/golden/safetensors_fixture.py   (packages: torch, numpy, safetensors from PyPI)
"""
import json
import os
import struct

import numpy as np
import torch
from safetensors.numpy import save_file as np_save
from safetensors.torch import save_file as pt_save

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "safetensors")


def dtypes_file():
    t = {
        "f32": torch.tensor([[1.5, -2.25, 0.0], [3e-5, 1e30, -7.0]], dtype=torch.float32),
        "f16": torch.tensor([1.0, -2.5, 65504.0, 2.0**-24, 2.0**-14, float("inf"), -0.0, 0.333251953125],
                            dtype=torch.float16),
        "bf16": torch.tensor([[1.0, -3.0], [2.0**-133, 3.3895313892515355e38]], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -1e-3, 2.5], dtype=torch.float64),
        "i64": torch.tensor([1, -2, 2**40], dtype=torch.int64),
        "i32": torch.tensor([[7], [-8]], dtype=torch.int32),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "flags": torch.tensor([True, False, True]),
        "scalar": torch.tensor(4.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    for k in ("f16", "bf16"):  # every literal must be exact in its dtype
        assert torch.equal(t[k].float().to(t[k].dtype), t[k])
    assert t["f16"][7].item() == 0.333251953125 and t["bf16"][1, 0].item() == 2.0**-133
    pt_save(t, os.path.join(ROOT, "dtypes.safetensors"), metadata={"format": "pt", "note": "kprca fixture"})


def writer_golden():
    t = {
        "w": np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5,
        "b": np.array([1.0, -1.0, 0.25], dtype=np.float32),
        "ids": np.array([3, -1, 1 << 40, 0], dtype=np.int64),
        "h": np.array([0.5, -2.0, 1024.0, 0.0, 1.0], dtype=np.float16),
        "mask": np.array([1, 0, 7], dtype=np.uint8),
        'odd"na\\me\u00fc': np.array([2.0], dtype=np.float32),
        "s": np.array(9.0, dtype=np.float64),
    }
    np_save(t, os.path.join(ROOT, "writer_golden.safetensors"), metadata={"format": "np"})


def tiny_value(name, shape):
    n = int(np.prod(shape)) if shape else 1
    base = 3 * len(name) + sum(name.encode())
    i = np.arange(n, dtype=np.int64)
    return (((7 * i + base) % 61 - 30) / 32.0).reshape(shape)


def bert_names(cfg, pooler, classifier):
    H, I, V, P, T = (cfg[k] for k in ("hidden_size", "intermediate_size", "vocab_size", "max_position_embeddings",
                                       "type_vocab_size"))
    out = [("embeddings.word_embeddings.weight", [V, H]), ("embeddings.position_embeddings.weight", [P, H]),
           ("embeddings.token_type_embeddings.weight", [T, H]), ("embeddings.LayerNorm.weight", [H]),
           ("embeddings.LayerNorm.bias", [H])]
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        for m in ("query", "key", "value"):
            out += [(p + f"attention.self.{m}.weight", [H, H]), (p + f"attention.self.{m}.bias", [H])]
        out += [(p + "attention.output.dense.weight", [H, H]), (p + "attention.output.dense.bias", [H]),
                (p + "attention.output.LayerNorm.weight", [H]), (p + "attention.output.LayerNorm.bias", [H]),
                (p + "intermediate.dense.weight", [I, H]), (p + "intermediate.dense.bias", [I]),
                (p + "output.dense.weight", [H, I]), (p + "output.dense.bias", [H]),
                (p + "output.LayerNorm.weight", [H]), (p + "output.LayerNorm.bias", [H])]
    if pooler:
        out += [("pooler.dense.weight", [H, H]), ("pooler.dense.bias", [H])]
    if classifier:
        out += [("classifier.weight", [classifier, H]), ("classifier.bias", [classifier])]
    return out


def tiny_bert(dirname, prefix, dtype, classifier, extra_cfg, old_ln_names=False, position_ids=False):
    cfg = {"architectures": ["BertForSequenceClassification" if classifier else "BertModel"],
           "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 8,
           "initializer_range": 0.02, "intermediate_size": 16, "layer_norm_eps": 1e-12,
           "max_position_embeddings": 16, "model_type": "bert", "num_attention_heads": 2, "num_hidden_layers": 2,
           "pad_token_id": 0, "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": 20}
    cfg.update(extra_cfg)
    tensors = {}
    for name, shape in bert_names(cfg, True, classifier):
        v = torch.tensor(tiny_value(name, shape), dtype=dtype)
        stored = name if name.startswith("classifier.") else prefix + name
        if old_ln_names and stored.startswith(prefix + "embeddings.LayerNorm."):
            stored = stored.replace(".weight", ".gamma").replace(".bias", ".beta")
        tensors[stored] = v
    if position_ids:
        tensors[prefix + "embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
    d = os.path.join(ROOT, dirname)
    os.makedirs(d, exist_ok=True)
    pt_save(tensors, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def raw(header, data=b"", length=None):
    h = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(h) if length is None else length) + h + data


F4 = struct.pack("<4f", 1, 2, 3, 4)
BAD = {
    "truncated.safetensors": b"\x10\x00\x00\x00\x00",
    "header_past_end.safetensors": raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4,
                                       length=1000),
    "huge_header.safetensors": raw("{}", length=1 << 63),
    "not_json.safetensors": raw("{not json at all}"),
    "not_object.safetensors": raw("[1, 2, 3]"),
    "trailing_text.safetensors": raw("{} x"),
    "truncated_data.safetensors": raw('{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}', F4[:12]),
    "overlap.safetensors": raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                               '"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}', F4 + F4[:8]),
    "gap.safetensors": raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                           '"b":{"dtype":"F32","shape":[4],"data_offsets":[20,36]}}', F4 + b"\0" * 4 + F4),
    "wrong_length.safetensors": raw('{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', F4 + F4[:4]),
    "unknown_dtype.safetensors": raw('{"a":{"dtype":"F31","shape":[4],"data_offsets":[0,16]}}', F4),
    "negative_shape.safetensors": raw('{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}', F4),
    "leftover_bytes.safetensors": raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', F4 + F4[:4]),
    "duplicate.safetensors": raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                 '"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', F4),
    "metadata_not_string.safetensors": raw('{"__metadata__":{"format":1},'
                                           '"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', F4),
    "end_before_begin.safetensors": raw('{"a":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}', F4),
    "bad_offsets.safetensors": raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0]}}', F4),
    "too_many_dims.safetensors": raw('{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,4],"data_offsets":[0,16]}}', F4),
    "shape_overflow.safetensors": raw('{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],'
                                      '"data_offsets":[0,16]}}', F4),
}


def main():
    os.makedirs(os.path.join(ROOT, "bad"), exist_ok=True)
    dtypes_file()
    writer_golden()
    tiny_bert("tiny-bert", "bert.", torch.float16, 3,
              {"id2label": {"0": "ordinary", "1": "oom", "2": "gpu_xid"},
               "label2id": {"ordinary": 0, "oom": 1, "gpu_xid": 2}})
    tiny_bert("tiny-bert-plain", "", torch.bfloat16, 0, {}, old_ln_names=True, position_ids=True)
    for name, b in BAD.items():
        with open(os.path.join(ROOT, "bad", name), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
