/* Multi-line kernel reports (oops, WARN, hung task, OOM, KASAN, RCU stall, panic): which lines
 * open a report (HEAD) and which continue one (CONT: trace frames, registers, memory dumps). */
#include <string.h>
#include "text/kernlog_int.h"

static inline bool dig(char c) { return c >= '0' && c <= '9'; }
static inline bool hex(char c) { return dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool starts(const char *t, const char *e, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(e - t) >= n && memcmp(t, lit, n) == 0;
}

static bool contains(const char *t, const char *e, const char *lit) {
  size_t n = strlen(lit);
  for (const char *p = t; (size_t)(e - p) >= n; p++) {
    p = memchr(p, lit[0], (size_t)(e - p));
    if (!p || (size_t)(e - p) < n) return false;
    if (memcmp(p, lit, n) == 0) return true;
  }
  return false;
}

/* "0x1a/0x30" */
static const char *hex_offset(const char *p, const char *e) {
  if (e - p < 3 || p[0] != '0' || p[1] != 'x' || !hex(p[2])) return NULL;
  p += 2;
  while (p < e && hex(*p)) p++;
  return p;
}

/* A stack frame: "[<ffffffff81234567>] ? func.isra.0+0x1a/0x30 [mod]" (pieces optional). */
static bool is_frame(const char *t, const char *e) {
  if (starts(t, e, "[<")) {
    const char *r = memchr(t, ']', (size_t)(e - t));
    if (!r) return false;
    t = r + 1;
    while (t < e && *t == ' ') t++;
  }
  if (starts(t, e, "? ")) t += 2;
  const char *id = t;
  while (t < e && (dig(*t) || (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || *t == '_' || *t == '.' ||
                   *t == '$'))
    t++;
  if (t == id || t >= e || *t != '+') return false;
  t = hex_offset(t + 1, e);
  if (!t || t >= e || *t != '/') return false;
  return hex_offset(t + 1, e) != NULL;
}

/* Register names of x86-64/x86 dumps ("RAX: 0000...", "CR2: ...", "Code: 48 89 ..."). */
static bool is_register_line(const char *t, const char *e) {
  static const char *const regs[] = {"RIP", "RSP", "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R08", "R09", "R10",
                                     "R11", "R12", "R13", "R14", "R15", "R8", "R9", "FS", "GS", "CS", "DS", "ES",
                                     "CR0", "CR2", "CR3", "CR4", "DR0", "DR1", "DR2", "DR3", "DR6", "DR7", "PKRU",
                                     "EIP", "ESP", "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ORIG_RAX",
                                     "Code", "EFLAGS", NULL};
  /* arm64: "pc : foo+0x10/0x20", "lr : ...", "sp : ffff...", "x29: ffff... x28: ...", "x9 : ..." */
  if (starts(t, e, "pc : ") || starts(t, e, "lr : ") || starts(t, e, "sp : ")) return true;
  const char *c = memchr(t, ':', (size_t)(e - t) < 10 ? (size_t)(e - t) : 10);
  if (!c || c + 1 >= e || c[1] != ' ') return false;
  size_t n = (size_t)(c - t);
  for (int i = 0; regs[i]; i++)
    if (strlen(regs[i]) == n && memcmp(regs[i], t, n) == 0) return true;
  if (t[0] == 'x' && n >= 2 && n <= 3 && dig(t[1]) && (n == 2 || dig(t[2]) || t[2] == ' ')) return true;
  return starts(t, e, "pstate: ");
}

/* Lines that only occur inside reports. */
static bool strong_body(const char *t, const char *e) {
  if (t >= e) return false;
  switch (*t) {
    case '<': { /* <TASK> </TASK> <IRQ> </IRQ> <NMI> <EOI> <SOFTIRQ> */
      const char *p = t + 1;
      if (p < e && *p == '/') p++;
      const char *w = p;
      while (p < e && *p >= 'A' && *p <= 'Z') p++;
      return p > w && p < e && *p == '>' && p + 1 == e;
    }
    case '-':
      if (starts(t, e, "---[ end ")) return true;
      break;
    case 'C':
      if (starts(t, e, "Call Trace:") || starts(t, e, "Call trace:")) return true;
      if (starts(t, e, "CPU: ")) { /* "CPU: 3 PID: 1234 Comm: ..." or "CPU: 3 UID: 0 PID: ..." */
        const char *p = t + 5;
        while (p < e && dig(*p)) p++;
        return p > t + 5 && (starts(p, e, " PID: ") || starts(p, e, " UID: "));
      }
      break;
    case 'M':
      if (starts(t, e, "Modules linked in:")) return true;
      break;
    case 'H':
      if (starts(t, e, "Hardware name:")) return true;
      break;
    case 'W':
      if (starts(t, e, "Workqueue:")) return true;
      break;
    case 'K':
      if (starts(t, e, "Kernel Offset:")) return true;
      break;
    case '#':
      if (starts(t, e, "#PF: ")) return true;
      break;
    case 'P':
      if (starts(t, e, "PGD ")) return true;
      break;
    case 't':
      if (starts(t, e, "task:") && contains(t, e, " state:")) return true;
      break;
    case '"':
      if (starts(t, e, "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\"")) return true;
      break;
    case 'i':
      if (starts(t, e, "irq event stamp:")) return true;
      break;
    case 'h':
      if (starts(t, e, "hardirqs last")) return true;
      break;
    case 's':
      if (starts(t, e, "softirqs last")) return true;
      break;
    case 'E':
      if (starts(t, e, "Exception stack(")) return true;
      break;
    default: break;
  }
  return is_register_line(t, e) || is_frame(t, e);
}

/* Lines that continue a report once one is open (OOM meminfo, task tables, KASAN details). */
static bool weak_body(const char *msg, const char *t, const char *e) {
  if (t > msg) return true; /* indented */
  char c = *t;
  if (dig(c)) return true; /* "4194174 pages RAM", "0 pages in swap cache" */
  if (c == '[' && t + 1 < e && (t[1] == ' ' || dig(t[1]))) return true; /* OOM task table "[  pid  ]" */
  if (c == '>' || c == ' ') return true;                                   /* KASAN shadow dump */
  if (c == '=' && starts(t, e, "=========")) return true;
  static const char *const prefixes[] = {
      "Mem-Info:", "active_anon:", "Node ", "lowmem_reserve[]:", "Free swap", "Total swap", "Tasks state",
      "oom-kill:", "Swap cache stats:", "Read of size", "Write of size", "The buggy address", "Memory state around",
      "Allocated by task", "Freed by task", "Last potentially related", "Second to last potentially", "page:",
      "flags:", "raw:", "head:", "page dumped because", "Disabling lock debugging", "Not tainted", "Tainted:",
      "Stack:", "Oops", "Internal error:", "invalid opcode:", "divide error:", "stack segment:", "Mem abort info:",
      "Data abort info:", "ESR = ", "EC = ", "user pgtable:", "rcu: ", "\t", "Sending NMI", "Showing busy workqueues",
      "workqueue ", "pool ", "Showing all locks", "other info that might help", "Possible unsafe locking",
      "stack backtrace:", "lock(", "*** DEADLOCK ***", "Object ", "Redzone ", "Padding ", "Bytes b4 ",
      "The buggy address belongs", NULL};
  for (int i = 0; prefixes[i]; i++)
    if (starts(t, e, prefixes[i])) return true;
  return false;
}

/* Report headlines; openers ("cut here" and the KASAN "=====" rule) start a report without being a head. */
static bool is_head(const char *t, const char *e) {
  switch (*t) {
    case 'B':
      if (starts(t, e, "BUG: ") || starts(t, e, "BUG ")) return true;
      break;
    case 'W':
      if (starts(t, e, "WARNING: ")) return true;
      break;
    case 'g':
      if (starts(t, e, "general protection fault")) return true;
      break;
    case 'k':
      if (starts(t, e, "kernel BUG at ")) return true;
      break;
    case 'K':
      if (starts(t, e, "Kernel panic - not syncing")) return true;
      break;
    case 'I':
      if (starts(t, e, "INFO: ")) return true;
      break;
    case 'r':
      if (starts(t, e, "rcu: INFO: ")) return true;
      break;
    case 'w':
      if (starts(t, e, "watchdog: BUG: ") || starts(t, e, "watchdog: Watchdog detected")) return true;
      break;
    case 'U':
      if (starts(t, e, "Unable to handle kernel") || starts(t, e, "UBSAN: ")) return true;
      break;
    case 'N':
      if (starts(t, e, "NMI backtrace for cpu")) return true;
      break;
    case 'O':
      if (starts(t, e, "Out of memory:")) return true;
      break;
    case 'M':
      if (starts(t, e, "Memory cgroup out of memory:")) return true;
      break;
    case 'u':
      if (starts(t, e, "unreferenced object ")) return true;
      break;
    default: break;
  }
  return contains(t, e, " invoked oom-killer: ");
}

/* Lines that open a report or head it only when none is open (the "Oops: ..." of a BUG). */
static bool is_opener(const char *t, const char *e) {
  return starts(t, e, "------------[ cut here ]") || starts(t, e, "=========");
}
static bool is_soft_head(const char *t, const char *e) {
  return starts(t, e, "Oops: ") || starts(t, e, "Oops ") || starts(t, e, "invalid opcode: ") ||
         starts(t, e, "Internal error: ") || starts(t, e, "divide error: ");
}

uint32_t klog_report_step(bool *in_report, const char *msg, size_t len) {
  const char *t = msg, *e = msg + len;
  while (t < e && (*t == ' ' || *t == '\t')) t++;
  if (t >= e) return *in_report ? KP_KLOG_CONT : 0;
  if (is_head(t, e)) {
    *in_report = true;
    return KP_KLOG_HEAD;
  }
  if (is_opener(t, e)) {
    bool was = *in_report;
    *in_report = true;
    return was ? KP_KLOG_CONT : 0;
  }
  if (is_soft_head(t, e)) {
    bool was = *in_report;
    *in_report = true;
    return was ? KP_KLOG_CONT : KP_KLOG_HEAD;
  }
  if (strong_body(t, e)) {
    *in_report = !starts(t, e, "---[ end ");
    return KP_KLOG_CONT;
  }
  if (*in_report && weak_body(msg, t, e)) return KP_KLOG_CONT;
  *in_report = false;
  return 0;
}
