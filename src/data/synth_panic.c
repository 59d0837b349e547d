/* The end of a failing incident: "Kernel panic - not syncing: <reason>", the panicking CPU's
 * stack (skipped after an oops, as panic() does when TAINT_DIE is set), "Kernel Offset" and
 * the "---[ end Kernel panic ]---" marker or the reboot notice. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static const char *const st_hung[] = {"dump_stack_lvl", "panic", "watchdog", "? proc_dohung_task_timeout_secs",
                                      "kthread", "? set_kthread_struct", "ret_from_fork"};
static const char *const st_soft[] = {"<IRQ>", "dump_stack_lvl", "panic", "watchdog_timer_fn.cold", "? softlockup_fn",
                                      "__hrtimer_run_queues", "hrtimer_interrupt", "__sysvec_apic_timer_interrupt",
                                      "sysvec_apic_timer_interrupt", "</IRQ>", "asm_sysvec_apic_timer_interrupt",
                                      "native_queued_spin_lock_slowpath", "_raw_spin_lock"};
static const char *const st_hard[] = {"<NMI>", "dump_stack_lvl", "panic", "nmi_panic.cold", "watchdog_overflow_callback.cold",
                                      "__perf_event_overflow", "handle_pmi_common", "intel_pmu_handle_irq",
                                      "perf_event_nmi_handler", "nmi_handle", "default_do_nmi", "exc_nmi",
                                      "end_repeat_nmi", "</NMI>", "native_queued_spin_lock_slowpath",
                                      "_raw_spin_lock_irqsave"};
static const char *const st_rcu[] = {"<IRQ>", "dump_stack_lvl", "panic", "rcu_sched_clock_irq.cold",
                                     "update_process_times", "tick_sched_handle", "tick_sched_timer",
                                     "? tick_sched_do_timer", "__hrtimer_run_queues", "hrtimer_interrupt",
                                     "__sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt", "</IRQ>",
                                     "asm_sysvec_apic_timer_interrupt"};
static const char *const st_oom[] = {"dump_stack_lvl", "panic", "out_of_memory.cold", "__alloc_pages_slowpath.constprop.0",
                                     "__alloc_pages", "alloc_pages_vma", "__handle_mm_fault", "handle_mm_fault",
                                     "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "@user"};
static const char *const st_init[] = {"dump_stack_lvl", "panic", "do_exit.cold", "do_group_exit", "get_signal",
                                      "arch_do_signal_or_restart", "exit_to_user_mode_prepare",
                                      "syscall_exit_to_user_mode", "do_syscall_64", "entry_SYSCALL_64_after_hwframe",
                                      "@user"};
static const char *const st_mce[] = {"<#MC>", "dump_stack_lvl", "panic", "mce_panic.cold", "do_machine_check",
                                     "exc_machine_check", "asm_exc_machine_check", "</#MC>"};
static const char *const st_ghes[] = {"<NMI>", "dump_stack_lvl", "panic", "__ghes_panic.cold", "ghes_notify_nmi",
                                      "nmi_handle", "default_do_nmi", "exc_nmi", "end_repeat_nmi", "</NMI>"};
static const char *const st_ext4[] = {"dump_stack_lvl", "panic", "ext4_handle_error.cold", "__ext4_error",
                                      "ext4_lookup", "__lookup_slow", "walk_component", "path_lookupat",
                                      "filename_lookup", "vfs_statx", "__do_sys_newstat", "do_syscall_64",
                                      "entry_SYSCALL_64_after_hwframe", "@user"};
static const char *const st_warn[] = {"dump_stack_lvl", "panic", "__warn.cold", "report_bug", "handle_bug",
                                      "exc_invalid_op", "asm_exc_invalid_op"};
static const char *const st_kasan[] = {"dump_stack_lvl", "panic", "check_panic_on_warn.cold", "end_report.cold",
                                       "kasan_report"};
static const char *const st_vfs[] = {"dump_stack_lvl", "panic", "mount_block_root", "mount_root", "prepare_namespace",
                                     "kernel_init_freeable", "? rest_init", "kernel_init", "ret_from_fork"};
static const char *const st_nmi[] = {"<NMI>", "dump_stack_lvl", "panic", "nmi_panic.cold", "unknown_nmi_error.cold",
                                     "default_do_nmi", "exc_nmi", "end_repeat_nmi", "</NMI>"};
static const char *const st_sysrq[] = {"dump_stack_lvl", "panic", "? _printk", "sysrq_handle_crash",
                                       "__handle_sysrq.cold", "write_sysrq_trigger", "proc_reg_write", "vfs_write",
                                       "ksys_write", "__x64_sys_write", "do_syscall_64",
                                       "entry_SYSCALL_64_after_hwframe", "@user"};

void sy_panic(sy_ctx *c, int kind, const char *arg, int cpu, int pid, const char *comm) {
  char msg[192];
  const char *const *st = NULL;
  int n = 0;
  switch (kind) {
    case SY_P_HUNG: snprintf(msg, sizeof msg, "hung_task: blocked tasks"); st = st_hung, n = SY_N_OF(st_hung); break;
    case SY_P_SOFTLOCKUP: snprintf(msg, sizeof msg, "softlockup: hung tasks"); st = st_soft, n = SY_N_OF(st_soft); break;
    case SY_P_HARDLOCKUP: snprintf(msg, sizeof msg, "Hard LOCKUP"); st = st_hard, n = SY_N_OF(st_hard); break;
    case SY_P_RCU: snprintf(msg, sizeof msg, "RCU Stall"); st = st_rcu, n = SY_N_OF(st_rcu); break;
    case SY_P_FATAL: snprintf(msg, sizeof msg, "Fatal exception"); break;
    case SY_P_FATAL_IRQ: snprintf(msg, sizeof msg, "Fatal exception in interrupt"); break;
    case SY_P_OOM: snprintf(msg, sizeof msg, "Out of memory: system-wide panic_on_oom is enabled"); st = st_oom, n = SY_N_OF(st_oom); break;
    case SY_P_OOM_DEAD: snprintf(msg, sizeof msg, "System is deadlocked on memory"); st = st_oom, n = SY_N_OF(st_oom); break;
    case SY_P_KILL_INIT: snprintf(msg, sizeof msg, "Attempted to kill init! exitcode=0x%08x", arg ? 0x0000000b : 0x00000009); st = st_init, n = SY_N_OF(st_init); break;
    case SY_P_MCE: snprintf(msg, sizeof msg, "Fatal machine check"); st = st_mce, n = SY_N_OF(st_mce); break;
    case SY_P_MCE_TIMEOUT: snprintf(msg, sizeof msg, "Timeout: Not all CPUs entered broadcast exception handler"); st = st_mce, n = SY_N_OF(st_mce); break;
    case SY_P_MCE_LOCAL: snprintf(msg, sizeof msg, "Fatal local machine check"); st = st_mce, n = SY_N_OF(st_mce); break;
    case SY_P_EXT4: snprintf(msg, sizeof msg, "EXT4-fs (device %s): panic forced after error", arg ? arg : c->h.rootpart); st = st_ext4, n = SY_N_OF(st_ext4); break;
    case SY_P_WARN:
      if (c->h.k->major >= 6) snprintf(msg, sizeof msg, "%s: panic_on_warn set ...", arg ? arg : "kernel");
      else snprintf(msg, sizeof msg, "panic_on_warn set ...");
      if (arg && !strcmp(arg, "KASAN")) st = st_kasan, n = SY_N_OF(st_kasan);
      else st = st_warn, n = SY_N_OF(st_warn);
      break;
    case SY_P_VFS: snprintf(msg, sizeof msg, "VFS: Unable to mount root fs on unknown-block(%s)", arg ? arg : "0,0"); st = st_vfs, n = SY_N_OF(st_vfs); break;
    case SY_P_NMI_UNKNOWN: snprintf(msg, sizeof msg, "NMI: Not continuing"); st = st_nmi, n = SY_N_OF(st_nmi); break;
    case SY_P_GHES: snprintf(msg, sizeof msg, "Fatal hardware error!"); st = st_ghes, n = SY_N_OF(st_ghes); break;
    default: snprintf(msg, sizeof msg, "sysrq triggered crash"); st = st_sysrq, n = SY_N_OF(st_sysrq); break;
  }
  c->muted = false;
  c->t_panic = c->t;
  c->panicked = true;
  sy_out(c, SY_ROLE_P, "Kernel panic - not syncing: %s", msg);
  /* after an oops (TAINT_DIE) panic() does not dump the stack again */
  if (st && !strchr(c->taint, 'D') && sy_chance(&c->r, 0.8)) {
    sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm ? comm : "swapper/0");
    sy_hw_line(c);
    sy_trace(c, st, n);
  }
  if (sy_chance(&c->r, 0.5) && c->h.k->major >= 5) sy_out(c, SY_ROLE_N, "Shutting down cpus with NMI");
  if (sy_chance(&c->r, 0.7))
    sy_out(c, SY_ROLE_N, "Kernel Offset: 0x%x from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)",
           c->h.kaslr * 0x200000u);
  switch (sy_below(&c->r, 3)) {
    case 0: sy_out(c, SY_ROLE_N, "Rebooting in %d seconds..", SY_PICK(&c->r, ((const int[]){10, 30, 60, 5}))); break;
    case 1: sy_out(c, SY_ROLE_N, "---[ end Kernel panic - not syncing: %s ]---", msg); break;
    default: break; /* kdump took over: nothing more reaches the log */
  }
}
