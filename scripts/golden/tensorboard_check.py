#!/usr/bin/env python3
"""Checks kprca's native TensorBoard event files with the tensorboard package (PyPI).

Runs the unit test binary's WritesForPythonCheck case with KPRCA_TB_OUT pointing at a fresh
directory, then loads that directory with tensorboard's EventAccumulator (the reader behind
`tensorboard --logdir`) and checks the tags, steps and values it finds:
  loss/train and acc/val at steps 0..9 (loss = 1/(step+1), acc = step/10, stored as float32),
  lr = 3e-4 at step 2**40.
It also reads the raw records with tensorboard's own TFRecord reader, which verifies both
masked CRC32Cs of every record (it stops at a bad one, so the record count check fails). Any other directory of event files can be listed with --logdir.

Setup (once):  python3 -m venv build-X/venv && build-X/venv/bin/pip install tensorboard
Usage:         build-X/venv/bin/python scripts/golden/tensorboard_check.py BUILD_DIR
               build-X/venv/bin/python scripts/golden/tensorboard_check.py --logdir DIR
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto import event_pb2


def list_logdir(logdir):
    acc = event_accumulator.EventAccumulator(logdir, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    for tag in acc.Tags()["scalars"]:
        ev = acc.Scalars(tag)
        print(f"{tag}: {len(ev)} points, steps {ev[0].step}..{ev[-1].step}, last {ev[-1].value:.6g}")
    return acc


def check(build_dir):
    binary = os.path.join(build_dir, "tests", "unit_test_tfevents")
    failures = []
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, KPRCA_TB_OUT=out)
        subprocess.run([binary, "--gtest_filter=TfEvents.WritesForPythonCheck"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        files = [f for f in os.listdir(out) if "tfevents" in f]
        if len(files) != 1:
            failures.append(f"expected one event file, found {files}")
        # Raw records: tensorboard's reader raises on a bad length or data CRC.
        path = os.path.join(out, files[0])
        raw = [event_pb2.Event.FromString(r) for r in RawEventFileLoader(path, detect_file_replacement=False).Load()]
        if raw[0].file_version != "brain.Event:2":
            failures.append(f"first event file_version {raw[0].file_version!r}")
        if len(raw) != 22:
            failures.append(f"{len(raw)} records, expected 22")

        acc = list_logdir(out)
        tags = sorted(acc.Tags()["scalars"])
        if tags != ["acc/val", "loss/train", "lr"]:
            failures.append(f"scalar tags {tags}")
        expect = {
            "loss/train": [(s, np.float32(1.0 / (s + 1))) for s in range(10)],
            "acc/val": [(s, np.float32(s / 10.0)) for s in range(10)],
            "lr": [(2**40, np.float32(3e-4))],
        }
        for tag, want in expect.items():
            got = [(e.step, np.float32(e.value)) for e in acc.Scalars(tag)] if tag in tags else []
            if got != want:
                failures.append(f"{tag}: got {got}, expected {want}")
    for f in failures:
        print("FAIL:", f)
    print("tensorboard_check:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", help="kprca build directory holding tests/unit_test_tfevents")
    ap.add_argument("--logdir", help="only list the scalars found under this directory")
    a = ap.parse_args()
    if a.logdir:
        list_logdir(a.logdir)
        return 0
    if not a.build_dir:
        ap.error("give BUILD_DIR or --logdir")
    return check(a.build_dir)


if __name__ == "__main__":
    sys.exit(main())
