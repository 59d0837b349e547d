#!/usr/bin/env python3
"""Writes the BERT parity fixtures under tests/fixtures/bert/ (run once; tests never need Python).

  tiny/config.json, tiny/model.safetensors
      a small random BertForSequenceClassification (vocab 100, hidden 32, 2 layers, 4 heads, intermediate 64,
      max_pos 64, 3 labels), saved by save_pretrained (names with "bert."). Every parameter is redrawn from a
      seeded normal so that biases are non-zero and LayerNorm weights are not 1.
  tiny_expected.safetensors
      a padded batch (B=3, lengths 9/6/3, token types in row 0), labels, class weights, and transformers'
      outputs in eval mode (no dropout, eager attention): logits, loss, loss_weighted, last_hidden, pooled,
      mean_pooled, and grad.<name> of every parameter for the class-weighted loss.
  minilm_expected.safetensors (only when models/all-MiniLM-L6-v2 exists; scripts/fetch-model.sh)
      a batch of 4 kernel-log lines tokenized by the model's tokenizer, the 2-class head that was drawn for it
      (classifier.weight/bias), logits, loss, pooled, mean_pooled (L2-normalised, sentence-transformers'
      embedding), and the gradients: complete for tensors of at most 4096 elements, else grad_sample.<name>
      (elements at (i * 7919) % numel for i < 256) and grad_sumsq.<name>.

Usage: python scripts/golden/bert_parity.py   (packages: torch, transformers, safetensors from PyPI)
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "bert")
MINILM = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
SAMPLES = 256
FULL = 4096


def canonical(name):
    return name[5:] if name.startswith("bert.") else name


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def run(model, ids, mask, types, labels, weights):
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    loss = loss_fn(out.logits, labels)
    model.zero_grad()
    loss.backward()
    last = out.hidden_states[-1]
    pooled = model.bert.pooler(last)
    return out.logits, loss, last, pooled


def tiny():
    torch.manual_seed(1234)
    cfg = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, num_labels=3,
                     attn_implementation="eager")
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    model.eval()
    d = os.path.join(OUT, "tiny")
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)

    B, T, lens = 3, 9, [9, 6, 3]
    g = torch.Generator().manual_seed(99)
    ids = torch.randint(4, 100, (B, T), generator=g)
    mask = torch.zeros(B, T, dtype=torch.long)
    types = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lens):
        ids[b, 0], ids[b, n - 1] = 2, 3  # [CLS] ... [SEP]
        ids[b, n:] = 0                   # [PAD]
        mask[b, :n] = 1
    types[0, 5:9] = 1
    labels = torch.tensor([0, 2, 1])
    weights = torch.tensor([0.5, 2.0, 1.0])
    logits, loss_w, last, pooled = run(model, ids, mask, types, labels, weights)
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(logits, labels)
    t = {
        "input_ids": ids.int(), "attention_mask": mask.int(), "token_type_ids": types.int(),
        "labels": labels.int(), "class_weights": weights,
        "logits": logits.detach(), "loss": loss.detach().reshape(1), "loss_weighted": loss_w.detach().reshape(1),
        "last_hidden": last.detach(), "pooled": pooled.detach(), "mean_pooled": mean_pool(last, mask).detach(),
    }
    for name, p in model.named_parameters():
        t["grad." + canonical(name)] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in t.items()}, os.path.join(OUT, "tiny_expected.safetensors"),
              metadata={"format": "pt", "transformers": __import__("transformers").__version__})
    print("tiny: loss %.6f, weighted %.6f, %d gradients" % (loss.item(), loss_w.item(),
                                                            sum(k.startswith("grad.") for k in t)))


LINES = [
    "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
    "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.",
    "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm systemd: reading directory lblock 0",
    "Kernel panic - not syncing: Fatal exception in interrupt",
]


def minilm():
    if not os.path.exists(os.path.join(MINILM, "model.safetensors")):
        print("minilm: %s absent (scripts/fetch-model.sh), skipped" % MINILM)
        return
    tok = AutoTokenizer.from_pretrained(MINILM)
    enc = tok(LINES, padding=True, truncation=True, max_length=64, return_tensors="pt")
    torch.manual_seed(7)
    model = BertForSequenceClassification.from_pretrained(MINILM, num_labels=2, attn_implementation="eager")
    model.eval()
    labels = torch.tensor([1, 1, 0, 1])
    ids, mask, types = enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]
    logits, loss, last, pooled = run(model, ids, mask, types, labels, None)
    emb = torch.nn.functional.normalize(mean_pool(last, mask), p=2, dim=1)
    t = {
        "input_ids": ids.int(), "attention_mask": mask.int(), "token_type_ids": types.int(), "labels": labels.int(),
        "classifier.weight": model.classifier.weight.detach(), "classifier.bias": model.classifier.bias.detach(),
        "logits": logits.detach(), "loss": loss.detach().reshape(1), "pooled": pooled.detach(),
        "mean_pooled": emb.detach(),
    }
    for name, p in model.named_parameters():
        c, gr = canonical(name), p.grad.detach().reshape(-1)
        if gr.numel() <= FULL:
            t["grad." + c] = gr.clone()
        else:
            idx = (torch.arange(SAMPLES, dtype=torch.int64) * 7919) % gr.numel()
            t["grad_sample." + c] = gr[idx].clone()
            t["grad_sumsq." + c] = (gr.double() ** 2).sum().float().reshape(1)
    save_file({k: v.contiguous() for k, v in t.items()}, os.path.join(OUT, "minilm_expected.safetensors"),
              metadata={"format": "pt", "lines": json.dumps(LINES)})
    print("minilm: T=%d, loss %.6f" % (ids.shape[1], loss.item()))


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    tiny()
    minilm()
