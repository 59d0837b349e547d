/* NVIDIA GPU failures as the driver reports them: "NVRM: Xid (PCI:0000:3b:00): 79, pid=...,
 * name=..., GPU has fallen off the bus." and the other Xids fleets see (48 DBE, 63/64 row
 * remapping, 74 NVLink, 94/95 contained/uncontained ECC, 119 GSP timeout, 31 MMU fault, 13 SM
 * exception, 62 micro-controller halt), their PCIe AER precursors, and what follows: processes
 * stuck in the driver, oopses or soft lockups in nvidia.ko. Also the application Xids (13, 31,
 * 43, 45) that healthy GPU fleets log every day. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static void xid_prefix(sy_ctx *c, char *buf, size_t n, int g, int xid, const char *comm, int pid) {
  bool named = strncmp(c->h.nv_ver, "470", 3) != 0;
  if (pid < 0) snprintf(buf, n, "NVRM: Xid (PCI:0000:%s): %d, pid='<unknown>', name=<unknown>,", c->h.gpu_bus[g], xid);
  else if (named) snprintf(buf, n, "NVRM: Xid (PCI:0000:%s): %d, pid=%d, name=%s,", c->h.gpu_bus[g], xid, pid, comm);
  else snprintf(buf, n, "NVRM: Xid (PCI:0000:%s): %d, pid=%d,", c->h.gpu_bus[g], xid, pid);
}

static void xid13(sy_ctx *c, int role, int g, const char *comm, int pid) {
  char p[128];
  xid_prefix(c, p, sizeof p, g, 13, comm, pid);
  int gpc = (int)sy_range(&c->r, 0, 7), tpc = (int)sy_range(&c->r, 0, 8);
  int sm = (int)sy_range(&c->r, 0, 1);
  const char *why = SY_PICK(&c->r, ((const char *const[]){"Out Of Range Address", "Illegal Instruction Encoding", "Misaligned Address", "Illegal Instruction Parameter"}));
  sy_out(c, role, "%s Graphics SM Warp Exception on (GPC %d, TPC %d, SM %d): %s", p, gpc, tpc, sm, why);
  sy_out(c, role, "%s Graphics SM Global Exception on (GPC %d, TPC %d, SM %d): Multiple Warp Errors", p, gpc, tpc, sm);
  unsigned e1 = 0x10000e | sy_below(&c->r, 16) << 24, e2 = sy_below(&c->r, 0x100), e3 = sy_u32(&c->r) & 0xffffff;
  sy_out(c, role, "%s Graphics Exception: ESR 0x%x=0x%x 0x%x=0x%x 0x%x=0x%x 0x%x=0x%x", p, 0x504648 + gpc * 0x8000, e1,
         0x504650 + gpc * 0x8000, e2, 0x504644 + gpc * 0x8000, e3, 0x50464c + gpc * 0x8000, 0x17f);
}

static void xid31(sy_ctx *c, int role, int g, const char *comm, int pid) {
  char p[128];
  xid_prefix(c, p, sizeof p, g, 31, comm, pid);
  unsigned ch = (unsigned)sy_range(&c->r, 8, 0x40), intr = sy_chance(&c->r, 0.5) ? 0u : 0x10000000u;
  int client = (int)sy_range(&c->r, 0, 15);
  unsigned hi = (unsigned)sy_range(&c->r, 0x7f00, 0x7fff), lo = sy_u32(&c->r) & ~0xfffu;
  const char *type = SY_PICK(&c->r, ((const char *const[]){"FAULT_PDE", "FAULT_PTE", "FAULT_INFO_TYPE_UNSUPPORTED_KIND"}));
  const char *acc = SY_PICK(&c->r, ((const char *const[]){"ACCESS_TYPE_VIRT_READ", "ACCESS_TYPE_VIRT_WRITE", "ACCESS_TYPE_VIRT_ATOMIC"}));
  sy_out(c, role, "%s Ch %08x, intr %08x. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_%d faulted @ 0x%x_%08x. Fault is of type %s %s", p, ch, intr,
         client, hi, lo, type, acc);
}

static void xid_app(sy_ctx *c, int role, int g, const char *comm, int pid, int xid) {
  char p[128];
  xid_prefix(c, p, sizeof p, g, xid, comm, pid);
  if (xid == 13) xid13(c, role, g, comm, pid);
  else if (xid == 31) xid31(c, role, g, comm, pid);
  else if (xid == 43) sy_out(c, role, "%s Ch %08x", p, (unsigned)sy_range(&c->r, 8, 0x40));
  else sy_out(c, role, "%s Ch %08x", p, (unsigned)sy_range(&c->r, 8, 0x40)); /* 45: preemptive cleanup */
}

void sy_xid_benign(sy_ctx *c) {
  if (!c->h.ngpu) return;
  int g = (int)sy_below(&c->r, (uint32_t)c->h.ngpu), pid = sy_newpid(c);
  const char *comm = sy_gpucomm(c);
  static const int w[] = {35, 25, 30, 10};
  static const int xids[] = {13, 31, 43, 45};
  int xid = xids[sy_weighted(&c->r, w, 4)];
  xid_app(c, SY_ROLE_N, g, comm, pid, xid);
  if (xid == 43 && sy_chance(&c->r, 0.5)) {
    sy_wait(c, (uint64_t)sy_range(&c->r, 1000, 90000));
    xid_app(c, SY_ROLE_N, g, comm, pid, 45);
  }
}

static void aer_fatal(sy_ctx *c, int role, int g) {
  unsigned bus = 0;
  sscanf(c->h.gpu_bus[g], "%x", &bus);
  unsigned port = bus ? bus - 1 : 0;
  sy_out(c, role, "pcieport 0000:%02x:00.0: AER: Uncorrected (Fatal) error received: 0000:%02x:00.0", port, port);
  sy_out(c, role, "pcieport 0000:%02x:00.0: PCIe Bus Error: severity=Uncorrected (Fatal), type=Transaction Layer, (Receiver ID)", port);
  sy_out(c, SY_ROLE_N, "pcieport 0000:%02x:00.0:   device [%s] error status/mask=00000020/00100000", port, c->h.amd ? "1022:1483" : "8086:347a");
  sy_out(c, SY_ROLE_N, "pcieport 0000:%02x:00.0:    [ 5] SDES                   (First)", port);
  sy_out(c, SY_ROLE_N, "nvidia 0000:%s.0: AER: can't recover (no error_detected callback)", c->h.gpu_bus[g]);
  sy_out(c, SY_ROLE_N, "pcieport 0000:%02x:00.0: AER: device recovery failed", port);
}

static void fallen_off(sy_ctx *c, int g, const char *comm, int pid) {
  char p[128];
  xid_prefix(c, p, sizeof p, g, 79, comm, pid);
  sy_out(c, SY_ROLE_C, "%s GPU has fallen off the bus.", p);
  sy_out(c, SY_ROLE_C, "NVRM: GPU 0000:%s.0: GPU has fallen off the bus.", c->h.gpu_bus[g]);
  sy_out(c, SY_ROLE_N, "NVRM: GPU 0000:%s.0: GPU serial number is %013llu.", c->h.gpu_bus[g], (unsigned long long)(sy_hash(c->h.gpu_bus[g], c->h.boot_epoch) % 10000000000000ull));
  sy_out(c, SY_ROLE_N, "NVRM: A GPU crash dump has been created. If possible, please run");
  sy_out(c, SY_ROLE_N, "NVRM: nvidia-bug-report.sh as root to collect this data before");
  sy_out(c, SY_ROLE_N, "NVRM: the NVIDIA kernel module is unloaded.");
}

static const char *const gsp_fn[][2] = {{"76", "GSP_RM_CONTROL"}, {"103", "GSP_RM_ALLOC"}, {"10", "FREE"}, {"78", "UPDATE_BAR_PDE"}};

static void gsp_timeout(sy_ctx *c, int g, const char *comm, int pid) {
  char p[128];
  xid_prefix(c, p, sizeof p, g, 119, comm, pid);
  int f = (int)sy_below(&c->r, 4);
  unsigned d0 = 0x20800000u | sy_below(&c->r, 0xffff), d1 = (unsigned)sy_range(&c->r, 1, 0x400);
  sy_out(c, SY_ROLE_C, "%s Timeout after 6s of waiting for RPC response from GPU%d GSP! Expected function %s (%s) (0x%x 0x%x).", p, g,
         gsp_fn[f][0], gsp_fn[f][1], d0, d1);
  sy_out(c, SY_ROLE_N, "NVRM: GPU%d GSP RPC buffer contains function %s (%s) and data 0x0000000000000000 0x0000000000000000.", g, gsp_fn[f][0], gsp_fn[f][1]);
  sy_out(c, SY_ROLE_N, "NVRM: GPU%d RPC history (CPU -> GSP):", g);
  sy_out(c, SY_ROLE_N, "NVRM:     entry function                   data0              data1              ts_start           ts_end             duration actively_polling");
  int rows = (int)sy_range(&c->r, 2, 8);
  unsigned long long ts = 0x00061a0000000000ull + ((unsigned long long)sy_u32(&c->r) << 8);
  for (int i = 0; i < rows; i++) {
    int k = (int)sy_below(&c->r, 4);
    unsigned long long d0 = 0x20800000ull | sy_below(&c->r, 0xffff), d1 = (unsigned long long)sy_range(&c->r, 0, 0x400);
    int dur = i ? (int)sy_range(&c->r, 10, 900) : 0;
    sy_out(c, SY_ROLE_N, "NVRM:     %2d    %-4s %-24s 0x%016llx 0x%016llx 0x%016llx 0x%016llx %8dus %s", -i, gsp_fn[k][0], gsp_fn[k][1],
           d0, d1, ts - (unsigned long long)i * 977, i ? ts - (unsigned long long)i * 977 + 41 : 0ull, dur, i ? "" : "y");
  }
}

/* Consequences once the GPU is gone: stuck ioctls, or the driver faulting or spinning. */
static void gpu_aftermath(sy_ctx *c, int g) {
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  switch (sy_weighted(&c->r, (const int[]){62, 14, 16, 8}, 4)) {
    case 0:
      if (sy_chance(&c->r, 0.4)) sy_out(c, SY_ROLE_N, "nvidia-modeset: ERROR: GPU:%d: Failed to query display engine channel state: 0x0000c67e:0:0:0x0000000f", g);
      sy_hung_tail(c, sy_stack_nv_ioctl, sy_stack_nv_ioctl_n, sy_gpucomm(c), true);
      break;
    case 1: {
      static const char *const st[] = {"? _nv011491rm [nvidia]", "_nv012053rm [nvidia]", "rm_ioctl [nvidia]", "nvidia_ioctl [nvidia]",
                                       "nvidia_frontend_unlocked_ioctl [nvidia]", "__x64_sys_ioctl", "do_syscall_64",
                                       "entry_SYSCALL_64_after_hwframe", "@user"};
      int pid = sy_newpid(c);
      const char *comm = sy_gpucomm(c);
      sy_wait(c, sy_logu(&c->r, 1, 120) * 1000000);
      uint64_t addr = (uint64_t)sy_range(&c->r, 0, 0x1ff) & ~7ull;
      sy_out(c, SY_ROLE_N, "BUG: kernel NULL pointer dereference, address: %016llx", (unsigned long long)addr);
      sy_out(c, SY_ROLE_N, "#PF: supervisor read access in kernel mode");
      sy_out(c, SY_ROLE_N, "#PF: error_code(0x0000) - not-present page");
      sy_out(c, SY_ROLE_N, "PGD 0 P4D 0 ");
      sy_oops_body(c, SY_ROLE_N, SY_ROLE_N, "Oops: 0000", cpu, pid, comm, "_nv011491rm [nvidia]", st, SY_N_OF(st), addr);
      sy_panic(c, SY_P_FATAL, NULL, cpu, pid, comm);
      break;
    }
    case 2: {
      static const char *const st[] = {"_nv012713rm [nvidia]", "? _nv043429rm [nvidia]", "rm_isr_bh [nvidia]", "nvidia_isr_common_bh [nvidia]",
                                       "process_one_work", "worker_thread", "kthread", "ret_from_fork"};
      char kb[40];
      int pid = (int)sy_range(&c->r, 400, 4000);
      sy_kthread(c, kb, sizeof kb);
      sy_wait(c, sy_logu(&c->r, 20, 300) * 1000000);
      sy_softlockup_report(c, SY_ROLE_N, cpu, (int)sy_range(&c->r, 22, 26), kb, pid, "os_delay_us [nvidia]", st, SY_N_OF(st));
      sy_panic(c, SY_P_SOFTLOCKUP, NULL, cpu, pid, kb);
      break;
    }
    default:
      sy_hung_tail(c, sy_stack_nv_ioctl, sy_stack_nv_ioctl_n, sy_gpucomm(c), true);
      break;
  }
}

void sy_cause_xid(sy_ctx *c) {
  int g = (int)sy_below(&c->r, (uint32_t)c->h.ngpu);
  int pid = sy_newpid(c);
  const char *comm = sy_gpucomm(c);
  char p[128];
  static const int w[] = {30, 12, 8, 8, 12, 8, 7, 7, 8};
  switch (sy_weighted(&c->r, w, SY_N_OF(w))) {
    case 0: /* 79: fallen off the bus, often after a PCIe fatal error */
      if (sy_chance(&c->r, 0.45)) {
        sy_cause_begin(c);
        aer_fatal(c, SY_ROLE_C, g);
        sy_cause_end(c);
        sy_wait(c, sy_logu(&c->r, 1000, 30000000));
      }
      sy_cause_begin(c);
      fallen_off(c, g, comm, sy_chance(&c->r, 0.3) ? -1 : pid);
      sy_cause_end(c);
      break;
    case 1: /* 48 double-bit ECC, then row remapping */
      sy_cause_begin(c);
      xid_prefix(c, p, sizeof p, g, 48, comm, pid);
      {
        int part = (int)sy_range(&c->r, 0, 11), sub = (int)sy_range(&c->r, 0, 1);
        sy_out(c, SY_ROLE_C, "%s An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition %d, subpartition %d.", p,
               part, sub);
      }
      sy_cause_end(c);
      sy_wait(c, (uint64_t)sy_range(&c->r, 1000, 200000));
      sy_cause_begin(c);
      if (sy_chance(&c->r, 0.7)) {
        xid_prefix(c, p, sizeof p, g, 63, comm, pid);
        sy_out(c, SY_ROLE_C, "%s Row Remapper: New row (0x%016llx) marked for remapping, reset gpu to activate.", p, (unsigned long long)sy_range(&c->r, 0x1000, 0xfffffff));
      } else {
        xid_prefix(c, p, sizeof p, g, 64, comm, pid);
        sy_out(c, SY_ROLE_C, "%s Row Remapper: Failed to remap row (0x%016llx); no spare rows left.", p, (unsigned long long)sy_range(&c->r, 0x1000, 0xfffffff));
      }
      sy_cause_end(c);
      xid_app(c, SY_ROLE_N, g, comm, pid, 45);
      break;
    case 2: { /* 74 NVLink */
      int links = (int)sy_range(&c->r, 1, 4);
      sy_cause_begin(c);
      for (int i = 0; i < links; i++) {
        xid_prefix(c, p, sizeof p, g, 74, comm, pid);
        int link = (int)sy_range(&c->r, 0, 17);
        unsigned a = sy_chance(&c->r, 0.5) ? 0u : 0x10000u, b = sy_chance(&c->r, 0.5) ? 0x10000u : 0x20000u;
        sy_out(c, SY_ROLE_C, "%s NVLink: fatal error detected on link %d(0x%x, 0x0, 0x%x, 0x0, 0x0, 0x0, 0x0)", p, link, a, b);
        sy_wait(c, (uint64_t)sy_range(&c->r, 10, 3000));
      }
      sy_cause_end(c);
      xid_app(c, SY_ROLE_N, g, comm, pid, 45);
      break;
    }
    case 3: /* 94 contained then 95 uncontained ECC */
      if (sy_chance(&c->r, 0.5)) {
        xid_prefix(c, p, sizeof p, g, 94, comm, pid);
        sy_out(c, SY_ROLE_N, "%s Contained: SM (0x1). RST: No, D-RST: No", p);
        sy_wait(c, sy_logu(&c->r, 1, 600) * 1000000);
      }
      sy_cause_begin(c);
      xid_prefix(c, p, sizeof p, g, 95, comm, pid);
      sy_out(c, SY_ROLE_C, "%s Uncontained: %s. RST: Yes, D-RST: No", p, SY_PICK(&c->r, ((const char *const[]){"FBHUB", "LTC", "SM (0x1)", "PMU"})));
      sy_cause_end(c);
      break;
    case 4: { /* 119 GSP RPC timeouts, repeated, then the node needs a reboot */
      int n = (int)sy_range(&c->r, 1, 5);
      for (int i = 0; i < n; i++) {
        sy_cause_begin(c);
        gsp_timeout(c, g, comm, pid);
        sy_cause_end(c);
        sy_wait(c, (uint64_t)sy_range(&c->r, 6000000, 60000000));
      }
      if (strncmp(c->h.nv_ver, "550", 3) == 0 || strncmp(c->h.nv_ver, "535.183", 7) == 0) {
        xid_prefix(c, p, sizeof p, g, 154, comm, pid);
        sy_out(c, SY_ROLE_N, "%s GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)", p);
      }
      break;
    }
    case 5: /* 31 MMU fault that wedges the channel */
      sy_cause_begin(c);
      xid31(c, SY_ROLE_C, g, comm, pid);
      sy_cause_end(c);
      break;
    case 6: /* 13 SM exception, then the job never exits */
      sy_cause_begin(c);
      xid13(c, SY_ROLE_C, g, comm, pid);
      sy_cause_end(c);
      break;
    case 7: /* 62 internal micro-controller halt */
      sy_cause_begin(c);
      xid_prefix(c, p, sizeof p, g, 62, comm, pid);
      {
        unsigned a = (unsigned)sy_range(&c->r, 0x10, 0xffff), b = (unsigned)sy_range(&c->r, 0x10, 0xffff), d = sy_u32(&c->r), e = sy_u32(&c->r);
        sy_out(c, SY_ROLE_C, "%s %04x(%04x) %08x %08x", p, a, b, d, e);
      }
      sy_cause_end(c);
      break;
    default: /* 61 then 79 */
      sy_cause_begin(c);
      xid_prefix(c, p, sizeof p, g, 61, comm, pid);
      {
        unsigned a = (unsigned)sy_range(&c->r, 0x10, 0xffff), b = (unsigned)sy_range(&c->r, 0x10, 0xffff), d = sy_u32(&c->r), e = sy_u32(&c->r);
        sy_out(c, SY_ROLE_C, "%s %04x(%04x) %08x %08x", p, a, b, d, e);
      }
      sy_cause_end(c);
      sy_wait(c, sy_logu(&c->r, 1, 300) * 1000000);
      sy_cause_begin(c);
      fallen_off(c, g, comm, pid);
      sy_cause_end(c);
      break;
  }
  gpu_aftermath(c, g);
}
