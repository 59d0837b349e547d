#!/usr/bin/env bash
# report.html in a real browser: kprca-eval report writes the page of a small binary run directory, headless
# Chromium (Debian's chromium, installed by scripts/setup.sh) renders it to a PNG that must show the plots
# (many colours, the curve colour present), and its DOM must hold every SVG plot. Also kprca-eval --compare, and the
# report.html a real kprca-train run ends with (a GAT on the small graph fixture).
# usage: report_chromium.sh BIN_DIR SRC_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EVAL=$BIN/kprca-eval
fail() { echo "FAIL: $*" >&2; exit 1; }
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || fail "chromium is not installed (scripts/setup.sh installs Debian's chromium package)"
command -v python3 >/dev/null || fail "python3 is needed to read the screenshot"

RUN=$tmp/exp/tiny/20260101-000000
mkdir -p "$RUN"
cat >"$RUN/config.yaml" <<'EOF'
# Resolved config written by kprca 0.1.0. Read from: tiny.yaml, then command-line overrides.
train:
  seed: 42
EOF
python3 - "$RUN" <<'EOF'
import json, math, sys
run = sys.argv[1]
with open(run + "/metrics.jsonl", "w") as f:
    for e in range(1, 21):
        f.write(json.dumps({"epoch": e, "step": 10 * e, "lr": 1e-3, "train_loss": 0.7 * math.exp(-e / 6) + 0.05,
                            "val_loss": 0.6 * math.exp(-e / 8) + 0.15, "val_accuracy": 0.9 - 0.4 * math.exp(-e / 5),
                            "val_macro_f1": 0.85 - 0.5 * math.exp(-e / 5), "best_epoch": e, "time_s": 0.1}) + "\n")
labels = ["ordinary", "root <cause>"]
def split(tn, fp, fn, tp):
    n = tn + fp + fn + tp
    return {"n": n, "labels": labels, "accuracy": (tn + tp) / n, "balanced_accuracy": 0.8, "macro_f1": 0.8,
            "weighted_f1": 0.82, "loss": 0.3,
            "per_class": {labels[0]: {"precision": 0.9, "recall": 0.85, "f1": 0.874, "support": tn + fp},
                          labels[1]: {"precision": 0.7, "recall": 0.78, "f1": 0.738, "support": fn + tp}},
            "confusion_matrix": [[tn, fp], [fn, tp]]}
json.dump({"val": split(40, 6, 4, 18), "test": split(80, 11, 9, 35), "best_epoch": 18, "epochs_run": 20,
           "early_stopped": False, "train_time_s": 2.5, "num_params": 1234, "model": "gat", "task": "graph",
           "device": "cpu"}, open(run + "/metrics.json", "w"))
with open(run + "/predictions.csv", "w") as f:
    f.write('id,split,true,pred,p_ordinary,p_root <cause>\n')
    k = 0
    for sp, n in (("val", 68), ("test", 135)):
        for i in range(n):
            y = 1 if i % 3 == 0 else 0
            p = min(0.99, max(0.01, 0.3 + 0.45 * y + 0.35 * math.sin(i * 1.7)))
            f.write("%d,%s,%s,%s,%.4f,%.4f\n" % (k, sp, labels[y], labels[int(p > 0.5)], 1 - p, p))
            k += 1
EOF

"$EVAL" report "$RUN" >/dev/null || fail "kprca-eval report failed"
[ -s "$RUN/report.html" ] || fail "no report.html"
NPLOTS=$(ls "$RUN/plots" | wc -l)
[ "$NPLOTS" -eq 10 ] || fail "expected 10 plots (loss, metrics, confusion, f1, roc, pr of val and test), got $NPLOTS: $(ls "$RUN/plots")"

chrome() { timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$tmp/profile" "$@" 2>"$tmp/chrome.err"; }
chrome --screenshot="$tmp/shot.png" --window-size=1200,2000 "file://$RUN/report.html" >/dev/null ||
  fail "chromium could not take a screenshot: $(tail -n 3 "$tmp/chrome.err")"
[ -s "$tmp/shot.png" ] || fail "no screenshot"
python3 - "$tmp/shot.png" <<'EOF' || fail "the screenshot does not show the plots"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG colour type %d/%d" % (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, counts, inked = bytearray(stride), set(), 0, 0
rows = min(h, 1100)  # the top of the page: summary, curves, the first heatmap (keeps the check fast)
for y in range(rows):  # undo the PNG row filters
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    pixels = list(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    colours.update(pixels)
    inked += len(pixels) - pixels.count((255, 255, 255))
    counts += pixels.count((0x1f, 0x77, 0xb4))  # the first series colour (curves, bars)
    prev = row
print("screenshot %dx%d (top %d rows): %d colours, %.1f%% non-white, %d curve pixels" %
      (w, h, rows, len(colours), 100 * inked / (w * rows), counts))
assert len(colours) >= 700, "too few colours: the plots did not render"
assert inked >= 0.03 * w * rows, "almost all white"
assert counts >= 200, "the curve colour is (nearly) absent"
EOF

chrome --dump-dom "file://$RUN/report.html" >"$tmp/dom.html" || fail "chromium --dump-dom failed"
NSVG=$(grep -o '<svg' "$tmp/dom.html" | wc -l)
[ "$NSVG" -eq "$NPLOTS" ] || fail "rendered DOM has $NSVG <svg> elements, expected $NPLOTS"
for id in loss metrics confusion_test f1_test roc_test pr_test; do
  grep -q "id=\"plot-$id\"" "$tmp/dom.html" || fail "plot $id missing from the rendered DOM"
done
grep -q 'root &lt;cause&gt;' "$tmp/dom.html" || fail "escaped class name not in the DOM"
grep -q '<polyline' "$tmp/dom.html" || fail "no curves in the DOM"

# comparison of two runs, and a directory that is not a run
cp -r "$RUN" "$tmp/exp/tiny/20260101-000001"
"$EVAL" --compare "$RUN" "$tmp/exp/tiny/20260101-000001" --out "$tmp" >"$tmp/cmp.txt" || fail "--compare failed"
grep -q '^accuracy .*0\.8519 .*0\.8519' "$tmp/cmp.txt" || fail "compare table lacks the accuracies: $(cat "$tmp/cmp.txt")"
[ -s "$tmp/compare.html" ] || fail "no compare.html"
mkdir "$tmp/empty"
set +e
"$EVAL" --compare "$RUN" "$tmp/empty" --out "$tmp/x" 2>"$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--compare with a non-run directory: exit $rc, expected 2"
grep -q "not a run directory" "$tmp/err.txt" || fail "unclear message: $(cat "$tmp/err.txt")"
# the page a training run writes at its end
"$BIN/kprca-train" --config "$SRC/configs/gat.yaml" data.path="$GRAPH" \
  train.epochs=3 train.progress=none output.dir="$tmp/runs" >"$tmp/train.txt" 2>&1 || fail "kprca-train: $(tail -3 "$tmp/train.txt")"
TR=$(ls -d "$tmp"/runs/gat/*/)
[ -s "$TR/report.html" ] || fail "the training run wrote no report.html"
chrome --dump-dom "file://${TR}report.html" >"$tmp/tdom.html" || fail "chromium --dump-dom failed on the training run's page"
n=$(grep -o '<svg' "$tmp/tdom.html" | wc -l)
[ "$n" -ge 4 ] || fail "the training run's page rendered $n SVG plots, expected loss, metrics and per-split plots"
grep -q '<polyline' "$tmp/tdom.html" || fail "no curves in the training run's page"
echo "report_chromium: ok"
