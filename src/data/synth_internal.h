/* Internals of the synthetic kernel-panic corpus shared by src/data/synth*.c: the per-incident
 * random stream, the host model, the timed event log and the report helpers. */
#ifndef KPRCA_DATA_SYNTH_INTERNAL_H
#define KPRCA_DATA_SYNTH_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/synth.h"

/* Categories, in label order (kp_synth_category_name). */
enum {
  SY_NONE = 0,
  SY_OOM,
  SY_HUNG_TASK,
  SY_SOFT_LOCKUP,
  SY_RCU_STALL,
  SY_NULL_DEREF,
  SY_GPF_UAF,
  SY_GPU_XID,
  SY_MCE_ECC,
  SY_DISK_IO,
  SY_FS_CORRUPTION,
  SY_NIC_TIMEOUT,
  SY_BUG_WARN,
  SY_NFS,
  SY_NCAT
};

/* ---- random stream: Philox4x32-10 under key = seed, counter words 2..3 = stream (incident) ---- */
typedef struct sy_rng {
  uint64_t key, stream, ctr;
  uint32_t buf[4];
  int used; /* words of buf already handed out (4 = empty) */
} sy_rng;

void sy_rng_init(sy_rng *r, uint64_t seed, uint64_t stream);
uint32_t sy_u32(sy_rng *r);
/** Uniform in [0, n), n >= 1, without modulo bias. */
uint32_t sy_below(sy_rng *r, uint32_t n);
/** Uniform integer in [lo, hi]. */
int64_t sy_range(sy_rng *r, int64_t lo, int64_t hi);
/** True with probability p (p is compared as a 32-bit fixed-point threshold). */
bool sy_chance(sy_rng *r, double p);
/** Roughly log-uniform integer in [lo, hi] (integer arithmetic only: same on every machine). */
uint64_t sy_logu(sy_rng *r, uint64_t lo, uint64_t hi);
/** Roughly exponential integer with this mean (integer arithmetic only). */
uint64_t sy_exp(sy_rng *r, uint64_t mean);
/** Index drawn with the given non-negative integer weights. */
int sy_weighted(sy_rng *r, const int *w, int n);
/** n uniform integers v[i] in [lohi[2i], lohi[2i+1]], drawn in index order. C leaves the evaluation
 *  order of function arguments open, so a call never draws twice in its arguments: draw first. */
void sy_draws(sy_rng *r, int64_t *v, int n, const int64_t *lohi);
/** FNV-1a hash of s mixed with salt. */
uint64_t sy_hash(const char *s, uint64_t salt);

#define SY_N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SY_PICK(r, a) ((a)[sy_below((r), (uint32_t)SY_N_OF(a))])

/* ---- host model ---- */
typedef struct sy_kernel {
  const char *release, *version; /* "5.15.0-91-generic", "#101-Ubuntu" */
  int major, minor;
  bool ubuntu;
} sy_kernel;

enum { SY_NIC_MLX5, SY_NIC_IXGBE, SY_NIC_I40E, SY_NIC_BNXT, SY_NIC_IGB };

typedef struct sy_host {
  char name[40];
  const char *hw; /* the "Hardware name:" value */
  const sy_kernel *k;
  bool amd;
  int ncpu, nodes;
  uint64_t mem_kb, boot_epoch;
  int nic;
  const char *nic_drv;
  char nic_pci[16], ifname[24], ifname2[24];
  int nic_mbps;
  bool bond;
  bool nvme;
  char disk[16], rootpart[20], datadev[20], datapart[20];
  bool root_xfs, data_xfs, has_data;
  int scsi_host;
  int ngpu;
  char gpu_bus[8][8]; /* "3b:00" */
  const char *gpu_model, *nv_ver;
  int containers; /* 0 none, 1 docker, 2 kubernetes */
  bool nfs;
  char nfs_server[48], nfs_mount[32];
  bool ufw, selinux, kasan;
  uint64_t kbase, vbase; /* direct-map and vmalloc-stack bases for pointers */
  uint32_t kaslr;        /* kernel offset in 2 MB units */
  char modules[1600];
} sy_host;

/** A host for an incident of this category (GPU hosts for gpu_xid, NFS clients for nfs, ...). */
void sy_host_make(sy_rng *r, int category, sy_host *h);

/* ---- the event log of one incident ---- */
enum { SY_ROLE_N = 0, SY_ROLE_C = 1, SY_ROLE_P = 2 }; /* ordinary, root-cause evidence, the panic line */
#define SY_BG 8                                         /* background: dropped when it falls after the panic */

typedef struct sy_ev {
  uint64_t t; /* uptime in microseconds */
  uint32_t seq, off, len;
  uint8_t role;
} sy_ev;

#define SY_MAX_SPANS 64

typedef struct sy_ctx {
  sy_rng r;
  sy_host h;
  int category;
  sy_ev *ev;
  int nev, capev;
  char *txt;
  size_t ntxt, captxt;
  bool nomem;
  uint64_t t;      /* the cursor: time of the next line */
  uint32_t seq;
  uint8_t bgflag;  /* SY_BG while emitting background */
  int mode;        /* evidence: 0 complete, 1 partial, 2 missing */
  bool muted;      /* inside a lost evidence group */
  bool in_cause;
  uint64_t t0;     /* window start */
  bool panicked;
  uint64_t t_panic;
  int oops;        /* oopses so far ([#N]) */
  char taint[24];  /* set taint letters */
  int pid;         /* next new pid */
  int hung_timeout;
  bool rootfail;   /* boot stops before the root file system mounts (fs_corruption) */
  uint64_t span0[SY_MAX_SPANS], span1[SY_MAX_SPANS];
  int nspan;
  uint64_t span_open;
  bool in_span;
} sy_ctx;

/** Emits one line at the cursor with this role and moves the cursor a few microseconds on. */
void sy_out(sy_ctx *c, int role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Moves the cursor to t / forward by us. */
void sy_at(sy_ctx *c, uint64_t t);
void sy_wait(sy_ctx *c, uint64_t us);
/** Brackets one unit of root-cause evidence: in partial or missing mode the whole unit may be lost. */
void sy_cause_begin(sy_ctx *c);
void sy_cause_end(sy_ctx *c);
/** Brackets a multi-line report (oops, trace) that unrelated lines may later interleave with. */
void sy_span_begin(sy_ctx *c);
void sy_span_end(sy_ctx *c);
/** A fresh process id. */
int sy_newpid(sy_ctx *c);
/** Renders the sorted events as kern.log text into inc (line numbers, cause lines, panic line). */
kp_status sy_render(sy_ctx *c, kp_synth_incident *inc);
void sy_ctx_free(sy_ctx *c);

/* ---- report pieces (synth_trace.c) ---- */
/** Adds a taint letter (P, O, E, W, D, L, ...). */
void sy_taint(sy_ctx *c, char flag);
/** "Tainted: P           OE     " or "Not tainted" into buf (>= 32 bytes). */
const char *sy_tainted(sy_ctx *c, char *buf);
/** "CPU: 3 PID: 12 Comm: kworker/3:1 Tainted: ... 5.15.0-91-generic #101-Ubuntu" */
void sy_cpu_line(sy_ctx *c, int role, int cpu, int pid, const char *comm);
void sy_hw_line(sy_ctx *c);
/** "fn+0x1a/0x40 [mod]" for a frame spec "fn [mod]"; offsets are fixed per function and kernel. */
void sy_frame(sy_ctx *c, char *buf, size_t n, const char *spec);
/** RIP/Code/RSP/general registers/segment and control registers. */
void sy_regs(sy_ctx *c, int role, const char *rip_spec, bool user, uint64_t cr2);
/** "Call Trace:" and the frames; "<IRQ>"/"</IRQ>" (and <NMI>, <#MC>) pass through, <TASK> markers on newer
 *  kernels, "@user" prints the user-mode registers of a syscall. */
void sy_trace(sy_ctx *c, const char *const *frames, int n);
void sy_modules(sy_ctx *c);
void sy_end_trace(sy_ctx *c);
uint64_t sy_kptr(sy_ctx *c);
uint64_t sy_stackptr(sy_ctx *c);
/** A kernel thread name such as kworker/u128:3 into buf. */
const char *sy_kthread(sy_ctx *c, char *buf, size_t n);
/** A user process name (python3, java, ...). */
const char *sy_ucomm(sy_ctx *c);
/** A user process name typical of GPU jobs. */
const char *sy_gpucomm(sy_ctx *c);
/** True for kernels with <TASK> markers and dump_stack_lvl (5.14 RHEL 9 and 5.15+). */
bool sy_newstyle(const sy_ctx *c);
/** The audit(EPOCH.MS:SERIAL) stamp for the cursor time. */
const char *sy_audit_stamp(sy_ctx *c, char *buf, size_t n);

/* ---- shared reports (synth_report.c) ---- */
/** One hung-task report (INFO: task ... blocked for more than N seconds) with its stack. */
void sy_hung_report(sy_ctx *c, int role, const char *comm, int pid, int secs, const char *const *frames, int n);
/** A soft-lockup report on cpu running comm/pid, stuck in rip with the given stack. */
void sy_softlockup_report(sy_ctx *c, int role, int cpu, int secs, const char *comm, int pid, const char *rip,
                          const char *const *frames, int n);
/** NMI backtraces of all CPUs (idle ones skipped), as trigger_all_cpu_backtrace prints them. */
void sy_nmi_all(sy_ctx *c, int from_cpu, int busy_cpu, const char *busy_comm, int busy_pid);
/** An oops body after its headline: Oops line, CPU, regs, trace, modules, end trace, regs again. */
void sy_oops_body(sy_ctx *c, int role_head, int role_rip, const char *oops_line, int cpu, int pid, const char *comm,
                  const char *rip, const char *const *frames, int n, uint64_t cr2);
/** A WARN report: cut here, optional message, WARNING line (role), modules, CPU, regs, trace, end trace. */
void sy_warn_report(sy_ctx *c, int role, const char *msg, const char *file, int line, int cpu, int pid,
                    const char *comm, const char *fn, const char *const *frames, int n);

/** An OOM-killer report (global or memory cgroup) for comm/pid; header, summary and kill lines get role; kill false:
 *  the header, Mem-Info and task table only (what panic_on_oom or "no killable processes" print). */
void sy_oom_report(sy_ctx *c, bool global, int role, const char *comm, int pid, bool kill);

/* ---- final panics (synth_panic.c) ---- */
enum {
  SY_P_HUNG,        /* hung_task: blocked tasks */
  SY_P_SOFTLOCKUP,  /* softlockup: hung tasks */
  SY_P_HARDLOCKUP,  /* Hard LOCKUP */
  SY_P_RCU,         /* RCU Stall */
  SY_P_FATAL,       /* Fatal exception */
  SY_P_FATAL_IRQ,   /* Fatal exception in interrupt */
  SY_P_OOM,         /* Out of memory: system-wide panic_on_oom is enabled */
  SY_P_OOM_DEAD,    /* System is deadlocked on memory */
  SY_P_KILL_INIT,   /* Attempted to kill init! exitcode=0x00000009 */
  SY_P_MCE,         /* Fatal machine check */
  SY_P_MCE_TIMEOUT, /* Timeout: Not all CPUs entered broadcast exception handler */
  SY_P_MCE_LOCAL,   /* Fatal local machine check */
  SY_P_EXT4,        /* EXT4-fs (device X): panic forced after error */
  SY_P_WARN,        /* panic_on_warn set ... */
  SY_P_VFS,         /* VFS: Unable to mount root fs on unknown-block(X,Y) */
  SY_P_NMI_UNKNOWN, /* NMI: Not continuing */
  SY_P_SYSRQ,       /* sysrq triggered crash (an operator forcing a crash dump) */
  SY_P_GHES         /* Fatal hardware error! (firmware-first memory error) */
};
/** Emits the panic line (role P) at the cursor, usually followed by its stack and end marker. */
void sy_panic(sy_ctx *c, int kind, const char *arg, int cpu, int pid, const char *comm);

/* ---- generators ---- */
/** Boot messages from uptime 0; returns the uptime when boot is over. */
uint64_t sy_boot(sy_ctx *c);
/** Ordinary runtime messages from t_from: stops after max_lines lines or at t_to, whichever first; returns the time reached. */
uint64_t sy_background(sy_ctx *c, uint64_t t_from, uint64_t t_to, int max_lines, uint64_t mean_gap);
/** One ordinary single-line message at time t (used to interleave reports). */
void sy_background_line(sy_ctx *c, uint64_t t);
/** A benign warning episode at time t (recovered link flap, corrected ECC, app Xid, memcg OOM, WARN ...). */
void sy_distractor(sy_ctx *c, uint64_t t);
/** The root-cause chain of category cat starting at ts; it ends with the panic (or with none, rarely). */
void sy_cause(sy_ctx *c, int cat, uint64_t ts);
/** Lead time (us) from the first evidence to the panic typical of category cat. */
uint64_t sy_cause_lead(sy_ctx *c, int cat);

/* causes, one function per category (synth_causes_*.c) */
void sy_cause_oom(sy_ctx *c);
void sy_cause_hung(sy_ctx *c);
void sy_cause_softlockup(sy_ctx *c);
void sy_cause_rcu(sy_ctx *c);
void sy_cause_null(sy_ctx *c);
void sy_cause_gpf(sy_ctx *c);
void sy_cause_bug(sy_ctx *c);
void sy_cause_xid(sy_ctx *c);
void sy_cause_mce(sy_ctx *c);
void sy_cause_disk(sy_ctx *c);
void sy_cause_fs(sy_ctx *c);
void sy_cause_nic(sy_ctx *c);
void sy_cause_nfs(sy_ctx *c);

/* benign look-alikes of the evidence (synth_causes_*.c), used by sy_distractor */
void sy_xid_benign(sy_ctx *c);
void sy_ce_burst(sy_ctx *c, int role, int n);
void sy_mce_recovered(sy_ctx *c);
void sy_link_flap_benign(sy_ctx *c);
void sy_nfs_benign(sy_ctx *c);
void sy_warn_benign(sy_ctx *c);
void sy_fs_benign(sy_ctx *c);
void sy_disk_benign(sy_ctx *c);

/* helpers shared by cause chains */
/** Hung tasks piling up behind a stuck resource, then (maybe) the hung_task panic. frames: the blocked stack. */
void sy_hung_tail(sy_ctx *c, const char *const *frames, int n, const char *comm, bool panic);
/** Blocked-task stacks for common waits. */
extern const char *const sy_stack_jbd2[], *const sy_stack_nfs_write[], *const sy_stack_nv_ioctl[],
    *const sy_stack_fsync[];
extern const int sy_stack_jbd2_n, sy_stack_nfs_write_n, sy_stack_nv_ioctl_n, sy_stack_fsync_n;

#endif
