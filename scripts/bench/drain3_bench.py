#!/usr/bin/env python3
"""Drain benchmark, Drain3 side: the same log, the same log format (as logparser turns it into a
regex), the same masks (kprca's default kernel rules, one alternation, ASCII classes) and the same
Drain parameters. Times (1) add_log_message on the pre-extracted contents (mining, as
scripts/bench/drain_mine.c times kprca) and (2) reading + format regex + mining (end to end)."""
import argparse
import re
import sys
import time

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig


def format_regex(fmt):
    """logparser's generate_logformat_regex, with Content greedy (same match: it is anchored)."""
    headers, regex = [], ""
    for k, part in enumerate(re.split(r"(<[^<>]+>)", fmt)):
        if k % 2 == 0:
            regex += re.sub(" +", r"\\s+", part)
        else:
            h = part.strip("<").strip(">")
            headers.append(h)
            regex += "(?P<%s>.*)" % h if h == "Content" else "(?P<%s>.*?)" % h
    return re.compile("^" + regex + "$")


def miner(masks, sim, depth):
    cfg = TemplateMinerConfig()
    cfg.drain_sim_th = sim
    cfg.drain_depth = depth
    cfg.drain_max_children = 100
    cfg.mask_prefix, cfg.mask_suffix = "<", ">"
    cfg.masking_instructions = []
    if masks:
        alt = "(?a)(?<![A-Za-z0-9_])(?:" + "|".join("(?:%s)" % m for m in masks) + ")"
        cfg.masking_instructions = [MaskingInstruction(alt, "*")]
    cfg.profiling_enabled = False
    return TemplateMiner(config=cfg)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("format")
    ap.add_argument("--masks", help="file of name<TAB>pattern<TAB>example lines (kprca-prep parse --list-masks)")
    ap.add_argument("--sim", type=float, default=0.5)
    ap.add_argument("--depth", type=int, default=4)
    a = ap.parse_args()
    masks = []
    if a.masks:
        with open(a.masks, encoding="utf-8") as f:
            masks = [line.rstrip("\n").split("\t")[1] for line in f if line.strip()]
    rx = format_regex(a.format)

    t0 = time.perf_counter()
    r0 = time.process_time()
    contents = []
    with open(a.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = rx.search(line.strip())
            if m:
                contents.append(m.group("Content"))
    t_read = time.perf_counter() - t0
    c_read = time.process_time() - r0

    tm = miner(masks, a.sim, a.depth)
    t0 = last = time.perf_counter()
    c0 = time.process_time()
    for i, c in enumerate(contents):
        tm.add_log_message(c)
        if (i + 1) % 100000 == 0:
            t = time.perf_counter()
            print("drain3: %d lines, %.0f lines/s over the last 100000" % (i + 1, 100000 / (t - last)), file=sys.stderr, flush=True)
            last = t
    t_mine = time.perf_counter() - t0
    c_mine = time.process_time() - c0  # CPU time: what a shared machine's other jobs take away shows in wall time only
    n = len(contents)
    print("lines %d clusters %d mine_seconds %.3f mine_lines_per_s %.0f end_to_end_seconds %.3f end_to_end_lines_per_s %.0f"
          " mine_cpu_seconds %.3f mine_cpu_lines_per_s %.0f end_to_end_cpu_seconds %.3f end_to_end_cpu_lines_per_s %.0f"
          % (n, len(tm.drain.clusters), t_mine, n / t_mine, t_read + t_mine, n / (t_read + t_mine), c_mine, n / c_mine,
             c_read + c_mine, n / (c_read + c_mine)))


if __name__ == "__main__":
    sys.exit(main())
