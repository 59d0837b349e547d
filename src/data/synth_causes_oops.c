/* Root causes that are kernel bugs: a NULL pointer dereference in a driver, a general
 * protection fault / KASAN use-after-free, and BUG_ON / WARN in a subsystem, each ending in
 * "Fatal exception" (panic_on_oops), "panic_on_warn set ..." or, later, a hang. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

typedef struct oops_site {
  const char *rip;
  int need; /* 0 any host, 1 mlx5, 2 GPU, 3 i40e, 4 bnxt, 5 not NVMe (SAS) , 6 NVMe */
  bool irq;
  const char *frames[18];
} oops_site;

#define IDLE_TAIL "asm_common_interrupt", "cpuidle_enter_state", "cpuidle_enter", "do_idle", "cpu_startup_entry", \
                  "start_secondary", "secondary_startup_64_no_verify"

static const oops_site null_sites[] = {
    {"mlx5e_poll_tx_cq [mlx5_core]", 1, true,
     {"<IRQ>", "mlx5e_napi_poll [mlx5_core]", "__napi_poll", "net_rx_action", "__do_softirq", "irq_exit_rcu",
      "common_interrupt", "</IRQ>", IDLE_TAIL}},
    {"mlx5e_tx_reporter_timeout_recover [mlx5_core]", 1, false,
     {"devlink_health_reporter_recover", "devlink_health_report", "mlx5e_reporter_tx_timeout [mlx5_core]",
      "mlx5e_tx_timeout_work [mlx5_core]", "process_one_work", "worker_thread", "? process_one_work", "kthread",
      "? set_kthread_struct", "ret_from_fork"}},
    {"_nv011491rm [nvidia]", 2, false,
     {"? _nv011491rm [nvidia]", "_nv012053rm [nvidia]", "? _nv037722rm [nvidia]", "rm_ioctl [nvidia]",
      "nvidia_ioctl [nvidia]", "nvidia_frontend_unlocked_ioctl [nvidia]", "__x64_sys_ioctl", "do_syscall_64",
      "entry_SYSCALL_64_after_hwframe", "@user"}},
    {"uvm_va_block_make_resident [nvidia_uvm]", 2, false,
     {"uvm_va_block_service_locked [nvidia_uvm]", "uvm_gpu_service_replayable_faults [nvidia_uvm]",
      "replayable_faults_isr_bottom_half [nvidia_uvm]", "_main_loop [nvidia_uvm]", "? uvm_va_space_mm_shutdown [nvidia_uvm]",
      "kthread", "? set_kthread_struct", "ret_from_fork"}},
    {"i40e_clean_tx_irq [i40e]", 3, true,
     {"<IRQ>", "i40e_napi_poll [i40e]", "__napi_poll", "net_rx_action", "__do_softirq", "irq_exit_rcu",
      "common_interrupt", "</IRQ>", IDLE_TAIL}},
    {"bnxt_tx_int [bnxt_en]", 4, true,
     {"<IRQ>", "__bnxt_poll_work [bnxt_en]", "bnxt_poll [bnxt_en]", "__napi_poll", "net_rx_action", "__do_softirq",
      "irq_exit_rcu", "common_interrupt", "</IRQ>", IDLE_TAIL}},
    {"complete_cmd_fusion [megaraid_sas]", 5, true,
     {"<IRQ>", "megasas_isr_fusion [megaraid_sas]", "__handle_irq_event_percpu", "handle_irq_event",
      "handle_edge_irq", "__common_interrupt", "common_interrupt", "</IRQ>", IDLE_TAIL}},
    {"nvme_pci_complete_rq [nvme]", 6, true,
     {"<IRQ>", "nvme_irq [nvme]", "__handle_irq_event_percpu", "handle_irq_event", "handle_edge_irq",
      "__common_interrupt", "common_interrupt", "</IRQ>", IDLE_TAIL}},
    {"ib_mad_recv_done [ib_core]", 1, false,
     {"__ib_process_cq [ib_core]", "ib_cq_poll_work [ib_core]", "process_one_work", "worker_thread",
      "? process_one_work", "kthread", "? set_kthread_struct", "ret_from_fork"}},
    {"smi_event_handler [ipmi_si]", 0, false,
     {"smi_event_handler [ipmi_si]", "ipmi_thread [ipmi_si]", "? smi_event_handler [ipmi_si]", "kthread",
      "? set_kthread_struct", "ret_from_fork"}},
    {"bond_3ad_state_machine_handler [bonding]", 0, false,
     {"process_one_work", "worker_thread", "? process_one_work", "kthread", "? set_kthread_struct", "ret_from_fork"}},
};

static int nframes(const char *const *f) {
  int n = 0;
  while (n < 18 && f[n]) n++;
  return n;
}

static bool site_fits(const sy_ctx *c, int need) {
  switch (need) {
    case 1: return c->h.nic == SY_NIC_MLX5;
    case 2: return c->h.ngpu > 0;
    case 3: return c->h.nic == SY_NIC_I40E;
    case 4: return c->h.nic == SY_NIC_BNXT;
    case 5: return !c->h.nvme;
    case 6: return c->h.nvme;
    default: return true;
  }
}

/* the process an oops in this site runs in */
static const char *site_comm(sy_ctx *c, const oops_site *s, int cpu, char *buf, size_t n, int *pid) {
  if (s->irq) {
    snprintf(buf, n, "swapper/%d", cpu);
    *pid = 0;
    return buf;
  }
  if (strstr(s->frames[nframes(s->frames) - 1], "@user")) {
    *pid = sy_newpid(c);
    return c->h.ngpu ? sy_gpucomm(c) : sy_ucomm(c);
  }
  *pid = (int)sy_range(&c->r, 200, 4000);
  if (strstr(s->rip, "ipmi")) snprintf(buf, n, "kipmi0");
  else if (strstr(s->rip, "uvm")) snprintf(buf, n, "UVM GPU%d BH", (int)sy_range(&c->r, 1, c->h.ngpu ? c->h.ngpu : 1));
  else sy_kthread(c, buf, n);
  if (!strncmp(buf, "ksoftirqd", 9)) snprintf(buf, n, "kworker/u%d:%d", c->h.ncpu * 2, (int)sy_range(&c->r, 0, 9));
  return buf;
}

/* after an oops without panic_on_oops the box limps on until locks the dead task held block everyone */
static void limp_then_hang(sy_ctx *c, const char *comm, int pid) {
  if (c->h.k->major >= 6) sy_out(c, SY_ROLE_N, "note: %s[%d] exited with irqs disabled", comm, pid);
  sy_wait(c, sy_logu(&c->r, 10, 900) * 1000000);
  static const char *const st[] = {"__schedule", "schedule", "schedule_preempt_disabled", "__mutex_lock.constprop.0",
                                   "rtnl_lock", "dev_ioctl", "sock_do_ioctl", "sock_ioctl", "__x64_sys_ioctl",
                                   "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};
  sy_hung_tail(c, st, SY_N_OF(st), NULL, true);
}

void sy_cause_null(sy_ctx *c) {
  const oops_site *s;
  do s = &SY_PICK(&c->r, null_sites);
  while (!site_fits(c, s->need));
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid;
  char cb[32];
  const char *comm = site_comm(c, s, cpu, cb, sizeof cb, &pid);
  uint64_t addr = SY_PICK(&c->r, ((const uint64_t[]){0x0, 0x8, 0x10, 0x18, 0x28, 0x40, 0x68, 0xb0, 0x1c8, 0x350, 0x4}));
  bool write = sy_chance(&c->r, 0.3);
  unsigned ec = write ? 0x0002 : 0x0000;
  if (addr == 0 && sy_chance(&c->r, 0.3)) ec = 0x0010; /* instruction fetch: a NULL function pointer */
  sy_cause_begin(c);
  sy_span_begin(c);
  if (c->h.k->major == 4) {
    sy_out(c, SY_ROLE_C, "BUG: unable to handle kernel NULL pointer dereference at %016llx", (unsigned long long)addr);
  } else {
    sy_out(c, SY_ROLE_C, "BUG: kernel NULL pointer dereference, address: %016llx", (unsigned long long)addr);
    sy_out(c, SY_ROLE_N, "#PF: supervisor %s access in kernel mode", ec == 0x10 ? "instruction fetch" : write ? "write" : "read");
    sy_out(c, SY_ROLE_N, "#PF: error_code(0x%04x) - not-present page", ec);
  }
  if (sy_chance(&c->r, 0.6)) sy_out(c, SY_ROLE_N, "PGD 0 P4D 0 ");
  else {
    unsigned p1 = (sy_u32(&c->r) & ~0xfffu) | 0x067, p2 = (sy_u32(&c->r) & ~0xfffu) | 0x067, p3 = (sy_u32(&c->r) & ~0xfffu) | 0x067;
    sy_out(c, SY_ROLE_N, "PGD %x P4D %x PUD %x PMD 0 ", p1, p2, p3);
  }
  char oline[32];
  snprintf(oline, sizeof oline, "Oops: %04x", ec);
  sy_oops_body(c, SY_ROLE_N, SY_ROLE_C, oline, cpu, pid, comm, ec == 0x10 ? "0x0" : s->rip, s->frames, nframes(s->frames), addr);
  sy_span_end(c);
  sy_cause_end(c);
  if (s->irq) sy_panic(c, SY_P_FATAL_IRQ, NULL, cpu, pid, comm);
  else if (sy_chance(&c->r, 0.75)) sy_panic(c, SY_P_FATAL, NULL, cpu, pid, comm);
  else limp_then_hang(c, comm, pid);
}

/* ---- general protection fault / KASAN ---- */

typedef struct uaf_site {
  const char *fn, *cache;
  int size, objsize, need;
  bool irq;
  const char *use[10], *alloc[10], *freed[10];
} uaf_site;

static const uaf_site uaf_sites[] = {
    {"tcp_retransmit_timer", "TCP", 8, 2432, 0, true,
     {"tcp_write_timer_handler", "tcp_write_timer", "call_timer_fn", "__run_timers.part.0", "run_timer_softirq", "__do_softirq"},
     {"kmem_cache_alloc", "sk_prot_alloc", "sk_alloc", "inet_create", "__sock_create", "__sys_socket", "__x64_sys_socket", "do_syscall_64"},
     {"kmem_cache_free", "__sk_destruct", "rcu_do_batch", "rcu_core", "__do_softirq"}},
    {"mlx5e_xmit [mlx5_core]", "skbuff_head_cache", 8, 232, 1, false,
     {"dev_hard_start_xmit", "sch_direct_xmit", "__dev_queue_xmit", "ip_finish_output2", "ip_output", "__ip_queue_xmit", "__tcp_transmit_skb", "tcp_write_xmit"},
     {"kmem_cache_alloc_node", "__alloc_skb", "tcp_stream_alloc_skb", "tcp_sendmsg_locked", "tcp_sendmsg", "sock_sendmsg", "__sys_sendto"},
     {"kmem_cache_free", "napi_consume_skb", "mlx5e_poll_tx_cq [mlx5_core]", "mlx5e_napi_poll [mlx5_core]", "__napi_poll", "net_rx_action"}},
    {"ext4_xattr_set_entry", "kmalloc-128", 4, 128, 0, false,
     {"ext4_xattr_ibody_set", "ext4_xattr_set_handle", "ext4_xattr_set", "__vfs_setxattr", "__vfs_setxattr_noperm", "vfs_setxattr", "setxattr", "path_setxattr"},
     {"__kmalloc", "ext4_xattr_inode_cache_find", "ext4_xattr_set_entry", "ext4_xattr_block_set", "ext4_xattr_set_handle"},
     {"kfree", "ext4_xattr_release_block", "ext4_xattr_block_set", "ext4_xattr_set_handle", "ext4_xattr_set"}},
    {"nf_ct_delete [nf_conntrack]", "nf_conntrack", 8, 320, 0, true,
     {"gc_worker [nf_conntrack]", "process_one_work", "worker_thread", "kthread", "ret_from_fork"},
     {"kmem_cache_alloc", "__nf_conntrack_alloc [nf_conntrack]", "init_conntrack.constprop.0 [nf_conntrack]", "nf_conntrack_in [nf_conntrack]", "nf_hook_slow", "ip_rcv"},
     {"kmem_cache_free", "nf_conntrack_free [nf_conntrack]", "destroy_conntrack [nf_conntrack]", "nf_ct_destroy", "rcu_core"}},
    {"blk_mq_end_request", "kmalloc-512", 8, 512, 0, true,
     {"scsi_end_request", "scsi_io_completion", "blk_complete_reqs", "__do_softirq", "irq_exit_rcu", "common_interrupt"},
     {"__kmalloc_node", "blk_mq_alloc_rqs", "blk_mq_alloc_map_and_rqs", "blk_mq_init_sched", "elevator_init_mq"},
     {"kfree", "blk_mq_free_rqs", "blk_mq_sched_free_rqs", "blk_mq_exit_sched", "elevator_switch_mq"}},
    {"uvm_channel_update_progress [nvidia_uvm]", "kmalloc-1k", 8, 1024, 2, false,
     {"uvm_tracker_wait [nvidia_uvm]", "uvm_va_block_make_resident [nvidia_uvm]", "uvm_va_block_service_locked [nvidia_uvm]", "uvm_gpu_service_replayable_faults [nvidia_uvm]"},
     {"__kmalloc", "uvm_kvmalloc [nvidia_uvm]", "channel_create [nvidia_uvm]", "uvm_channel_manager_create [nvidia_uvm]"},
     {"kfree", "uvm_kvfree [nvidia_uvm]", "channel_destroy [nvidia_uvm]", "uvm_channel_manager_destroy [nvidia_uvm]"}},
};

static int n10(const char *const *f) {
  int n = 0;
  while (n < 10 && f[n]) n++;
  return n;
}

static void kasan_stack(sy_ctx *c, const char *head, const char *const *pre, int npre, const char *const *f, int n) {
  char b[192];
  sy_out(c, SY_ROLE_N, "%s", head);
  for (int i = 0; i < npre; i++) {
    sy_frame(c, b, sizeof b, pre[i]);
    sy_out(c, SY_ROLE_N, " %s", b);
  }
  for (int i = 0; i < n; i++) {
    sy_frame(c, b, sizeof b, f[i]);
    sy_out(c, SY_ROLE_N, " %s", b);
  }
  sy_out(c, SY_ROLE_N, "%s", "");
}

static void kasan_report(sy_ctx *c, const uaf_site *s, int cpu, int pid, const char *comm) {
  char f[192];
  sy_frame(c, f, sizeof f, s->fn);
  uint64_t obj = c->h.kbase + ((uint64_t)sy_range(&c->r, 0x100000, 0x3fffff) << 12);
  obj += (uint64_t)sy_below(&c->r, (uint32_t)(4096 / s->objsize)) * (uint64_t)s->objsize;
  int off = (int)sy_range(&c->r, 0, s->objsize / 8 - 1) * 8;
  uint64_t addr = obj + (uint64_t)off;
  sy_span_begin(c);
  sy_out(c, SY_ROLE_N, "==================================================================");
  sy_out(c, SY_ROLE_C, "BUG: KASAN: use-after-free in %s", f);
  sy_out(c, SY_ROLE_C, "%s of size %d at addr %016llx by task %s/%d", s->size == 4 && sy_chance(&c->r, 0.5) ? "Write" : "Read", s->size,
         (unsigned long long)addr, comm, pid);
  sy_out(c, SY_ROLE_N, "%s", "");
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  const char *tr[24];
  int n = 0;
  if (s->irq) tr[n++] = "<IRQ>";
  tr[n++] = "dump_stack_lvl";
  tr[n++] = "print_address_description.constprop.0";
  tr[n++] = "kasan_report.cold";
  tr[n++] = s->size == 4 ? "__asan_store4" : "__asan_load8";
  tr[n++] = s->fn;
  for (int i = 0; i < n10(s->use) && n < 22; i++) tr[n++] = s->use[i];
  if (s->irq) {
    tr[n++] = "</IRQ>";
    tr[n++] = "asm_sysvec_apic_timer_interrupt";
  }
  sy_trace(c, tr, n);
  sy_out(c, SY_ROLE_N, "%s", "");
  static const char *const apre[] = {"kasan_save_stack", "__kasan_kmalloc"};
  static const char *const fpre[] = {"kasan_save_stack", "kasan_set_track", "kasan_set_free_info", "__kasan_slab_free"};
  char head[64];
  snprintf(head, sizeof head, "Allocated by task %d:", sy_newpid(c));
  kasan_stack(c, head, apre, 2, s->alloc, n10(s->alloc));
  snprintf(head, sizeof head, "Freed by task %d:", s->irq ? 0 : sy_newpid(c));
  kasan_stack(c, head, fpre, 4, s->freed, n10(s->freed));
  sy_out(c, SY_ROLE_N, "The buggy address belongs to the object at %016llx", (unsigned long long)obj);
  sy_out(c, SY_ROLE_N, " which belongs to the cache %s of size %d", s->cache, s->objsize);
  sy_out(c, SY_ROLE_N, "The buggy address is located %d bytes inside of", off);
  sy_out(c, SY_ROLE_N, " %d-byte region [%016llx, %016llx)", s->objsize, (unsigned long long)obj, (unsigned long long)(obj + (uint64_t)s->objsize));
  sy_out(c, SY_ROLE_N, "%s", "");
  sy_out(c, SY_ROLE_N, "The buggy address belongs to the page:");
  uint64_t pfn = (addr - c->h.kbase) >> 12;
  sy_out(c, SY_ROLE_N, "page:%016llx refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x%llx",
         (unsigned long long)(0xffffea0000000000ull + pfn * 64), (unsigned long long)pfn);
  sy_out(c, SY_ROLE_N, "flags: 0x17ffffc0010200(slab|head|node=0|zone=2|lastcpupid=0x1fffff)");
  sy_out(c, SY_ROLE_N, "raw: 0017ffffc0010200 %016llx dead000000000122 %016llx", (unsigned long long)(0xffffea0000000000ull + pfn * 64 + 0x208),
         (unsigned long long)sy_kptr(c));
  sy_out(c, SY_ROLE_N, "raw: 0000000000000000 0000000000%06x 00000001ffffffff 0000000000000000", sy_below(&c->r, 0xffffff));
  sy_out(c, SY_ROLE_N, "page dumped because: kasan: bad access detected");
  sy_out(c, SY_ROLE_N, "%s", "");
  sy_out(c, SY_ROLE_N, "Memory state around the buggy address:");
  uint64_t row0 = (addr & ~0x7full) - 0x100;
  for (int r = 0; r < 5; r++) {
    char line[128];
    uint64_t base = row0 + (uint64_t)r * 0x80;
    int len = snprintf(line, sizeof line, "%c%016llx:", r == 2 ? '>' : ' ', (unsigned long long)base);
    for (int k = 0; k < 16; k++) {
      uint64_t a = base + (uint64_t)k * 8;
      const char *v = a >= obj && a < obj + (uint64_t)s->objsize ? (a == obj ? "fa" : "fb") : "fc";
      len += snprintf(line + len, sizeof line - len, " %s", v);
    }
    sy_out(c, SY_ROLE_N, "%s", line);
    if (r == 2) sy_out(c, SY_ROLE_N, "%*c", 20 + 3 * (int)((addr - base) / 8), '^');
  }
  sy_out(c, SY_ROLE_N, "==================================================================");
  sy_span_end(c);
  sy_out(c, SY_ROLE_N, "Disabling lock debugging due to kernel taint");
  sy_taint(c, 'B');
}

void sy_cause_gpf(sy_ctx *c) {
  const uaf_site *s;
  do s = &SY_PICK(&c->r, uaf_sites);
  while ((s->need == 1 && c->h.nic != SY_NIC_MLX5) || (s->need == 2 && !c->h.ngpu));
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid = s->irq ? 0 : sy_newpid(c);
  char cb[32];
  bool syscall = strstr(s->fn, "ext4") || strstr(s->fn, "mlx5e_xmit"); /* reached from a system call */
  const char *comm = s->irq ? (snprintf(cb, sizeof cb, "swapper/%d", cpu), cb) : !syscall && sy_chance(&c->r, 0.5) ? sy_kthread(c, cb, sizeof cb) : sy_ucomm(c);
  bool kasan = sy_chance(&c->r, 0.45);
  if (kasan) {
    c->h.kasan = true;
    sy_cause_begin(c);
    kasan_report(c, s, cpu, pid, comm);
    sy_cause_end(c);
    if (sy_chance(&c->r, 0.4)) {
      sy_panic(c, SY_P_WARN, "KASAN", cpu, pid, comm);
      return;
    }
    sy_wait(c, sy_logu(&c->r, 1, 600) * 1000000);
  }
  /* the freed object is reused or poisoned: the next access faults on a non-canonical pointer */
  uint64_t low = sy_u32(&c->r);
  uint64_t bad = SY_PICK(&c->r, ((const uint64_t[]){0xdead000000000122ull, 0xdead000000000100ull, 0x6b6b6b6b6b6b6b6bull,
                                                     0x2f6e6f6d2f6c6172ull, 0x0000ff0000000000ull | low, 0xdffffc0000000003ull}));
  char head[160];
  if (c->h.k->major == 4) snprintf(head, sizeof head, "general protection fault: 0000");
  else snprintf(head, sizeof head, "general protection fault, probably for non-canonical address 0x%016llx: 0000", (unsigned long long)bad);
  const char *tr[20];
  int n = 0;
  if (s->irq) tr[n++] = "<IRQ>";
  for (int i = 0; i < n10(s->use) && n < 16; i++) tr[n++] = s->use[i];
  if (s->irq) {
    tr[n++] = "</IRQ>";
    tr[n++] = "asm_sysvec_apic_timer_interrupt";
    tr[n++] = "cpuidle_enter_state";
  }
  sy_cause_begin(c);
  sy_span_begin(c);
  if (c->h.kasan && bad == 0xdffffc0000000003ull)
    sy_out(c, SY_ROLE_N, "KASAN: null-ptr-deref in range [0x0000000000000018-0x000000000000001f]");
  sy_oops_body(c, SY_ROLE_C, SY_ROLE_C, head, cpu, pid, comm, s->fn, tr, n, 0);
  sy_span_end(c);
  sy_cause_end(c);
  sy_panic(c, s->irq ? SY_P_FATAL_IRQ : SY_P_FATAL, NULL, cpu, pid, comm);
}

/* ---- BUG_ON / WARN ---- */

typedef struct bug_site {
  const char *file;
  int line;
  const char *fn, *msg;
  bool warn;
  const char *frames[12];
} bug_site;

static const bug_site bug_sites[] = {
    {"lib/list_debug.c", 54, "__list_del_entry_valid.cold", "list_del corruption. prev->next should be %016llx, but was %016llx. (prev=%016llx)", false,
     {"? __list_del_entry_valid.cold", "release_pages", "__pagevec_release", "truncate_inode_pages_range", "evict", "__dentry_kill", "dput", "__fput", "task_work_run"}},
    {"net/core/skbuff.c", 113, "skb_panic", "skbuff: skb_over_panic: text:%016llx len:%d put:%d head:%016llx data:%016llx tail:%#x end:%#x dev:%s", false,
     {"skb_put.cold", "mlx5e_skb_from_cqe_mpwrq_linear [mlx5_core]", "mlx5e_handle_rx_cqe_mpwrq [mlx5_core]", "mlx5e_poll_rx_cq [mlx5_core]", "mlx5e_napi_poll [mlx5_core]", "__napi_poll", "net_rx_action", "__do_softirq"}},
    {"mm/usercopy.c", 99, "usercopy_abort", "usercopy: Kernel memory exposure attempt detected from SLUB object 'kmalloc-64' (offset %d, size %d)!", false,
     {"__check_heap_object", "__check_object_size.part.0", "simple_read_from_buffer", "proc_reg_read", "vfs_read", "ksys_read", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"}},
    {"fs/ext4/inode.c", 3631, "ext4_journalled_invalidatepage", NULL, false,
     {"truncate_cleanup_page", "truncate_inode_pages_range", "ext4_evict_inode", "evict", "do_unlinkat", "__x64_sys_unlinkat", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"}},
    {"mm/huge_memory.c", 2791, "split_huge_page_to_list", NULL, false,
     {"deferred_split_scan", "do_shrink_slab", "shrink_slab", "shrink_node", "balance_pgdat", "kswapd", "kthread", "ret_from_fork"}},
    {"lib/refcount.c", 28, "refcount_warn_saturate", "refcount_t: underflow; use-after-free.", true,
     {"nvme_put_ns [nvme_core]", "nvme_release [nvme_core]", "blkdev_put", "blkdev_close", "__fput", "task_work_run", "exit_to_user_mode_prepare", "syscall_exit_to_user_mode", "do_syscall_64"}},
    {"kernel/workqueue.c", 3066, "__flush_work.isra.0", NULL, true,
     {"__cancel_work_timer", "mlx5e_close_locked [mlx5_core]", "mlx5e_close [mlx5_core]", "__dev_close_many", "dev_close_many", "dev_close", "bond_release_and_destroy [bonding]"}},
    {"mm/page_alloc.c", 5344, "__alloc_pages", NULL, true,
     {"kmalloc_large_node", "__kmalloc_node", "kvmalloc_node", "xt_alloc_table_info [x_tables]", "do_replace.constprop.0 [ip_tables]", "do_ipt_set_ctl [ip_tables]", "nf_setsockopt", "__sys_setsockopt"}},
    {"kernel/sched/core.c", 3187, "set_task_cpu", NULL, true,
     {"try_to_wake_up", "wake_up_q", "futex_wake", "do_futex", "__x64_sys_futex", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"}},
    {"fs/iomap/buffered-io.c", 1022, "iomap_page_release", NULL, true,
     {"iomap_releasepage", "try_to_release_page", "shrink_page_list", "shrink_inactive_list", "shrink_lruvec", "shrink_node", "kswapd", "kthread"}},
    {"drivers/pci/msi/msi.c", 888, "__pci_enable_msix_range", NULL, true,
     {"pci_alloc_irq_vectors_affinity", "nvme_setup_io_queues [nvme]", "nvme_reset_work [nvme]", "process_one_work", "worker_thread", "kthread", "ret_from_fork"}},
};

static int n12(const char *const *f) {
  int n = 0;
  while (n < 12 && f[n]) n++;
  return n;
}

static void bug_msg(sy_ctx *c, const bug_site *s, char *buf, size_t n) {
  if (!s->msg) {
    buf[0] = 0;
    return;
  }
  if (strstr(s->msg, "list_del")) {
    unsigned long long a = sy_kptr(c), b = sy_kptr(c), d = sy_kptr(c);
    snprintf(buf, n, s->msg, a, b, d);
  } else if (strstr(s->msg, "skb_over")) {
    unsigned long long text = 0xffffffffc0000000ull + ((unsigned long long)sy_below(&c->r, 0xfffff) << 4);
    int len = (int)sy_range(&c->r, 1500, 9000), put = (int)sy_range(&c->r, 1500, 9000);
    unsigned long long head = sy_kptr(c), data = sy_kptr(c);
    unsigned tail = (unsigned)sy_range(&c->r, 0x600, 0x2400), end = (unsigned)sy_range(&c->r, 0x600, 0x700);
    snprintf(buf, n, s->msg, text, len, put, head, data, tail, end, c->h.ifname);
  } else if (strstr(s->msg, "usercopy")) {
    int off = (int)sy_range(&c->r, 0, 63), size = (int)sy_range(&c->r, 65, 4096);
    snprintf(buf, n, s->msg, off, size);
  }
  else snprintf(buf, n, "%s", s->msg);
}

void sy_cause_bug(sy_ctx *c) {
  const bug_site *s = &SY_PICK(&c->r, bug_sites);
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid = sy_newpid(c);
  char cb[32], msg[320];
  bool user = strstr(s->frames[n12(s->frames) - 1], "@user") != NULL || strstr(s->frames[n12(s->frames) - 1], "do_syscall");
  const char *comm = user ? sy_ucomm(c) : sy_kthread(c, cb, sizeof cb);
  bug_msg(c, s, msg, sizeof msg);
  sy_cause_begin(c);
  if (s->warn) {
    sy_warn_report(c, SY_ROLE_C, msg[0] ? msg : NULL, s->file, s->line, cpu, pid, comm, s->fn, s->frames, n12(s->frames));
    sy_cause_end(c);
    if (sy_chance(&c->r, 0.7)) {
      sy_panic(c, SY_P_WARN, NULL, cpu, pid, comm);
      return;
    }
    /* no panic_on_warn: the warning's corruption leads to a BUG later */
    sy_end_trace(c);
    sy_wait(c, sy_logu(&c->r, 5, 1200) * 1000000);
    s = &bug_sites[sy_below(&c->r, 5)];
    bug_msg(c, s, msg, sizeof msg);
    sy_cause_begin(c);
  }
  sy_span_begin(c);
  sy_out(c, SY_ROLE_N, "------------[ cut here ]------------");
  if (msg[0]) sy_out(c, SY_ROLE_C, "%s", msg);
  sy_out(c, SY_ROLE_C, "kernel BUG at %s:%d!", s->file, s->line);
  sy_oops_body(c, SY_ROLE_N, SY_ROLE_C, "invalid opcode: 0000", cpu, pid, comm, s->fn, s->frames, n12(s->frames), 0);
  sy_span_end(c);
  sy_cause_end(c);
  sy_panic(c, strstr(s->frames[n12(s->frames) - 1], "softirq") ? SY_P_FATAL_IRQ : SY_P_FATAL, NULL, cpu, pid, comm);
}

/* A WARN from the table above that a healthy fleet also prints (for benign incidents). */
void sy_warn_benign(sy_ctx *c) {
  const bug_site *s = &bug_sites[5 + sy_below(&c->r, SY_N_OF(bug_sites) - 5)];
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid = sy_newpid(c);
  char cb[32];
  sy_warn_report(c, SY_ROLE_N, s->msg, s->file, s->line, cpu, pid, sy_chance(&c->r, 0.5) ? sy_ucomm(c) : sy_kthread(c, cb, sizeof cb), s->fn,
                 s->frames, n12(s->frames));
  sy_end_trace(c);
}
