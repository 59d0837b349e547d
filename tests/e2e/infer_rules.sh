#!/usr/bin/env bash
# End to end: kprca-infer with rules only (args: BIN_DIR SOURCE_DIR): a file, standard input, JSON Lines,
# --all, --incident rankings, follow mode (appended lines appear, truncation, rotation, SIGINT ends with 0),
# and bad input (one line, exit 2).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
I="$BIN/kprca-infer"
R="$SRC/configs/rules/kernel-panic.yaml"

# A syslog excerpt: ordinary lines, an ignored link-up, a fatal Xid, a hung task, CRLF, no final newline.
printf '%s\n' \
  'Mar  3 14:02:11 gpu-7 kernel: [ 12.345678] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx' \
  'Mar  3 14:02:12 gpu-7 kernel: [ 13.000001] systemd[1]: Started Session 42 of user root.' \
  'Mar  3 14:05:00 gpu-7 kernel: [ 180.500000] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.' > "$tmp/a.log"
printf 'Mar  3 14:07:00 gpu-7 kernel: [ 300.000000] INFO: task kworker/3:1:99 blocked for more than 120 seconds.\r\n' >> "$tmp/a.log"
printf 'Mar  3 14:07:01 gpu-7 kernel: [ 301.000000] usb 1-1: new high-speed USB device number 2 using xhci_hcd' >> "$tmp/a.log"

"$I" --rules "$R" "$tmp/a.log" > "$tmp/o" 2> "$tmp/e"; rc=$?
check "file: exit 0, no stderr" '[ $rc -eq 0 ] && [ ! -s "$tmp/e" ]'
check "file: two flagged lines" '[ $(wc -l < "$tmp/o") -eq 2 ]'
check "file: the fallen-off-bus rule decides line 3 (first match wins)" \
  'grep -qP "^\Q$tmp\E/a.log:3\tgpu_xid\t1.0000\trule:gpu-fallen-off-bus\tNVRM: Xid" "$tmp/o"'
check "file: CRLF line 4 is a hung task, text without header or CR" \
  'grep -qP "^\Q$tmp\E/a.log:4\thung_task\t0.7000\trule:hung-task\tINFO: task kworker/3:1:99 blocked for more than 120 seconds.$" "$tmp/o"'

"$I" --rules "$R" < "$tmp/a.log" > "$tmp/o2"; rc=$?
check "stdin: same lines named <stdin>" '[ $rc -eq 0 ] && [ "$(sed "s|^$tmp/a.log|<stdin>|" "$tmp/o")" = "$(cat "$tmp/o2")" ]'

"$I" --rules "$R" --json --all "$tmp/a.log" > "$tmp/j"; rc=$?
check "json --all: one object per message line (5)" '[ $rc -eq 0 ] && [ $(wc -l < "$tmp/j") -eq 5 ]'
check "json: fields of the Xid line" \
  'sed -n 3p "$tmp/j" | grep -q "\"source\":\"$tmp/a.log\",\"lineno\":3,\"time\":[0-9.]*,\"uptime\":180.5,\"text\":\"NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.\",\"label\":\"gpu_xid\",\"score\":1,\"by\":\"rule:gpu-fallen-off-bus\""'
check "json: the ignored link-up line is ordinary by its rule" \
  'sed -n 1p "$tmp/j" | grep -q "\"label\":\"ordinary\",\"score\":1,\"by\":\"rule:link-up\""'
check "json: an undecided line has no label" 'sed -n 2p "$tmp/j" | grep -q "\"label\":\"\",\"score\":0,\"by\":\"none\""'

cp "$tmp/a.log" "$tmp/b.log"
printf 'Mar  3 14:09:00 gpu-7 kernel: [ 400.000000] nfs: server filer01 not responding, still trying\n' > "$tmp/c.log"
"$I" --rules "$R" --incident --top 2 "$tmp/b.log" "$tmp/c.log" > "$tmp/i"; rc=$?
check "incident: one block per file, ranked" '[ $rc -eq 0 ] && grep -q "^incident $tmp/b.log: 5 lines, 2 flagged$" "$tmp/i" &&
  grep -Eq "^  1\. gpu_xid +1\.0000  line 3 rule:gpu-fallen-off-bus" "$tmp/i" && grep -Eq "^  2\. hung_task +0\.7000  line 4" "$tmp/i" &&
  grep -Eq "^  1\. nfs +0\.9000  line 1 " "$tmp/i"'
"$I" --rules "$R" --incident --json "$tmp/c.log" > "$tmp/ij"
check "incident json" 'grep -q "^{\"source\":\"$tmp/c.log\",\"lines\":1,\"flagged\":1,\"ranking\":\[{\"rank\":1,\"label\":\"nfs\",\"score\":0.9,\"lineno\":1," "$tmp/ij"'

# Follow: lines appended later appear without the tool ending; truncation; rotation; SIGINT.
wait_for() { # pattern, file: up to 10 s
  for _ in $(seq 100); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
: > "$tmp/f.log"
"$I" --rules "$R" --follow --json --interval 0.05 "$tmp/f.log" > "$tmp/fo" 2> "$tmp/fe" &
pid=$!
sleep 0.3
printf 'Mar  3 15:00:00 n1 kernel: [ 10.0] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [kworker/3:1:123]\n' >> "$tmp/f.log"
check "follow: an appended line appears" 'wait_for "\"lineno\":1,.*soft_lockup" "$tmp/fo"'
printf 'Mar  3 15:00:01 n1 kernel: [ 11.0] ordinary line\nMar  3 15:00:02 n1 kernel: [ 12.0] BUG: kernel NULL pointer dere' >> "$tmp/f.log"
sleep 0.3
check "follow: a half-written line waits for its newline" '! grep -q null_deref "$tmp/fo"'
printf 'ference, address: 0000000000000008\n' >> "$tmp/f.log"
check "follow: the completed line appears as line 3" 'wait_for "\"lineno\":3,.*null_deref" "$tmp/fo"'
: > "$tmp/f.log"; sleep 0.3
printf 'Mar  3 15:01:00 n1 kernel: [ 20.0] nfs: server filer01 not responding, still trying\n' >> "$tmp/f.log"
check "follow: truncation rereads from line 1" 'wait_for "\"lineno\":1,.*\"label\":\"nfs\"" "$tmp/fo"'
mv "$tmp/f.log" "$tmp/f.log.1"
printf 'Mar  3 15:02:00 n1 kernel: [ 30.0] NETDEV WATCHDOG: eth0 (mlx5_core): transmit queue 3 timed out\n' > "$tmp/f.log"
check "follow: a rotated file is followed from its start" 'wait_for "\"lineno\":1,.*nic_timeout" "$tmp/fo"'
kill -INT $pid; wait $pid; rc=$?; pid=
check "follow: SIGINT ends with exit 0" '[ $rc -eq 0 ]'
check "follow: notes on stderr for truncation and rotation" 'grep -q "file truncated" "$tmp/fe" && grep -q "rotated" "$tmp/fe"'

# Follow standard input (a pipe): lines arrive while the writer is still running.
mkfifo "$tmp/fifo"
"$I" --rules "$R" --follow < "$tmp/fifo" > "$tmp/po" &
pid=$!
exec 3> "$tmp/fifo"
printf 'rcu: INFO: rcu_sched self-detected stall on CPU\n' >&3
check "pipe: a line is printed before the writer closes" 'wait_for "rcu_stall" "$tmp/po"'
exec 3>&-
wait $pid; rc=$?; pid=
check "pipe: the end of the pipe ends the run with 0" '[ $rc -eq 0 ]'

bad() { # name, expected stderr pattern, args...
  local name=$1 pat=$2; shift 2
  expect_fail --quiet-stdout "$name" -E "$pat" "$I" "$@"
}
bad "no rules or model" "give --rules FILE, --model PATH" "$tmp/a.log"
bad "unknown option" "unknown option" --rules "$R" --bogus "$tmp/a.log"
bad "missing rules file" "nope.yaml: cannot open" --rules "$tmp/nope.yaml" "$tmp/a.log"
printf -- '- name: a\n  regex: x\n   label: y\n' > "$tmp/r1.yaml"
bad "bad rules YAML" "r1.yaml:3:[0-9]+: YAML syntax error" --rules "$tmp/r1.yaml" "$tmp/a.log"
printf -- "- {name: ok, regex: 'x', label: y}\n- name: broken\n  regex: 'Xid (\\\\d+'\n  label: gpu_xid\n" > "$tmp/r2.yaml"
bad "bad regex names file:line:col" "r2.yaml:3:[0-9]+: rule 'broken': bad regex: missing closing parenthesis" --rules "$tmp/r2.yaml" "$tmp/a.log"
bad "missing log" "nope.log: cannot open" --rules "$R" "$tmp/nope.log"
bad "missing model" "nope-model: no such model" --model "$tmp/nope-model" "$tmp/a.log"
bad "bad threshold" "--threshold needs a number" --rules "$R" --threshold 2 "$tmp/a.log"
exit $fail
