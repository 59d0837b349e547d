#!/usr/bin/env python3
"""HF side of the tokenizer benchmark. `records TEXT OUT` writes each line of TEXT as a record
(u32 little-endian length + bytes) for tokenizer_bench.c; `bench VOCAB RECORDS [REPEAT]` times
BertTokenizerFast (batch encode with [CLS]/[SEP], no padding) on the same records, best of REPEAT.
Run with RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false for one thread."""
import struct, sys, time


def read_records(path):
    data, out, p = open(path, "rb").read(), [], 0
    while p + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, p)
        out.append(data[p + 4:p + 4 + n].decode("utf-8", "replace"))
        p += 4 + n
    return out


def main():
    if sys.argv[1] == "records":
        with open(sys.argv[3], "wb") as f:
            for line in open(sys.argv[2], "rb").read().split(b"\n"):
                f.write(struct.pack("<I", len(line)) + line)
        return
    from transformers import BertTokenizerFast
    tok = BertTokenizerFast(sys.argv[2])
    lines = read_records(sys.argv[3])
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    best, ntok = 1e30, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        ids = tok(lines, add_special_tokens=True)["input_ids"]
        best = min(best, time.perf_counter() - t0)
        ntok = sum(map(len, ids))
    print("hf_fast lines=%d tokens=%d best_s=%.4f lines_per_s=%.0f" % (len(lines), ntok, best, len(lines) / best))


if __name__ == "__main__":
    main()
