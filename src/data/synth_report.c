/* Kernel reports shared by several root causes: hung-task reports, soft lockups, NMI
 * backtraces of all CPUs, oops bodies and WARN splats, in the formats of 4.18 to 6.8 kernels. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

const char *const sy_stack_jbd2[] = {"__schedule", "schedule", "io_schedule", "bit_wait_io", "__wait_on_bit",
                                     "out_of_line_wait_on_bit", "__wait_on_buffer", "jbd2_journal_commit_transaction",
                                     "? __switch_to", "kjournald2", "? wait_woken", "? commit_timeout", "kthread",
                                     "? set_kthread_struct", "ret_from_fork"};
const int sy_stack_jbd2_n = SY_N_OF(sy_stack_jbd2);

const char *const sy_stack_fsync[] = {"__schedule", "schedule", "jbd2_log_wait_commit", "? wait_woken",
                                      "ext4_sync_file", "vfs_fsync_range", "do_fsync", "__x64_sys_fsync",
                                      "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};
const int sy_stack_fsync_n = SY_N_OF(sy_stack_fsync);

const char *const sy_stack_nfs_write[] = {"__schedule", "schedule", "rpc_wait_bit_killable [sunrpc]", "__wait_on_bit",
                                          "out_of_line_wait_on_bit", "__rpc_execute [sunrpc]", "rpc_execute [sunrpc]",
                                          "rpc_run_task [sunrpc]", "nfs4_call_sync_sequence [nfsv4]",
                                          "_nfs4_proc_getattr [nfsv4]", "nfs4_proc_getattr [nfsv4]",
                                          "__nfs_revalidate_inode [nfs]", "nfs_getattr [nfs]", "vfs_statx",
                                          "__do_sys_newstat", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};
const int sy_stack_nfs_write_n = SY_N_OF(sy_stack_nfs_write);

const char *const sy_stack_nv_ioctl[] = {"__schedule", "schedule", "schedule_timeout", "__down", "down",
                                         "os_acquire_mutex [nvidia]", "_nv038505rm [nvidia]", "? _nv039883rm [nvidia]",
                                         "rm_ioctl [nvidia]", "nvidia_ioctl [nvidia]",
                                         "nvidia_frontend_unlocked_ioctl [nvidia]", "__x64_sys_ioctl", "do_syscall_64",
                                         "entry_SYSCALL_64_after_hwframe", "@user"};
const int sy_stack_nv_ioctl_n = SY_N_OF(sy_stack_nv_ioctl);

void sy_hung_report(sy_ctx *c, int role, const char *comm, int pid, int secs, const char *const *frames, int n) {
  char tb[40];
  const sy_kernel *k = c->h.k;
  sy_span_begin(c);
  sy_out(c, role, "INFO: task %s:%d blocked for more than %d seconds.", comm, pid, secs);
  sy_out(c, SY_ROLE_N, "      %s %s %s", sy_tainted(c, tb), k->release, k->version);
  sy_out(c, SY_ROLE_N, "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.");
  int ppid = comm[0] == 'k' || comm[0] == 'j' ? 2 : (int)sy_range(&c->r, 1, c->pid > 2000 ? c->pid - 1000 : 1);
  unsigned flags = comm[0] == 'k' || comm[0] == 'j' ? 0x00004000 : SY_PICK(&c->r, ((const unsigned[]){0x00000000, 0x00000002, 0x00004002, 0x00000004}));
  if (!sy_newstyle(c) && !(k->major == 5 && k->minor >= 8))
    sy_out(c, SY_ROLE_N, "%-15.15s D    0 %5d %6d 0x%08x", comm, pid, ppid, flags | 0x80000000u);
  else if (k->major == 6 && k->minor >= 8)
    sy_out(c, SY_ROLE_N, "task:%-15.15s state:D stack:%-5d pid:%-5d tgid:%-5d ppid:%-6d flags:0x%08x", comm, 0, pid,
           pid, ppid, flags);
  else if (k->major == 6)
    sy_out(c, SY_ROLE_N, "task:%-15.15s state:D stack:%-5d pid:%-5d ppid:%-6d flags:0x%08x", comm, 0, pid, ppid, flags);
  else
    sy_out(c, SY_ROLE_N, "task:%-15.15s state:D stack:%5d pid:%5d ppid:%6d flags:0x%08x", comm, 0, pid, ppid, flags);
  sy_trace(c, frames, n);
  sy_span_end(c);
}

void sy_softlockup_report(sy_ctx *c, int role, int cpu, int secs, const char *comm, int pid, const char *rip,
                          const char *const *frames, int n) {
  sy_span_begin(c);
  sy_out(c, role, "watchdog: BUG: soft lockup - CPU#%d stuck for %ds! [%s:%d]", cpu, secs, comm, pid);
  sy_modules(c);
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  if (comm[0] == 'k' && comm[1] == 'w' && sy_chance(&c->r, 0.5))
    sy_out(c, SY_ROLE_N, "Workqueue: %s", SY_PICK(&c->r, ((const char *const[]){"events_unbound", "events", "mm_percpu_wq", "kblockd", "writeback"})));
  sy_regs(c, role, rip, false, 0);
  sy_trace(c, frames, n);
  sy_span_end(c);
  sy_taint(c, 'L');
}

static void cpu_list_except(char *buf, size_t n, int ncpu, int me) {
  if (me == 0) snprintf(buf, n, "1-%d", ncpu - 1);
  else if (me == ncpu - 1) snprintf(buf, n, "0-%d", ncpu - 2);
  else if (me == 1) snprintf(buf, n, "0,2-%d", ncpu - 1);
  else if (me == ncpu - 2) snprintf(buf, n, "0-%d,%d", ncpu - 3, ncpu - 1);
  else snprintf(buf, n, "0-%d,%d-%d", me - 1, me + 1, ncpu - 1);
}

void sy_nmi_all(sy_ctx *c, int from_cpu, int busy_cpu, const char *busy_comm, int busy_pid) {
  static const char *const self[] = {"dump_stack_lvl", "nmi_cpu_backtrace.cold", "? lapic_can_unplug_cpu",
                                     "nmi_trigger_cpumask_backtrace", "arch_trigger_cpumask_backtrace", "watchdog",
                                     "? proc_dohung_task_timeout_secs", "kthread", "? set_kthread_struct",
                                     "ret_from_fork"};
  static const char *const busy[] = {"<NMI>", "nmi_cpu_backtrace.cold", "nmi_handle", "default_do_nmi", "exc_nmi",
                                     "end_repeat_nmi", "</NMI>", "_raw_spin_lock_irqsave", "try_to_wake_up",
                                     "wake_up_q", "rwsem_wake", "up_write", "do_syscall_64",
                                     "entry_SYSCALL_64_after_hwframe", "@user"};
  char idle[96], list[48];
  sy_frame(c, idle, sizeof idle,
           c->h.amd ? "acpi_idle_do_entry" : strstr(c->h.hw, "QEMU") || strstr(c->h.hw, "Google") || strstr(c->h.hw, "EC2") ? "native_safe_halt" : "intel_idle");
  sy_span_begin(c);
  sy_out(c, SY_ROLE_N, "NMI backtrace for cpu %d", from_cpu);
  sy_cpu_line(c, SY_ROLE_N, from_cpu, (int)sy_range(&c->r, 90, 900), "khungtaskd");
  sy_hw_line(c);
  sy_trace(c, self, SY_N_OF(self));
  cpu_list_except(list, sizeof list, c->h.ncpu, from_cpu);
  sy_out(c, SY_ROLE_N, "Sending NMI from CPU %d to CPUs %s:", from_cpu, list);
  for (int cpu = 0; cpu < c->h.ncpu; cpu++) {
    if (cpu == from_cpu) continue;
    if (cpu == busy_cpu) {
      sy_out(c, SY_ROLE_N, "NMI backtrace for cpu %d", cpu);
      sy_cpu_line(c, SY_ROLE_N, cpu, busy_pid, busy_comm);
      sy_hw_line(c);
      sy_regs(c, SY_ROLE_N, "native_queued_spin_lock_slowpath", false, 0);
      sy_trace(c, busy, SY_N_OF(busy));
    } else {
      sy_out(c, SY_ROLE_N, "NMI backtrace for cpu %d skipped: idling at %s", cpu, idle);
    }
  }
  sy_span_end(c);
}

static const char *smp_flags(sy_ctx *c) {
  bool preempt = c->h.k->major >= 6 || (!c->h.k->ubuntu && c->h.k->major == 5);
  bool pti = !c->h.amd && (c->h.k->major == 4 || (sy_hash(c->h.hw, 3) & 1));
  if (c->h.kasan) return preempt ? "PREEMPT SMP KASAN NOPTI" : "SMP KASAN NOPTI";
  if (preempt) return pti ? "PREEMPT SMP PTI" : "PREEMPT SMP NOPTI";
  return pti ? "SMP PTI" : "SMP NOPTI";
}

void sy_oops_body(sy_ctx *c, int role_head, int role_rip, const char *oops_line, int cpu, int pid, const char *comm,
                  const char *rip, const char *const *frames, int n, uint64_t cr2) {
  c->oops++;
  sy_out(c, role_head, "%s [#%d] %s", oops_line, c->oops, smp_flags(c));
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  if (comm[0] == 'k' && comm[1] == 'w' && sy_chance(&c->r, 0.6))
    sy_out(c, SY_ROLE_N, "Workqueue: %s", SY_PICK(&c->r, ((const char *const[]){"events_unbound", "events", "mlx5_health", "kblockd", "writeback", "nvme-wq", "ib-comp-wq"})));
  sy_regs(c, role_rip, rip, false, cr2);
  sy_trace(c, frames, n);
  sy_modules(c);
  if (cr2) sy_out(c, SY_ROLE_N, "CR2: %016llx", (unsigned long long)cr2);
  sy_end_trace(c);
  sy_taint(c, 'D');
  /* the registers are printed once more after the end marker */
  sy_regs(c, SY_ROLE_N, rip, false, cr2);
}

void sy_warn_report(sy_ctx *c, int role, const char *msg, const char *file, int line, int cpu, int pid,
                    const char *comm, const char *fn, const char *const *frames, int n) {
  char f[192];
  sy_frame(c, f, sizeof f, fn);
  sy_span_begin(c);
  sy_out(c, SY_ROLE_N, "------------[ cut here ]------------");
  if (msg) sy_out(c, role, "%s", msg);
  sy_out(c, role, "WARNING: CPU: %d PID: %d at %s:%d %s", cpu, pid, file, line, f);
  sy_modules(c);
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  sy_regs(c, SY_ROLE_N, fn, false, 0);
  sy_trace(c, frames, n);
  sy_span_end(c);
  sy_taint(c, 'W');
}

void sy_hung_tail(sy_ctx *c, const char *const *frames, int n, const char *comm, bool panic) {
  int to = c->hung_timeout;
  int role = c->category == SY_HUNG_TASK ? SY_ROLE_C : SY_ROLE_N;
  /* khungtaskd checks every timeout seconds: the first report comes timeout..2*timeout after the stall */
  uint64_t start = c->t;
  uint64_t first = start + (uint64_t)to * 1000000 + sy_range(&c->r, 0, (int64_t)to * 1000000);
  bool via_hung = panic && sy_chance(&c->r, 0.7);
  int rounds = via_hung ? 1 : (int)sy_range(&c->r, 1, 5);
  int reported = 0, warnings = 10;
  char kb[40];
  int pids[6];
  const char *comms[6];
  int ntask = (int)sy_range(&c->r, 1, 6);
  for (int i = 0; i < ntask; i++) {
    pids[i] = sy_newpid(c);
    comms[i] = i == 0 && comm ? comm : sy_chance(&c->r, 0.3) ? sy_kthread(c, kb, sizeof kb) : sy_ucomm(c);
    if (comms[i] == kb) comms[i] = i % 2 ? "kworker/u256:1" : "kworker/u128:0";
  }
  for (int round = 0; round < rounds; round++) {
    sy_at(c, first + (uint64_t)round * (uint64_t)to * 1000000 + sy_range(&c->r, 0, 3000));
    int secs = to + round * (to + 1);
    for (int i = 0; i < ntask && reported < warnings; i++, reported++) {
      if (role == SY_ROLE_C) sy_cause_begin(c);
      sy_hung_report(c, role, comms[i], pids[i], secs, frames, n);
      if (role == SY_ROLE_C) sy_cause_end(c);
      if (reported + 1 == warnings) sy_out(c, SY_ROLE_N, "Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings");
    }
  }
  if (!panic) return;
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  if (via_hung) {
    if (sy_chance(&c->r, 0.75)) sy_nmi_all(c, cpu, -1, "", 0);
    sy_panic(c, SY_P_HUNG, NULL, cpu, (int)sy_range(&c->r, 90, 900), "khungtaskd");
  } else {
    /* no hung_task_panic: an operator or the BMC forces the crash dump */
    sy_wait(c, (uint64_t)sy_logu(&c->r, 20, 1800) * 1000000);
    if (sy_chance(&c->r, 0.6)) {
      sy_out(c, SY_ROLE_N, "sysrq: Trigger a crash");
      sy_panic(c, SY_P_SYSRQ, NULL, cpu, sy_newpid(c), "bash");
    } else {
      sy_out(c, SY_ROLE_N, "Uhhuh. NMI received for unknown reason %s on CPU %d.", SY_PICK(&c->r, ((const char *const[]){"3d", "2d", "21", "31"})), cpu);
      sy_out(c, SY_ROLE_N, "Do you have a strange power saving mode enabled?");
      sy_panic(c, SY_P_NMI_UNKNOWN, NULL, cpu, 0, "swapper/0");
    }
  }
}
