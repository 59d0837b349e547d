#!/usr/bin/env python3
"""Markdown for scripts/bench/suite.sh (standard library only).

  tables.py loghub ROWS.tsv META.json             the loghub GA table
  tables.py kp-row TASK RUN_DIR TIME META.json     one task: summary row + confusion block (a JSON line)
  tables.py kp-write RESULTS ROWS.jsonl META.json  merge the task rows into the two kernel-panic regions
  tables.py splice RESULTS NAME FILE               replace the region between NAME's markers with FILE

META.json: {"machine", "commit", "date", "command", "quick"}. Regions are delimited by
<!-- NAME:begin --> and <!-- NAME:end -->; text outside them is never touched. Files are
rewritten through a temporary name and a rename.
"""
import json
import os
import re
import sys

# task key -> (display name, config, dataset)
TASKS = {
    "gat": ("GAT, incident graphs", "configs/gat.yaml"),
    "gcn": ("GCN, incident graphs", "configs/gcn.yaml"),
    "sage": ("GraphSAGE, incident graphs", "configs/sage.yaml"),
    "case-graph": ("GraphSAGE, case graph (LogSage-style)", "configs/case-graph.yaml"),
    "lines": ("MiniLM lines, binary", "configs/minilm-lines.yaml"),
    "rootcause": ("MiniLM lines, root-cause category", "configs/minilm-rootcause.yaml"),
}
ORDER = list(TASKS)


def die(msg):
    sys.stderr.write("suite.sh: " + msg + "\n")
    sys.exit(1)


def region_bounds(doc, name, path):
    b, e = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    i, j = doc.find(b), doc.find(e)
    if i < 0 or j < 0 or j < i:
        die("%s: no '%s' ... '%s' markers" % (path, b, e))
    return i + len(b), j


def get_region(doc, name, path):
    i, j = region_bounds(doc, name, path)
    return doc[i:j]


def set_region(doc, name, body, path):
    i, j = region_bounds(doc, name, path)
    return doc[:i] + "\n" + body.rstrip("\n") + "\n" + doc[j:]


def write_atomic(path, text):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def provenance(meta):
    return "Measured %s on %s, commit %s, with `%s`." % (meta["date"], meta["machine"], meta["commit"], meta["command"])


def loghub(rows_path, meta_path):
    meta = json.load(open(meta_path))
    out = ["| System | sim | depth | GA (kprca) | GA (published) | difference | PA | FGA | truth templates | "
           "kprca templates | parse s |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    n_eq = n_above = n_below = 0
    for line in open(rows_path):
        sysname, sim, depth, ga, pub, pa, fga, truth_t, pred_t, secs = line.rstrip("\n").split("\t")
        d = float(ga) - float(pub)
        if abs(d) < 5e-5:
            diff, n_eq = "=", n_eq + 1
        elif d > 0:
            diff, n_above = "+%.4f" % d, n_above + 1
        else:
            diff, n_below = "%.4f" % d, n_below + 1
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" %
                   (sysname, sim, depth, ga, pub, diff, pa, fga, truth_t, pred_t, secs))
    out.append("")
    out.append("GA equal to the published figure on %d of %d systems (above on %d, below on %d). Truth templates: "
               "distinct EventIds of the ground truth; kprca templates: rows of kprca's `_templates.csv`; parse s: "
               "wall seconds of `kprca-prep parse` (load, mask, mine, write). %s" %
               (n_eq, n_eq + n_above + n_below, n_above, n_below, provenance(meta)))
    print("\n".join(out))


def fmt(x):
    return "%.4f" % x if isinstance(x, (int, float)) else "—"


def confusion_block(split, labels):
    cm = split["confusion_matrix"]
    w = max(len(l) for l in labels)
    cw = max(3, max(len(str(v)) for r in cm for v in r) + 1)
    lines = ["%*s  %s" % (w + 3, "", "".join("%*d" % (cw, j) for j in range(len(labels))))]
    for i, (lab, row) in enumerate(zip(labels, cm)):
        lines.append("%*s %2d  %s" % (w, lab, i, "".join("%*d" % (cw, v) for v in row)))
    return "\n".join(lines)


def kp_row(task, run_dir, secs, meta_path):
    meta = json.load(open(meta_path))
    name, cfg = TASKS[task]
    mj = os.path.join(run_dir, "metrics.json")
    try:
        j = json.load(open(mj))
    except (OSError, ValueError) as e:
        die("%s: %s" % (mj, e))
    t = j.get("test")
    if not t or "confusion_matrix" not in t:
        die("%s: no test split with a confusion matrix" % mj)
    labels = t.get("labels") or [str(i) for i in range(len(t["confusion_matrix"]))]
    binary_f1 = fmt(t["f1"]) if "f1" in t else "—"
    if secs in ("", "-"):
        secs_s = "%.0f (train)" % j["train_time_s"] if "train_time_s" in j else "—"
    else:
        wall, cpu = (secs.split("/") + [""])[:2]
        secs_s = "%.0f / %.0f" % (float(wall), float(cpu)) if cpu else "%.0f" % float(wall)
    epochs = "%s / %s" % (j.get("best_epoch", "—"), j.get("epochs_run", "—"))
    when = "%s, %s%s" % (meta["date"], meta["commit"], ", quick" if meta.get("quick") else "")
    row = "| `%s` | %s | `%s` | %d | %s | %s | %s | %s | %s | %s |" % (
        task, name, cfg, t.get("n", 0), fmt(t.get("accuracy")), fmt(t.get("macro_f1")), binary_f1, epochs, secs_s,
        when)
    block = ["<!-- kp:%s -->" % task, "**%s** (`%s`, test split, %d items): accuracy %s, macro F1 %s%s. %s" % (
        name, cfg, t.get("n", 0), fmt(t.get("accuracy")), fmt(t.get("macro_f1")),
        ", F1 (root cause) " + binary_f1 if "f1" in t else "", provenance(meta)), "",
        "```", "rows: true class, columns: predicted class (by row number)", confusion_block(t, labels), "```", ""]
    print(json.dumps({"task": task, "row": row, "block": "\n".join(block), "machine": meta["machine"]}))


SUMMARY_HEAD = ("| task | model, data | config | test items | accuracy | macro F1 | F1 (root cause) | "
                "best / run epochs | wall s / CPU s | measured |\n|---|---|---|---|---|---|---|---|---|---|")


def kp_write(results, rows_path, meta_path):
    meta = json.load(open(meta_path))
    new = {}
    for line in open(rows_path):
        if line.strip():
            r = json.loads(line)
            new[r["task"]] = r
    doc = open(results).read()
    # keep the rows and blocks of the tasks not run this time
    old_rows, old_blocks, old_machines = {}, {}, {}
    for line in get_region(doc, "kernel-panic-table", results).splitlines():
        m = re.match(r"\| `([\w-]+)` \|", line)
        if m and "not measured yet" not in line:
            old_rows[m.group(1)] = line
    conf = get_region(doc, "kernel-panic-confusion", results)
    for part in re.split(r"(?m)^(?=<!-- kp:)", conf):
        m = re.match(r"<!-- kp:([\w-]+) -->", part)
        if m:
            old_blocks[m.group(1)] = part.rstrip("\n") + "\n"
            mm = re.search(r" on (.+?), commit ", part)
            if mm:
                old_machines[m.group(1)] = mm.group(1)
    rows, blocks, machines = [], [], []
    for task in ORDER:
        if task in new:
            rows.append(new[task]["row"])
            blocks.append(new[task]["block"].rstrip("\n") + "\n")
            machines.append(new[task]["machine"])
        elif task in old_rows:
            rows.append(old_rows[task])
            if task in old_blocks:
                blocks.append(old_blocks[task])
            if task in old_machines:
                machines.append(old_machines[task])
        else:
            name, cfg = TASKS[task]
            rows.append("| `%s` | %s | `%s` | not measured yet: `scripts/bench/suite.sh --only %s --write` "
                        "| | | | | | |" % (task, name, cfg, task))
    machines = list(dict.fromkeys(machines))
    table = SUMMARY_HEAD + "\n" + "\n".join(rows) + "\n\n" + (
        "Test split of each dataset's file split. Best / run epochs: the epoch whose weights were tested and the "
        "epochs run (early stopping; best 0: no validation, the last epoch's weights). Wall s / CPU s: wall time and CPU time (user + system, all threads) of the "
        "whole `kprca-train` process (load, train, evaluate, write the run directory); on a shared machine the "
        "wall time includes waiting for cores. `(train)`: only the run's training time is known (a run imported "
        "with `--from-run`). Machine%s: %s. Each task's date and commit are in its row; the command and "
        "confusion matrix are in its block under the table. Last written %s with `%s`." % (
            "s" if len(machines) > 1 else "", "; ".join(machines) or meta["machine"], meta["date"], meta["command"]))
    doc = set_region(doc, "kernel-panic-table", table, results)
    doc = set_region(doc, "kernel-panic-confusion", "\n".join(blocks), results)
    write_atomic(results, doc)


def splice(results, name, body_path):
    doc = open(results).read()
    write_atomic(results, set_region(doc, name, open(body_path).read(), results))


def main(argv):
    cmds = {"loghub": (loghub, 2), "kp-row": (kp_row, 4), "kp-write": (kp_write, 3), "splice": (splice, 3)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
