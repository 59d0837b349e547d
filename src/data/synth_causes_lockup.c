/* Root causes that show up as stuck CPUs or tasks: hung tasks (blocked I/O), soft lockups and
 * RCU CPU stalls, with the watchdog reports and the panics the *_panic sysctls turn them into. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static const char *const st_rwsem[] = {"__schedule", "schedule", "rwsem_down_write_slowpath", "down_write_killable",
                                       "vm_mmap_pgoff", "ksys_mmap_pgoff", "__x64_sys_mmap", "do_syscall_64",
                                       "entry_SYSCALL_64_after_hwframe", "@user"};
static const char *const st_xfslog[] = {"__schedule", "schedule", "xlog_wait_on_iclog [xfs]", "xfs_log_force_seq [xfs]",
                                        "? wake_up_q", "xfs_file_fsync [xfs]", "__x64_sys_fdatasync", "do_syscall_64",
                                        "entry_SYSCALL_64_after_hwframe", "@user"};
static const char *const st_cgroup[] = {"__schedule", "schedule", "schedule_preempt_disabled", "__mutex_lock.constprop.0",
                                        "cgroup_kn_lock_live", "__cgroup_procs_write", "cgroup_procs_write",
                                        "kernfs_fop_write_iter", "new_sync_write", "vfs_write", "ksys_write",
                                        "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};
static const char *const st_sync[] = {"__schedule", "schedule", "wb_wait_for_completion", "sync_inodes_sb",
                                      "sync_inodes_one_sb", "iterate_supers", "ksys_sync", "__do_sys_sync",
                                      "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};

/* A task stuck in D state with nothing else in the log: storage that stopped answering, a lock never released. */
void sy_cause_hung(sy_ctx *c) {
  char comm[32];
  switch (sy_below(&c->r, 5)) {
    case 0:
      snprintf(comm, sizeof comm, "jbd2/%s-8", c->h.rootpart);
      sy_hung_tail(c, sy_stack_jbd2, sy_stack_jbd2_n, comm, true);
      break;
    case 1: sy_hung_tail(c, sy_stack_fsync, sy_stack_fsync_n, sy_ucomm(c), true); break;
    case 2: sy_hung_tail(c, st_rwsem, SY_N_OF(st_rwsem), sy_chance(&c->r, 0.5) && c->h.ngpu ? sy_gpucomm(c) : sy_ucomm(c), true); break;
    case 3: sy_hung_tail(c, c->h.root_xfs || c->h.data_xfs ? st_xfslog : st_sync, c->h.root_xfs || c->h.data_xfs ? SY_N_OF(st_xfslog) : SY_N_OF(st_sync), sy_ucomm(c), true); break;
    default: sy_hung_tail(c, st_cgroup, SY_N_OF(st_cgroup), c->h.containers ? "runc:[2:INIT]" : "systemd", true); break;
  }
}

typedef struct lockup_site {
  const char *rip, *comm;
  const char *frames[14];
} lockup_site;

static const lockup_site lockups[] = {
    {"smp_call_function_many_cond", NULL,
     {"on_each_cpu_cond_mask", "flush_tlb_mm_range", "ptep_clear_flush", "wp_page_copy", "__handle_mm_fault",
      "handle_mm_fault", "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "@user"}},
    {"native_queued_spin_lock_slowpath", NULL,
     {"_raw_spin_lock", "list_lru_add", "d_lru_add", "dput", "terminate_walk", "path_openat", "do_filp_open",
      "do_sys_openat2", "__x64_sys_openat", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"}},
    {"shrink_page_list", "kswapd0",
     {"shrink_inactive_list", "shrink_lruvec", "shrink_node_memcgs", "shrink_node", "balance_pgdat", "kswapd",
      "? balance_pgdat", "kthread", "? set_kthread_struct", "ret_from_fork"}},
    {"__nf_conntrack_find_get [nf_conntrack]", "ksoftirqd",
     {"nf_conntrack_in [nf_conntrack]", "nf_hook_slow", "ip_rcv", "__netif_receive_skb_one_core", "process_backlog",
      "__napi_poll", "net_rx_action", "__do_softirq", "run_ksoftirqd", "smpboot_thread_fn", "kthread", "ret_from_fork"}},
    {"_raw_spin_unlock_irqrestore", "kworker",
     {"__wake_up_common_lock", "blk_mq_tag_wakeup_all", "blk_mq_requeue_work", "process_one_work", "worker_thread",
      "? process_one_work", "kthread", "? set_kthread_struct", "ret_from_fork"}},
    {"_nv043429rm [nvidia]", "gpu",
     {"? _nv043429rm [nvidia]", "_nv012713rm [nvidia]", "rm_ioctl [nvidia]", "nvidia_ioctl [nvidia]",
      "nvidia_frontend_unlocked_ioctl [nvidia]", "__x64_sys_ioctl", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"}},
};

static int nframes(const char *const *f) {
  int n = 0;
  while (n < 14 && f[n]) n++;
  return n;
}

static const lockup_site *pick_lockup(sy_ctx *c) {
  for (;;) {
    const lockup_site *s = &SY_PICK(&c->r, lockups);
    if (s->comm && !strcmp(s->comm, "gpu") && !c->h.ngpu) continue;
    return s;
  }
}

static const char *lockup_comm(sy_ctx *c, const lockup_site *s, int cpu, char *buf, size_t n) {
  if (!s->comm) return sy_ucomm(c);
  if (!strcmp(s->comm, "gpu")) return sy_gpucomm(c);
  if (!strcmp(s->comm, "ksoftirqd")) snprintf(buf, n, "ksoftirqd/%d", cpu);
  else if (!strcmp(s->comm, "kworker")) snprintf(buf, n, "kworker/%d:%dH", cpu, (int)sy_range(&c->r, 0, 2));
  else snprintf(buf, n, "%s", s->comm);
  return buf;
}

static void hard_lockup(sy_ctx *c, int cpu, int pid, const char *comm) {
  sy_span_begin(c);
  sy_out(c, c->category == SY_SOFT_LOCKUP ? SY_ROLE_C : SY_ROLE_N, "NMI watchdog: Watchdog detected hard LOCKUP on cpu %d", cpu);
  sy_modules(c);
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  sy_regs(c, SY_ROLE_N, "native_queued_spin_lock_slowpath", false, 0);
  sy_span_end(c);
  sy_panic(c, SY_P_HARDLOCKUP, NULL, cpu, pid, comm);
}

static void rcu_report(sy_ctx *c, int role, int cpu, int pid, const char *comm, int n_report);

void sy_cause_softlockup(sy_ctx *c) {
  const lockup_site *s = pick_lockup(c);
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  char cb[32];
  const char *comm = lockup_comm(c, s, cpu, cb, sizeof cb);
  int pid = comm[0] == 'k' ? (int)sy_range(&c->r, 20, 900) : sy_newpid(c);
  bool panic_now = sy_chance(&c->r, 0.55);
  int reports = panic_now ? 1 : (int)sy_range(&c->r, 2, 6);
  int secs = SY_PICK(&c->r, ((const int[]){22, 22, 23, 23, 26, 21}));
  for (int i = 0; i < reports; i++) {
    sy_cause_begin(c);
    sy_softlockup_report(c, SY_ROLE_C, cpu, secs, comm, pid, s->rip, s->frames, nframes(s->frames));
    sy_cause_end(c);
    if (i + 1 < reports) {
      int step = (int)sy_range(&c->r, 24, 28);
      sy_wait(c, (uint64_t)step * 1000000 + sy_below(&c->r, 900000));
      secs += step;
    }
  }
  if (panic_now) {
    sy_panic(c, SY_P_SOFTLOCKUP, NULL, cpu, pid, comm);
    return;
  }
  sy_wait(c, (uint64_t)sy_range(&c->r, 2, 40) * 1000000);
  switch (sy_below(&c->r, 4)) {
    case 0: hard_lockup(c, cpu, pid, comm); break;
    case 1:
      rcu_report(c, SY_ROLE_N, cpu, pid, comm, 1);
      sy_panic(c, SY_P_RCU, NULL, cpu, pid, comm);
      break;
    default:
      sy_hung_tail(c, sy_stack_fsync, sy_stack_fsync_n, NULL, true);
      break;
  }
}

static const char *const st_stall_self[] = {"<IRQ>", "rcu_dump_cpu_stacks", "rcu_sched_clock_irq.cold", "update_process_times",
                                            "tick_sched_handle", "tick_sched_timer", "? tick_sched_do_timer",
                                            "__hrtimer_run_queues", "hrtimer_interrupt", "__sysvec_apic_timer_interrupt",
                                            "sysvec_apic_timer_interrupt", "</IRQ>", "asm_sysvec_apic_timer_interrupt"};

/* One RCU CPU stall report; role for the headline and per-CPU lines. */
static void rcu_report(sy_ctx *c, int role, int cpu, int pid, const char *comm, int n_report) {
  bool preempt = c->h.k->major >= 6 || (!c->h.k->ubuntu && c->h.k->major == 5);
  const char *fl = preempt ? "rcu_preempt" : "rcu_sched";
  int hz = c->h.k->ubuntu ? 250 : 1000;
  int jif = (21 + (n_report - 1) * 63) * hz + (int)sy_range(&c->r, 0, 5);
  long g = (long)(sy_hash(c->h.name, 17) % 90000000) * 4 + 1; /* the stalled grace period */
  sy_span_begin(c);
  if (sy_chance(&c->r, 0.5)) {
    sy_out(c, role, "rcu: INFO: %s self-detected stall on CPU", fl);
    unsigned idle = sy_below(&c->r, 4096);
    int s1 = (int)sy_range(&c->r, 100000, 9000000), s2 = s1 + (int)sy_range(&c->r, 0, 3), fqs = jif / 2 - (int)sy_range(&c->r, 0, 50);
    sy_out(c, role, "rcu: \t%d-....: (%d ticks this GP) idle=%03x/1/0x4000000000000000 softirq=%d/%d fqs=%d ", cpu, jif - 1, idle, s1, s2, fqs);
    if (c->h.k->major >= 6) sy_out(c, SY_ROLE_N, "\t(t=%d jiffies g=%ld q=%d ncpus=%d)", jif, g, (int)sy_range(&c->r, 100, 900000), c->h.ncpu);
    else sy_out(c, SY_ROLE_N, "\t(t=%d jiffies g=%ld q=%d)", jif, g, (int)sy_range(&c->r, 100, 900000));
    sy_out(c, SY_ROLE_N, "NMI backtrace for cpu %d", cpu);
    sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
    sy_hw_line(c);
    sy_trace(c, st_stall_self, SY_N_OF(st_stall_self));
    sy_regs(c, SY_ROLE_N, "native_queued_spin_lock_slowpath", false, 0);
  } else {
    int by = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
    sy_out(c, role, "rcu: INFO: %s detected stalls on CPUs/tasks:", fl);
    char mark = sy_chance(&c->r, 0.5) ? '0' : '!';
    int behind = (int)sy_range(&c->r, 0, 3);
    unsigned idle = sy_below(&c->r, 4096);
    int s1 = (int)sy_range(&c->r, 100000, 9000000), s2 = s1 + (int)sy_range(&c->r, 0, 3), fqs = jif / 2 - (int)sy_range(&c->r, 0, 50);
    sy_out(c, role, "rcu: \t%d-...%c: (%d GPs behind) idle=%03x/1/0x4000000000000000 softirq=%d/%d fqs=%d ", cpu, mark, behind, idle, s1, s2, fqs);
    sy_out(c, SY_ROLE_N, "\t(detected by %d, t=%d jiffies, g=%ld, q=%d)", by, jif + 3, g, (int)sy_range(&c->r, 100, 900000));
    sy_out(c, SY_ROLE_N, "Sending NMI from CPU %d to CPUs %d:", by, cpu);
    sy_out(c, SY_ROLE_N, "NMI backtrace for cpu %d", cpu);
    sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
    sy_hw_line(c);
    sy_regs(c, SY_ROLE_N, "native_queued_spin_lock_slowpath", false, 0);
    static const char *const nmi[] = {"<NMI>", "nmi_cpu_backtrace.cold", "nmi_handle", "default_do_nmi", "exc_nmi",
                                      "end_repeat_nmi", "</NMI>"};
    sy_trace(c, nmi, SY_N_OF(nmi));
    if (sy_chance(&c->r, 0.4)) {
      int starve = jif - (int)sy_range(&c->r, 0, 100);
      sy_out(c, role, "rcu: %s kthread starved for %d jiffies! g%ld f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=%d", fl, starve, g, cpu);
      sy_out(c, SY_ROLE_N, "rcu: \tUnless %s kthread gets sufficient CPU time, OOM is now expected behavior.", fl);
      sy_out(c, SY_ROLE_N, "rcu: RCU grace-period kthread stack dump:");
    }
  }
  sy_span_end(c);
}

void sy_cause_rcu(sy_ctx *c) {
  const lockup_site *s = pick_lockup(c);
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  char cb[32];
  const char *comm = lockup_comm(c, s, cpu, cb, sizeof cb);
  int pid = comm[0] == 'k' ? (int)sy_range(&c->r, 20, 900) : sy_newpid(c);
  bool panic_now = sy_chance(&c->r, 0.6);
  int reports = panic_now ? 1 : (int)sy_range(&c->r, 1, 4);
  for (int i = 0; i < reports; i++) {
    sy_cause_begin(c);
    rcu_report(c, SY_ROLE_C, cpu, pid, comm, i + 1);
    sy_cause_end(c);
    if (i + 1 < reports) sy_wait(c, 63000000 + sy_below(&c->r, 2000000));
  }
  if (panic_now) {
    sy_panic(c, SY_P_RCU, NULL, cpu, pid, comm);
    return;
  }
  sy_wait(c, (uint64_t)sy_range(&c->r, 1, 60) * 1000000);
  switch (sy_below(&c->r, 3)) {
    case 0: hard_lockup(c, cpu, pid, comm); break;
    case 1:
      sy_softlockup_report(c, SY_ROLE_N, cpu, (int)sy_range(&c->r, 22, 90), comm, pid, s->rip, s->frames, nframes(s->frames));
      sy_panic(c, SY_P_SOFTLOCKUP, NULL, cpu, pid, comm);
      break;
    default:
      sy_hung_tail(c, sy_stack_fsync, sy_stack_fsync_n, NULL, true);
      break;
  }
}
