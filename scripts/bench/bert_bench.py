"""transformers' side of scripts/bench/bert_bench.sh: BertForSequenceClassification (all-MiniLM-L6-v2) fine-tuned
on the batches kprca planned (bert_bench plan), same lines, same batch composition and order.

  python bert_bench.py train|infer MODEL_DIR PLAN_FILE PADDING REPS
    PADDING: dynamic (DataCollatorWithPadding: each batch padded to its longest line, as kprca does)
             or max128 (every line padded to 128 tokens, as the CLX study does)
Training step: forward, loss, backward, AdamW step (lr 3e-5, weight decay 0.01), dropout 0.1, one warm-up
step, then REPS passes over the batches; the best pass counts. Threads: torch.set_num_threads(2) unless
BENCH_THREADS says otherwise. Prints one line "transformers MODE-PADDING ... samples_per_s=... tokens_per_s=...".
"""
import os
import sys
import time

import torch
from transformers import BertForSequenceClassification, DataCollatorWithPadding
from transformers import BertTokenizerFast


def load_plan(path):
    batches = {}
    for line in open(path):
        f = line.split()
        b, label, ids = int(f[0]), int(f[1]), [int(x) for x in f[2:]]
        batches.setdefault(b, []).append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": label})
    return [batches[b] for b in sorted(batches)]


def main():
    mode, model_dir, plan, padding, reps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.manual_seed(1)
    feats = load_plan(plan)
    tok = BertTokenizerFast.from_pretrained(model_dir)
    if padding == "dynamic":
        coll = DataCollatorWithPadding(tok, padding="longest", return_tensors="pt")
    elif padding == "max128":
        coll = DataCollatorWithPadding(tok, padding="max_length", max_length=128, return_tensors="pt")
    else:
        sys.exit("bert_bench.py: PADDING must be dynamic or max128")
    batches = [coll(f) for f in feats]
    labels = max(x["labels"] for f in feats for x in f) + 1
    n = sum(len(f) for f in feats)
    tokens = sum(len(x["input_ids"]) for f in feats for x in f)
    cells = sum(b["input_ids"].numel() for b in batches)
    m = BertForSequenceClassification.from_pretrained(model_dir, num_labels=max(labels, 2))
    for mod in m.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.1
    train = mode == "train"
    if train:
        m.train()
        opt = torch.optim.AdamW(m.parameters(), lr=3e-5, weight_decay=0.01)
    else:
        m.eval()
    best = float("inf")
    for rep in range(-1, reps):
        t0 = time.perf_counter()
        for b in batches[: 1 if rep < 0 else len(batches)]:
            if train:
                opt.zero_grad(set_to_none=False)
                out = m(**b)
                out.loss.backward()
                opt.step()
            else:
                with torch.inference_mode():
                    m(input_ids=b["input_ids"], attention_mask=b["attention_mask"])
        dt = time.perf_counter() - t0
        if rep >= 0:
            best = min(best, dt)
            print(f"transformers {mode}-{padding} pass {rep}: {dt:.2f} s", file=sys.stderr)
    print(f"transformers {mode}-{padding} lines={n} batches={len(batches)} tokens={tokens} cells={cells} "
          f"seconds={best:.3f} samples_per_s={n / best:.2f} tokens_per_s={tokens / best:.1f} "
          f"attn={m.config._attn_implementation} torch={torch.__version__}")


if __name__ == "__main__":
    main()
