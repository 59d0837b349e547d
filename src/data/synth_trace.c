/* Pieces of kernel reports as x86-64 Linux prints them: taint strings, the CPU/Comm line,
 * call-trace frames (fn+off/size [module], offsets fixed per function and kernel build),
 * register dumps, <IRQ>/<TASK> markers and "---[ end trace ]---". */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

bool sy_newstyle(const sy_ctx *c) { return c->h.k->major > 5 || (c->h.k->major == 5 && c->h.k->minor >= 14); }

void sy_taint(sy_ctx *c, char flag) {
  if (!strchr(c->taint, flag)) {
    size_t l = strlen(c->taint);
    if (l + 1 < sizeof c->taint) {
      c->taint[l] = flag;
      c->taint[l + 1] = 0;
    }
  }
}

const char *sy_tainted(sy_ctx *c, char *buf) {
  if (!c->taint[0]) return "Not tainted";
  const char *order = c->h.k->major >= 6 ? "PFSRMBUDAWCIOELKXTN" : "PFSRMBUDAWCIOELKXT";
  char *p = buf + sprintf(buf, "Tainted: ");
  for (const char *o = order; *o; o++) {
    if (strchr(c->taint, *o)) *p++ = *o;
    else *p++ = *o == 'P' ? 'G' : ' ';
  }
  *p = 0;
  return buf;
}

void sy_cpu_line(sy_ctx *c, int role, int cpu, int pid, const char *comm) {
  char tb[40];
  sy_out(c, role, "CPU: %d PID: %d Comm: %.20s %s %s %s", cpu, pid, comm, sy_tainted(c, tb), c->h.k->release,
         c->h.k->version);
}

void sy_hw_line(sy_ctx *c) { sy_out(c, SY_ROLE_N, "Hardware name: %s", c->h.hw); }

/* names that older kernels (4.18, 5.4) print differently; NULL: the frame does not exist there */
static const char *old_name(const char *fn) {
  static const char *const map[][2] = {
      {"dump_stack_lvl", "dump_stack"},
      {"asm_exc_page_fault", "page_fault"},
      {"exc_page_fault", "do_page_fault"},
      {"asm_sysvec_apic_timer_interrupt", "apic_timer_interrupt"},
      {"sysvec_apic_timer_interrupt", "smp_apic_timer_interrupt"},
      {"__sysvec_apic_timer_interrupt", NULL},
      {"asm_exc_invalid_op", "invalid_op"},
      {"exc_invalid_op", "do_invalid_op"},
      {"asm_exc_general_protection", "general_protection"},
      {"exc_general_protection", "do_general_protection"},
      {"handle_bug", NULL},
      {"asm_common_interrupt", "common_interrupt"},
      {"kthread_complete_and_exit", "do_exit"},
      {"ret_from_fork_asm", NULL},
  };
  for (int i = 0; i < SY_N_OF(map); i++)
    if (!strcmp(map[i][0], fn)) return map[i][1];
  return fn;
}

void sy_frame(sy_ctx *c, char *buf, size_t n, const char *spec) {
  bool q = spec[0] == '?';
  if (q) spec += spec[1] == ' ' ? 2 : 1;
  char name[96];
  const char *sp = strchr(spec, ' ');
  size_t nl = sp ? (size_t)(sp - spec) : strlen(spec);
  if (nl >= sizeof name) nl = sizeof name - 1;
  memcpy(name, spec, nl);
  name[nl] = 0;
  const char *mod = sp ? sp + 1 : "";
  const char *fn = sy_newstyle(c) ? name : old_name(name);
  if (!fn) {
    buf[0] = 0;
    return;
  }
  uint64_t hsh = sy_hash(fn, sy_hash(c->h.k->release, 7));
  bool cold = strstr(fn, ".cold") != NULL;
  uint32_t size = cold ? 0x10 + (uint32_t)(hsh % 0x180) : 0x30 + (uint32_t)(hsh % 0x9d0);
  size &= ~0xfu;
  if (size < 0x20) size = 0x20;
  uint32_t off = 4 + (uint32_t)((hsh >> 21) % (size - 4));
  if (!strncmp(fn, "ret_from_fork", 13)) size = 0x30, off = 0x1f + (uint32_t)((hsh >> 40) % 4);
  if (!strncmp(fn, "entry_SYSCALL_64_after_hwframe", 30)) size = 0xae + 4 * (uint32_t)((hsh >> 40) % 14), off = 0x44 + 4 * (uint32_t)((hsh >> 44) % 10);
  snprintf(buf, n, "%s%s+0x%x/0x%x%s%s", q ? "? " : "", fn, off, size, *mod ? " " : "", mod);
}

void sy_trace(sy_ctx *c, const char *const *frames, int n) {
  sy_out(c, SY_ROLE_N, "Call Trace:");
  bool task = sy_newstyle(c), in_task = false, in_irq = false;
  char b[192];
  for (int i = 0; i < n; i++) {
    const char *f = frames[i];
    if (f[0] == '<') { /* <IRQ>, </IRQ>, <NMI>, </NMI>, <#MC>, </#MC>: exception stacks */
      if (f[1] != '/' && in_task) {
        sy_out(c, SY_ROLE_N, " </TASK>");
        in_task = false;
      }
      sy_out(c, SY_ROLE_N, " %s", f);
      in_irq = f[1] != '/';
      continue;
    }
    if (!strcmp(f, "@user")) {
      if (task) sy_regs(c, SY_ROLE_N, NULL, true, 0);
      continue;
    }
    if (task && !in_task && !in_irq) {
      sy_out(c, SY_ROLE_N, " <TASK>");
      in_task = true;
    }
    sy_frame(c, b, sizeof b, f);
    if (b[0]) sy_out(c, SY_ROLE_N, " %s", b);
  }
  if (in_task) sy_out(c, SY_ROLE_N, " </TASK>");
}

uint64_t sy_kptr(sy_ctx *c) { return c->h.kbase + ((uint64_t)sy_range(&c->r, 0x100000, 0x7fffffff) << 6) * 8; }

uint64_t sy_stackptr(sy_ctx *c) {
  uint64_t page = (uint64_t)sy_range(&c->r, 0, 0xfffff) << 14;
  return c->h.vbase + page + 0x3c00 + 8 * (uint64_t)sy_range(&c->r, 0, 0x7f);
}

static uint64_t regval(sy_ctx *c, bool user) {
  if (user) {
    switch (sy_below(&c->r, 6)) {
      case 0: case 1: return 0;
      case 2: return (uint64_t)sy_range(&c->r, 1, 0xffff);
      case 3: {
        uint64_t page = (uint64_t)sy_range(&c->r, 0, 0xffffff) << 12;
        return 0x7f0000000000ull + page + sy_below(&c->r, 4096);
      }
      case 4: return 0x00005500000000ull + ((uint64_t)sy_range(&c->r, 0, 0xffffff) << 8);
      default: return sy_chance(&c->r, 0.5) ? 0xffffffffffffffdaull : 0x7ffc00000000ull + (uint64_t)sy_range(&c->r, 0, 0x3ffffffff);
    }
  }
  switch (sy_below(&c->r, 20)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: return 0;
    case 7: case 8: case 9: return (uint64_t)sy_range(&c->r, 1, 0xfff);
    case 10: case 11: case 12: case 13: case 14: case 15: case 16: return sy_kptr(c);
    case 17: case 18: return sy_stackptr(c);
    default: return sy_chance(&c->r, 0.5) ? 0xffffffffffffffffull : 0xdead000000000100ull;
  }
}

/* 64 plausible instruction bytes with the faulting one (byte 42) bracketed */
static void code_bytes(sy_ctx *c, char *buf, size_t n) {
  static const char *const snip[] = {"48 8b 45 08", "48 89 df", "e8 %02x %02x %02x ff", "0f 1f 44 00 00", "41 5c", "5d",
                                     "c3", "cc cc", "66 90", "48 85 c0", "74 %02x", "75 %02x", "0f 84 %02x %02x 00 00",
                                     "41 54", "55", "48 89 e5", "53", "48 83 ec 08", "8b 47 %02x", "49 89 fc", "4c 89 e7",
                                     "31 c0", "eb %02x", "48 8b 07", "f0 ff 4f %02x", "0f 0b", "48 c7 c7 %02x %02x %02x 82"};
  char tmp[320];
  size_t len = 0;
  int bytes = 0;
  while (bytes < 64 && len + 24 < sizeof tmp) {
    char s[32];
    const char *fmt = SY_PICK(&c->r, snip);
    unsigned b0 = sy_below(&c->r, 256), b1 = sy_below(&c->r, 256), b2 = sy_below(&c->r, 256);
    snprintf(s, sizeof s, fmt, b0, b1, b2);
    for (char *p = s; *p;) {
      if (bytes == 64) break;
      if (*p == ' ') {
        p++;
        continue;
      }
      len += (size_t)snprintf(tmp + len, sizeof tmp - len, bytes == 42 ? "<%c%c> " : "%c%c ", p[0], p[1]);
      p += 2;
      bytes++;
    }
  }
  if (len) tmp[len - 1] = 0;
  snprintf(buf, n, "%s", tmp);
}

void sy_regs(sy_ctx *c, int role, const char *rip_spec, bool user, uint64_t cr2) {
  char f[192], code[320];
  if (user) {
    uint64_t ip = 0x7f0000000000ull + ((uint64_t)sy_range(&c->r, 0, 0xffffff) << 12);
    ip += sy_below(&c->r, 0x1000);
    sy_out(c, role, "RIP: 0033:0x%llx", (unsigned long long)ip);
    if (sy_chance(&c->r, 0.4)) sy_out(c, SY_ROLE_N, "Code: Unable to access opcode bytes at RIP 0x%llx.", (unsigned long long)(ip - 42));
    else {
      code_bytes(c, code, sizeof code);
      sy_out(c, SY_ROLE_N, "Code: %s", code);
    }
    unsigned long long sp = (unsigned long long)sy_range(&c->r, 0, 0xfffffffff) & ~0xfull;
    unsigned nr = (unsigned)sy_range(&c->r, 0, 0x60);
    sy_out(c, SY_ROLE_N, "RSP: 002b:00007ff%09llx EFLAGS: 00000246 ORIG_RAX: 00000000000000%02x", sp, nr);
  } else {
    sy_frame(c, f, sizeof f, rip_spec);
    sy_out(c, role, "RIP: 0010:%s", f);
    code_bytes(c, code, sizeof code);
    sy_out(c, SY_ROLE_N, "Code: %s", code);
    unsigned long long sp = sy_stackptr(c);
    unsigned fl = SY_PICK(&c->r, ((const unsigned[]){0x00010246, 0x00010282, 0x00000246, 0x00010206, 0x00010093, 0x00000202}));
    sy_out(c, SY_ROLE_N, "RSP: 0018:%016llx EFLAGS: %08x", sp, fl);
  }
  static const char *const names[] = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R08",
                                      "R09", "R10", "R11", "R12", "R13", "R14", "R15"};
  for (int i = 0; i < 15; i += 3) {
    unsigned long long a = regval(c, user), b = regval(c, user), d = regval(c, user);
    sy_out(c, SY_ROLE_N, "%s: %016llx %s: %016llx %s: %016llx", names[i], a, names[i + 1], b, names[i + 2], d);
  }
  if (user) return;
  unsigned long long fs = sy_chance(&c->r, 0.5) ? 0ull : 0x7f0000000000ull + ((unsigned long long)sy_range(&c->r, 0, 0xffffff) << 12);
  unsigned long long gs = c->h.kbase + 0x1000000000ull * (uint64_t)sy_range(&c->r, 1, 0x7f);
  gs += 0x40000ull * (uint64_t)sy_range(&c->r, 0, 0xff);
  sy_out(c, SY_ROLE_N, "FS:  %016llx(0000) GS:%016llx(0000) knlGS:0000000000000000", fs, gs);
  sy_out(c, SY_ROLE_N, "CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033");
  unsigned long long cr3 = (uint64_t)sy_range(&c->r, 0x100, 0x7fffff) << 12;
  cr3 |= sy_chance(&c->r, 0.5) ? 0x004 : 0x006;
  unsigned long long cr4 = SY_PICK(&c->r, ((const uint64_t[]){0x00000000007706e0ull, 0x00000000003706e0ull, 0x0000000000770ef0ull, 0x0000000000350ee0ull}));
  sy_out(c, SY_ROLE_N, "CR2: %016llx CR3: %016llx CR4: %016llx", (unsigned long long)cr2, cr3, cr4);
  if (sy_newstyle(c) && sy_chance(&c->r, 0.6)) sy_out(c, SY_ROLE_N, "PKRU: 55555554");
}

void sy_modules(sy_ctx *c) { sy_out(c, SY_ROLE_N, "Modules linked in: %s", c->h.modules); }

void sy_end_trace(sy_ctx *c) {
  bool zero = c->h.k->major > 5 || (c->h.k->major == 5 && c->h.k->minor >= 18);
  if (zero) sy_out(c, SY_ROLE_N, "---[ end trace 0000000000000000 ]---");
  else {
    unsigned a = sy_u32(&c->r), b = sy_u32(&c->r);
    sy_out(c, SY_ROLE_N, "---[ end trace %08x%08x ]---", a, b);
  }
}

const char *sy_kthread(sy_ctx *c, char *buf, size_t n) {
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  switch (sy_below(&c->r, 6)) {
    case 0: case 1: snprintf(buf, n, "kworker/u%d:%d", c->h.ncpu * 2, (int)sy_range(&c->r, 0, 30)); break;
    case 2: snprintf(buf, n, "kworker/%d:%d", cpu, (int)sy_range(&c->r, 0, 3)); break;
    case 3: snprintf(buf, n, "kworker/%d:%dH", cpu, (int)sy_range(&c->r, 0, 2)); break;
    case 4: snprintf(buf, n, "ksoftirqd/%d", cpu); break;
    default: snprintf(buf, n, "kworker/u%d:%d", c->h.ncpu * 2 + 1, (int)sy_range(&c->r, 0, 9)); break;
  }
  return buf;
}

const char *sy_ucomm(sy_ctx *c) {
  static const char *const gen[] = {"python3", "java", "node", "nginx", "postgres", "mysqld", "dockerd", "containerd",
                                    "kubelet", "etcd", "prometheus", "redis-server", "rsync", "tar", "sshd", "systemd",
                                    "systemd-journal", "updatedb.mlocat", "find", "du", "gzip", "elasticsearch",
                                    "slurmstepd", "mongod", "bash", "grafana-server", "containerd-shim", "runc:[2:INIT]"};
  return SY_PICK(&c->r, gen);
}

const char *sy_gpucomm(sy_ctx *c) {
  static const char *const gpu[] = {"python3", "python", "pt_main_thread", "torchrun", "nvidia-smi", "dcgm-exporter",
                                    "nv-hostengine", "ray::Trainer", "gmx_mpi", "lmp", "tritonserver", "nvidia-persiste"};
  return SY_PICK(&c->r, gpu);
}

const char *sy_audit_stamp(sy_ctx *c, char *buf, size_t n) {
  uint64_t ms = c->t / 1000;
  snprintf(buf, n, "audit(%llu.%03llu:%llu)", (unsigned long long)(c->h.boot_epoch + ms / 1000),
           (unsigned long long)(ms % 1000), (unsigned long long)(c->t / 20000 + 117));
  return buf;
}
