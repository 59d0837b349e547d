/* OOM-killer reports: the "invoked oom-killer" header with its stack, Mem-Info (global) or the
 * memory cgroup counters (memcg), the task table, the oom-kill summary and "Killed process". */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static const char *const st_global[] = {"dump_stack_lvl", "dump_header", "oom_kill_process.cold", "out_of_memory",
                                        "__alloc_pages_slowpath.constprop.0", "__alloc_pages", "alloc_pages_vma",
                                        "__handle_mm_fault", "handle_mm_fault", "do_user_addr_fault", "exc_page_fault",
                                        "asm_exc_page_fault", "@user"};
static const char *const st_memcg[] = {"dump_stack_lvl", "dump_header", "oom_kill_process.cold", "out_of_memory",
                                       "mem_cgroup_out_of_memory", "try_charge_memcg", "charge_memcg",
                                       "__mem_cgroup_charge", "__handle_mm_fault", "handle_mm_fault",
                                       "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "@user"};

static void mem_info(sy_ctx *c) {
  uint64_t pages = c->h.mem_kb / 4;
  uint64_t anon = pages - pages / (uint64_t)sy_range(&c->r, 25, 80);
  int64_t v[16];
  sy_out(c, SY_ROLE_N, "Mem-Info:");
  sy_draws(&c->r, v, 11, (const int64_t[]){1000, 90000, 0, 900, 0, 2000, 0, 64, 0, 8000, 0, 40, 10000, 90000, 50000, 900000, 100, 9000,
                                           100, 90000, 10000, 600000});
  sy_out(c, SY_ROLE_N, "active_anon:%lld inactive_anon:%llu isolated_anon:0", (long long)v[0], (unsigned long long)anon);
  sy_out(c, SY_ROLE_N, " active_file:%lld inactive_file:%lld isolated_file:%lld", (long long)v[1], (long long)v[2], (long long)v[3]);
  sy_out(c, SY_ROLE_N, " unevictable:%lld dirty:%lld writeback:0", (long long)v[4], (long long)v[5]);
  sy_out(c, SY_ROLE_N, " slab_reclaimable:%lld slab_unreclaimable:%lld", (long long)v[6], (long long)v[7]);
  sy_out(c, SY_ROLE_N, " mapped:%lld shmem:%lld pagetables:%lld bounce:0", (long long)v[8], (long long)v[9], (long long)v[10]);
  if (sy_newstyle(c)) sy_out(c, SY_ROLE_N, " kernel_misc_reclaimable:0");
  sy_draws(&c->r, v, 2, (const int64_t[]){40000, 120000, 0, 900});
  sy_out(c, SY_ROLE_N, " free:%lld free_pcp:%lld free_cma:0", (long long)v[0], (long long)v[1]);
  for (int nd = 0; nd < c->h.nodes; nd++) {
    sy_draws(&c->r, v, 8, (const int64_t[]){1000, 90000, 0, 900, 0, 900, 0, 9000, 0, 9000, 0, 9000000, 9000, 90000, 10000, 900000});
    sy_out(c, SY_ROLE_N,
           "Node %d active_anon:%lldkB inactive_anon:%llukB active_file:%lldkB inactive_file:%lldkB unevictable:0kB isolated(anon):0kB "
           "isolated(file):0kB mapped:%lldkB dirty:0kB writeback:0kB shmem:%lldkB shmem_thp: 0kB shmem_pmdmapped: 0kB anon_thp: %lldkB "
           "writeback_tmp:0kB kernel_stack:%lldkB pagetables:%lldkB all_unreclaimable? yes",
           nd, (long long)v[0], (unsigned long long)(anon * 4 / (uint64_t)c->h.nodes), (long long)v[1], (long long)v[2], (long long)v[3],
           (long long)v[4], (long long)v[5], (long long)v[6], (long long)v[7]);
  }
  sy_out(c, SY_ROLE_N, "Node 0 DMA free:11264kB min:0kB low:12kB high:24kB reserved_highatomic:0KB active_anon:0kB inactive_anon:0kB active_file:0kB "
         "inactive_file:0kB unevictable:0kB writepending:0kB present:15996kB managed:15360kB mlocked:0kB bounce:0kB free_pcp:0kB local_pcp:0kB free_cma:0kB");
  sy_out(c, SY_ROLE_N, "lowmem_reserve[]: 0 1426 %llu %llu %llu", (unsigned long long)(c->h.mem_kb / 1024 / (uint64_t)c->h.nodes),
         (unsigned long long)(c->h.mem_kb / 1024 / (uint64_t)c->h.nodes), (unsigned long long)(c->h.mem_kb / 1024 / (uint64_t)c->h.nodes));
  for (int nd = 0; nd < c->h.nodes; nd++) {
    sy_draws(&c->r, v, 8, (const int64_t[]){40000, 90000, 0, 3000, 0, 4, 1000, 90000, 0, 900, 0, 900, 0, 3000, 0, 300});
    int minkb = (int)v[0];
    sy_out(c, SY_ROLE_N, "Node %d Normal free:%dkB min:%dkB low:%dkB high:%dkB reserved_highatomic:%dKB active_anon:%lldkB inactive_anon:%llukB "
           "active_file:%lldkB inactive_file:%lldkB unevictable:0kB writepending:0kB present:%llukB managed:%llukB mlocked:0kB bounce:0kB "
           "free_pcp:%lldkB local_pcp:%lldkB free_cma:0kB",
           nd, minkb - (int)v[1], minkb, minkb * 5 / 4, minkb * 3 / 2, (int)v[2] * 2048, (long long)v[3],
           (unsigned long long)(anon * 4 / (uint64_t)c->h.nodes), (long long)v[4], (long long)v[5],
           (unsigned long long)(c->h.mem_kb / (uint64_t)c->h.nodes), (unsigned long long)(c->h.mem_kb / (uint64_t)c->h.nodes - 600000),
           (long long)v[6], (long long)v[7]);
    sy_out(c, SY_ROLE_N, "lowmem_reserve[]: 0 0 0 0 0");
  }
  sy_out(c, SY_ROLE_N, "Node 0 DMA: 0*4kB 0*8kB 0*16kB 0*32kB 0*64kB 0*128kB 0*256kB 0*512kB 1*1024kB (U) 1*2048kB (M) 2*4096kB (M) = 11264kB");
  for (int nd = 0; nd < c->h.nodes; nd++) {
    int a = (int)sy_range(&c->r, 100, 9000), b = (int)sy_range(&c->r, 50, 4000), d = (int)sy_range(&c->r, 10, 900), e = (int)sy_range(&c->r, 0, 90);
    sy_out(c, SY_ROLE_N, "Node %d Normal: %d*4kB (UME) %d*8kB (UME) %d*16kB (UME) %d*32kB (UM) 0*64kB 0*128kB 0*256kB 0*512kB 0*1024kB 0*2048kB 0*4096kB = %dkB",
           nd, a, b, d, e, a * 4 + b * 8 + d * 16 + e * 32);
  }
  for (int nd = 0; nd < c->h.nodes; nd++) {
    sy_out(c, SY_ROLE_N, "Node %d hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=1048576kB", nd);
    sy_out(c, SY_ROLE_N, "Node %d hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=2048kB", nd);
  }
  sy_out(c, SY_ROLE_N, "%d total pagecache pages", (int)sy_range(&c->r, 1000, 90000));
  sy_out(c, SY_ROLE_N, "0 pages in swap cache");
  sy_out(c, SY_ROLE_N, "Free swap  = 0kB");
  sy_out(c, SY_ROLE_N, "Total swap = 0kB");
  sy_out(c, SY_ROLE_N, "%llu pages RAM", (unsigned long long)(pages + 1000000));
  sy_out(c, SY_ROLE_N, "0 pages HighMem/MovableOnly");
  sy_out(c, SY_ROLE_N, "%llu pages reserved", (unsigned long long)(pages / 60));
  sy_out(c, SY_ROLE_N, "0 pages hwpoisoned");
}

static void memcg_info(sy_ctx *c, const char *cg, uint64_t limit_kb) {
  sy_out(c, SY_ROLE_N, "memory: usage %llukB, limit %llukB, failcnt %d", (unsigned long long)limit_kb, (unsigned long long)limit_kb, (int)sy_logu(&c->r, 1, 90000));
  sy_out(c, SY_ROLE_N, "memory+swap: usage %llukB, limit 9007199254740988kB, failcnt 0", (unsigned long long)limit_kb);
  sy_out(c, SY_ROLE_N, "kmem: usage %dkB, limit 9007199254740988kB, failcnt 0", (int)sy_range(&c->r, 2000, 90000));
  sy_out(c, SY_ROLE_N, "Memory cgroup stats for %s:", cg);
  static const char *const keys[] = {"anon", "file", "kernel", "kernel_stack", "pagetables", "sec_pagetables", "percpu", "sock",
                                     "vmalloc", "shmem", "file_mapped", "file_dirty", "file_writeback", "swapcached", "anon_thp",
                                     "file_thp", "shmem_thp", "inactive_anon", "active_anon", "inactive_file", "active_file",
                                     "unevictable", "slab_reclaimable", "slab_unreclaimable", "slab", "workingset_refault_anon",
                                     "workingset_refault_file", "workingset_activate_anon", "workingset_activate_file",
                                     "workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim", "pgscan",
                                     "pgsteal", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct", "pgfault",
                                     "pgmajfault", "pgrefill", "pgactivate", "pgdeactivate", "pglazyfree", "pglazyfreed",
                                     "thp_fault_alloc", "thp_collapse_alloc"};
  int nk = sy_newstyle(c) ? SY_N_OF(keys) : 24;
  for (int i = 0; i < nk; i++) {
    uint64_t v = i == 0 || i == 18 ? limit_kb * 1024 - (uint64_t)sy_range(&c->r, 0, 1 << 20) : sy_chance(&c->r, 0.35) ? 0 : sy_logu(&c->r, 1, 1ull << 30);
    sy_out(c, SY_ROLE_N, "%s %llu", keys[i], (unsigned long long)v);
  }
}

static void task_table(sy_ctx *c, int rows, int vpid, const char *vcomm, uint64_t vrss) {
  sy_out(c, SY_ROLE_N, "Tasks state (memory values in pages):");
  sy_out(c, SY_ROLE_N, "[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
  int pid = (int)sy_range(&c->r, 300, 900);
  int vrow = (int)sy_below(&c->r, (uint32_t)rows);
  for (int i = 0; i < rows; i++) {
    if (i == vrow) {
      sy_out(c, SY_ROLE_N, "[%7d] %5d %5d %8llu %8llu %8lld %8d         %5d %s", vpid, 1000, vpid, (unsigned long long)(vrss + vrss / 20),
             (unsigned long long)vrss, (long long)(vrss / 256 * 4096 + 4096), 0, 0, vcomm);
      continue;
    }
    pid += (int)sy_logu(&c->r, 1, 3000);
    int uid = sy_chance(&c->r, 0.5) ? 0 : SY_PICK(&c->r, ((const int[]){100, 101, 102, 103, 104, 998, 999, 1000, 1001, 65534}));
    int vm = (int)sy_logu(&c->r, 600, 9000000);
    int rss = vm / (int)sy_range(&c->r, 2, 60), pt = (int)sy_range(&c->r, 10, 900) * 4096;
    int adj = SY_PICK(&c->r, ((const int[]){0, 0, 0, -1000, -999, -250, -900, 200, 999}));
    sy_out(c, SY_ROLE_N, "[%7d] %5d %5d %8d %8d %8d %8d         %5d %s", pid, uid, pid, vm, rss, pt, 0, adj, sy_ucomm(c));
  }
}

void sy_oom_report(sy_ctx *c, bool global, int role, const char *comm, int pid, bool kill) {
  char cg[200], cont[80], pod[40];
  const sy_host *h = &c->h;
  int cpu = (int)sy_below(&c->r, (uint32_t)h->ncpu);
  int adj = global ? 0 : SY_PICK(&c->r, ((const int[]){985, 999, 994, 1000, 0}));
  const char *gfp = global ? SY_PICK(&c->r, ((const char *const[]){"0x1100cca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO)", "0x100cca(GFP_HIGHUSER_MOVABLE)",
                                                                  "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)", "0xcc0(GFP_KERNEL)"}))
                           : "0xcc0(GFP_KERNEL)";
  unsigned w[10];
  for (int i = 0; i < 10; i++) w[i] = sy_u32(&c->r);
  snprintf(pod, sizeof pod, "%08x_%04x_%04x_%04x_%08x%04x", w[0], w[1] & 0xffff, w[1] >> 16, w[2] & 0xffff, w[3], w[2] >> 16);
  snprintf(cont, sizeof cont, "%08x%08x%08x%08x", w[4], w[5], w[6], w[7]);
  if (h->containers == 2)
    snprintf(cg, sizeof cg, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/cri-containerd-%.32s.scope", pod, cont);
  else if (h->containers == 1)
    snprintf(cg, sizeof cg, "/system.slice/docker-%.32s%.32s.scope", cont, cont);
  else
    snprintf(cg, sizeof cg, "/user.slice/user-1000.slice/session-%d.scope", (int)sy_range(&c->r, 1, 900));
  sy_span_begin(c);
  if (h->k->major == 4)
    sy_out(c, role, "%s invoked oom-killer: gfp_mask=%s, nodemask=(null), order=0, oom_score_adj=%d", comm, gfp, adj);
  else
    sy_out(c, role, "%s invoked oom-killer: gfp_mask=%s, order=0, oom_score_adj=%d", comm, gfp, adj);
  sy_cpu_line(c, SY_ROLE_N, cpu, pid, comm);
  sy_hw_line(c);
  if (global) sy_trace(c, st_global, SY_N_OF(st_global));
  else sy_trace(c, st_memcg, SY_N_OF(st_memcg));
  uint64_t limit_kb = (uint64_t)sy_logu(&c->r, 256, 65536) * 1024;
  if (global) mem_info(c);
  else memcg_info(c, cg, limit_kb);
  uint64_t vrss = global ? h->mem_kb / 4 * (uint64_t)sy_range(&c->r, 60, 95) / 100 : limit_kb / 4 - (uint64_t)sy_range(&c->r, 0, 3000);
  int rows = global ? (int)sy_logu(&c->r, 25, 400) : (int)sy_range(&c->r, 1, 8);
  task_table(c, rows, pid, comm, vrss);
  sy_span_end(c);
  if (!kill) return;
  char mems[16];
  snprintf(mems, sizeof mems, h->nodes > 1 ? "0-%d" : "0", h->nodes - 1);
  if (global)
    sy_out(c, role, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=%s,global_oom,task_memcg=%s,task=%s,pid=%d,uid=%d",
           mems, cg, comm, pid, 1000);
  else
    sy_out(c, role, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=%.40s,mems_allowed=%s,oom_memcg=%s,task_memcg=%s,task=%s,pid=%d,uid=%d",
           strrchr(cg, '/') + 1, mems, cg, cg, comm, pid, 1000);
  int frss = (int)sy_range(&c->r, 0, 90000), srss = (int)sy_range(&c->r, 0, 900);
  sy_out(c, role, "%s: Killed process %d (%s) total-vm:%llukB, anon-rss:%llukB, file-rss:%dkB, shmem-rss:%dkB, UID:%d pgtables:%llukB oom_score_adj:%d",
         global ? "Out of memory" : "Memory cgroup out of memory", pid, comm, (unsigned long long)(vrss * 4 + vrss / 5),
         (unsigned long long)(vrss * 4), frss, srss, 1000, (unsigned long long)(vrss / 64 + 4), adj);
  if (sy_chance(&c->r, 0.6)) {
    sy_wait(c, (uint64_t)sy_range(&c->r, 1000, 900000));
    sy_out(c, SY_ROLE_N, "oom_reaper: reaped process %d (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", pid, comm);
  }
}

static const char *const st_reclaim[] = {"__schedule", "schedule", "rwsem_down_read_slowpath", "down_read",
                                         "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "@user"};
static const char *const st_kswapd[] = {"shrink_lruvec", "shrink_node_memcgs", "shrink_node", "balance_pgdat", "kswapd",
                                        "? finish_wait", "? balance_pgdat", "kthread", "? set_kthread_struct",
                                        "ret_from_fork"};

/* The OOM-killer cascade: a workload eats memory, is killed, restarts, is killed again ... */
void sy_cause_oom(sy_ctx *c) {
  static const int ew[] = {25, 15, 25, 8, 12, 15};
  int ending = sy_weighted(&c->r, ew, SY_N_OF(ew)); /* panic_on_oom, deadlock, hung, init, soft lockup, sysrq */
  int kills = ending == 0 ? 0 : (int)sy_range(&c->r, 1, 6);
  const char *hog = c->h.ngpu && sy_chance(&c->r, 0.6) ? sy_gpucomm(c) : SY_PICK(&c->r, ((const char *const[]){"java", "python3", "postgres", "mysqld", "elasticsearch", "node", "mongod", "redis-server"}));
  for (int k = 0; k < kills; k++) {
    sy_cause_begin(c);
    const char *victim = k && sy_chance(&c->r, 0.3) ? sy_ucomm(c) : hog;
    sy_oom_report(c, true, SY_ROLE_C, victim, sy_newpid(c), true);
    sy_cause_end(c);
    sy_wait(c, sy_logu(&c->r, 2, 240) * 1000000);
  }
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  int pid = sy_newpid(c);
  switch (ending) {
    case 0:
      sy_cause_begin(c);
      sy_oom_report(c, true, SY_ROLE_C, hog, pid, false);
      sy_cause_end(c);
      sy_panic(c, SY_P_OOM, NULL, cpu, pid, hog);
      break;
    case 1:
      sy_cause_begin(c);
      sy_oom_report(c, true, SY_ROLE_C, hog, pid, false);
      sy_out(c, SY_ROLE_C, "Out of memory and no killable processes...");
      sy_cause_end(c);
      sy_panic(c, SY_P_OOM_DEAD, NULL, cpu, pid, hog);
      break;
    case 2:
      sy_hung_tail(c, st_reclaim, SY_N_OF(st_reclaim), hog, true);
      break;
    case 3:
      sy_wait(c, sy_logu(&c->r, 1, 30) * 1000000);
      sy_panic(c, SY_P_KILL_INIT, NULL, cpu, 1, "systemd");
      break;
    case 4: {
      int kpid = (int)sy_range(&c->r, 100, 400);
      char comm[16];
      snprintf(comm, sizeof comm, "kswapd%d", (int)sy_below(&c->r, (uint32_t)c->h.nodes));
      sy_wait(c, sy_logu(&c->r, 20, 200) * 1000000);
      sy_softlockup_report(c, SY_ROLE_N, cpu, (int)sy_range(&c->r, 22, 26), comm, kpid, "shrink_page_list", st_kswapd, SY_N_OF(st_kswapd));
      sy_panic(c, SY_P_SOFTLOCKUP, NULL, cpu, kpid, comm);
      break;
    }
    default:
      sy_hung_tail(c, st_reclaim, SY_N_OF(st_reclaim), hog, true);
      break;
  }
}
