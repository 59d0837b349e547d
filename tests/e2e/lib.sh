# Shared setup of the end-to-end scripts, sourced by each (not a test itself: tests/CMakeLists.txt skips it).
# The script's arguments are BIN_DIR SOURCE_DIR. Gives: BIN and SRC as absolute paths, the train fixtures NODE
# and GRAPH, a temporary folder $tmp removed at exit (a background process left in $pid is ended first), the
# counter fail for `exit $fail`, check, and expect_fail for the one-line usage errors every tool promises.
set -u
BIN=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
NODE=$SRC/tests/fixtures/train/node-small.h5
GRAPH=$SRC/tests/fixtures/train/graph-small.h5
fail=0
pid=
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# check NAME CONDITION: evaluates CONDITION and prints "ok: NAME" or "FAIL: NAME" (then fail=1 and status 1, so
# that `check ... || show-why` can print what went wrong).
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; return 1; fi; }

# expect_fail [--quiet-stdout] NAME GREP_OPT WANT CMD...: CMD, with standard input from /dev/null, exits 2 with
# exactly one line on stderr in which `grep GREP_OPT -- WANT` finds a match (GREP_OPT -F, -E or -G); with
# --quiet-stdout it also prints nothing on stdout. Its output stays in $tmp/fail.out and $tmp/fail.err.
expect_fail() {
  local quiet=false also=
  if [ "$1" = --quiet-stdout ]; then quiet=true also=", nothing on stdout"; shift; fi
  local name=$1 opt=$2 want=$3
  shift 3
  "$@" < /dev/null > "$tmp/fail.out" 2> "$tmp/fail.err"
  local rc=$?
  check "$name: exit 2 (got $rc), one line on stderr$also" \
    '[ $rc -eq 2 ] && [ $(wc -l < "$tmp/fail.err") -eq 1 ] && grep -q $opt -- "$want" "$tmp/fail.err" &&
     { ! $quiet || [ ! -s "$tmp/fail.out" ]; }' || sed 's/^/    /' "$tmp/fail.err"
}

# train_fails NAME WANT ARGS...: kprca-train ARGS (1 epoch, no progress output, output.dir $tmp/fails) exits 2
# with one line "kprca-train: ..." on stderr that holds the text WANT, and leaves no run directory.
train_fails() {
  local name=$1 want=$2
  shift 2
  expect_fail "$name" -F "$want" "$BIN/kprca-train" "$@" output.dir="$tmp/fails" train.epochs=1 train.progress=none
  check "$name: the line is kprca-train's" 'grep -q "^kprca-train: " "$tmp/fail.err"'
  check "$name: no run directory" '[ ! -e "$tmp/fails" ]'
}
