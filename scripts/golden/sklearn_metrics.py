#!/usr/bin/env python3
"""Write tests/fixtures/metrics/*.json: scikit-learn's classification metrics and
classification_report text on seeded predictions, for tests/unit/test_metrics.cc (kprca's
src/eval/metrics*.c must give every number within 1e-12 and the report byte for byte).

Run once by a developer, never by tests or CI:

    python3 scripts/golden/sklearn_metrics.py

The first run makes a virtual environment (build/sklearn-venv, or $KPRCA_GOLDEN_VENV) and
installs scikit-learn and numpy into it from PyPI; later runs reuse it. Each case holds
y_true / y_pred (y_true -1 marks an unlabelled item, which kprca skips; sklearn gets the
labelled items only), class names, sklearn's numbers with labels=range(C), its report at 2 and
4 digits, and for score cases float32 scores with ROC-AUC / average precision (binary) or
Acc@k / MRR (class-score rows). sklearn has no MRR: it is computed here from the same order
top_k_accuracy_score uses (a stable argsort of the scores, reversed).
"""
import json
import os
import subprocess
import sys
import warnings

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VENV = os.environ.get("KPRCA_GOLDEN_VENV", os.path.join(ROOT, "build", "sklearn-venv"))
OUT = os.path.join(ROOT, "tests", "fixtures", "metrics")


def ensure_venv():
    """Re-run this script inside the venv, creating it first if needed."""
    venv = os.path.abspath(VENV)
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    probe = subprocess.run([py, "-c", "import sklearn, numpy"], capture_output=True)
    if probe.returncode != 0:
        subprocess.check_call([py, "-m", "pip", "install", "scikit-learn", "numpy"])
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])


ensure_venv()

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn import metrics as M  # noqa: E402

warnings.simplefilter("ignore")  # zero-division and k >= C warnings are expected in some cases

# Root-cause categories of the synthetic kernel-panic corpus style: 13 causes and "benign".
PANIC_NAMES = ["benign", "oom_kill", "null_pointer_deref", "soft_lockup", "hung_task", "gpu_xid_error",
               "ecc_memory", "nvme_timeout", "ext4_fs_error", "rcu_stall", "general_protection_fault",
               "bad_page_state", "watchdog_hard_lockup", "mce"]


def noisy_predictions(rng, y_true, num_classes, p_correct, never=()):
    """Predictions equal to y_true with probability p_correct, otherwise another class; classes
    in never are replaced by a neighbour so that they are never predicted."""
    y_pred = y_true.copy()
    wrong = rng.random(len(y_true)) >= p_correct
    y_pred[wrong] = rng.integers(0, num_classes, wrong.sum())
    for c in never:
        y_pred[y_pred == c] = (c + 1) % num_classes
    return y_pred


def class_scores(rng, y_true, y_pred, num_classes, grid):
    """float32 scores [n, C] that favour y_pred and y_true, rounded to a grid of 1/grid so that
    ties are common (testing the tie rule)."""
    n = len(y_true)
    s = rng.normal(0.0, 1.0, (n, num_classes))
    lab = y_true >= 0
    s[np.arange(n)[lab], y_true[lab]] += 1.0
    s[np.arange(n), y_pred] += 1.5
    return (np.round(s * grid) / grid).astype(np.float32)


def sk_numbers(y_true, y_pred, num_classes):
    labels = list(range(num_classes))
    out = {
        "accuracy": M.accuracy_score(y_true, y_pred),
        "balanced_accuracy": M.balanced_accuracy_score(y_true, y_pred),
        "confusion_matrix": M.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    p, r, f, s = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None)
    out.update(precision=p.tolist(), recall=r.tolist(), f1=f.tolist(), support=s.tolist())
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg)
        out.update({avg + "_precision": float(p), avg + "_recall": float(r), avg + "_f1": float(f)})
    return out


def make_case(name, y_true, y_pred, num_classes, names=None, scores=None, binary_scores=None):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    lab = y_true >= 0
    yt, yp = y_true[lab], y_pred[lab]
    case = {
        "name": name,
        "num_classes": num_classes,
        "names": names,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "sklearn": sk_numbers(yt, yp, num_classes),
    }
    labels = list(range(num_classes))
    for d in (2, 4):
        case["sklearn"]["report_%d" % d] = M.classification_report(
            yt, yp, labels=labels, target_names=names, digits=d)
    if binary_scores is not None:
        b = np.asarray(binary_scores, dtype=np.float32)
        case["binary_scores"] = [float(v) for v in b]
        case["sklearn"]["roc_auc"] = float(M.roc_auc_score(yt, b[lab]))
        case["sklearn"]["average_precision"] = float(M.average_precision_score(yt, b[lab]))
    if scores is not None:
        s = np.asarray(scores, dtype=np.float32)
        case["scores"] = [float(v) for v in s.reshape(-1)]
        topk = {}
        for k in (1, 2, 3, 5):
            if k <= num_classes:
                topk[str(k)] = float(M.top_k_accuracy_score(yt, s[lab], k=k, labels=labels))
        case["sklearn"]["top_k_accuracy"] = topk
        order = np.argsort(s[lab], axis=1, kind="mergesort")[:, ::-1]
        ranks = np.argmax(order == yt[:, None], axis=1) + 1
        case["sklearn"]["mrr"] = float(np.mean(1.0 / ranks))
    return case


def main():
    rng = np.random.default_rng(20240612)
    cases = []

    # binary, class 1 rarer, scores with ties on a 1/8 grid
    n = 80
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = np.clip(np.round((0.35 * y + rng.random(n) * 0.65) * 8) / 8, 0, 1)
    yp = (s >= 0.5).astype(np.int64)
    cases.append(make_case("binary", y, yp, 2, names=["ordinary", "root_cause"], binary_scores=s))

    # binary with default names (numbers), heavy ties, and unlabelled items (-1) in between
    n = 50
    y = (rng.random(n) < 0.5).astype(np.int64)
    y[rng.random(n) < 0.2] = -1
    s = np.round(rng.random(n) * 3 + 0.8 * (y == 1)) / 4
    yp = (s > 0.5).astype(np.int64)
    cases.append(make_case("binary_ties_unlabelled", y, yp, 2, binary_scores=s))

    # 5 classes, class 3 never in y_true (empty) but predicted a few times
    n = 120
    y = rng.integers(0, 5, n)
    y[y == 3] = 4
    yp = noisy_predictions(rng, y, 5, 0.6)
    names = ["oom", "lockup", "nvme", "empty_class", "ecc"]
    cases.append(make_case("five_class_empty", y, yp, 5, names=names, scores=class_scores(rng, y, yp, 5, 4)))

    # 4 classes, class 2 never predicted
    n = 90
    y = rng.integers(0, 4, n)
    yp = noisy_predictions(rng, y, 4, 0.7, never=(2,))
    cases.append(make_case("never_predicted", y, yp, 4, names=["a", "b", "never_predicted", "d"],
                           scores=class_scores(rng, y, yp, 4, 2)))

    # perfect predictions
    y = rng.integers(0, 3, 30)
    cases.append(make_case("perfect", y, y.copy(), 3, names=["x", "y", "z"]))

    # all wrong
    y = rng.integers(0, 3, 30)
    cases.append(make_case("all_wrong", y, (y + 1) % 3, 3, names=["x", "y", "z"],
                           scores=class_scores(rng, y, (y + 1) % 3, 3, 1)))

    # names of very different lengths, one longer than "weighted avg", one with non-ASCII letters
    n = 70
    y = rng.integers(0, 4, n)
    yp = noisy_predictions(rng, y, 4, 0.5)
    names = ["x", "a_rather_long_root_cause_name", "défaut_mémoire", "mid_length"]
    cases.append(make_case("name_lengths", y, yp, 4, names=names))

    # 13 root causes + benign, as the kernel-panic corpus; benign dominant, one cause absent
    n = 600
    p = np.array([0.35] + [0.05] * 13)
    p[9] = 0.0
    p /= p.sum()
    y = rng.choice(14, n, p=p)
    yp = noisy_predictions(rng, y, 14, 0.75)
    cases.append(make_case("panic_14", y, yp, 14, names=PANIC_NAMES, scores=class_scores(rng, y, yp, 14, 2)))

    # a single item, and one class only
    cases.append(make_case("single_item", [1], [0], 2))
    cases.append(make_case("one_class", [0, 0, 0, 0], [0, 0, 0, 0], 1, names=["only"]))

    os.makedirs(OUT, exist_ok=True)
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__,
            "generator": "scripts/golden/sklearn_metrics.py"}
    for c in cases:
        c["versions"] = meta
        path = os.path.join(OUT, c["name"] + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(c, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
