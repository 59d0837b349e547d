/* Network root causes: NIC transmit timeouts, resets and link flaps (mlx5, ixgbe) with the
 * NETDEV WATCHDOG splat and bonding failover, and NFS servers that stop responding; both end
 * with tasks stuck on the network (or a driver spinning in its reset path). Also the benign
 * flaps and NFS hiccups that recover. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static const char *const st_wdog[] = {"<IRQ>", "? pfifo_fast_reset", "call_timer_fn", "__run_timers.part.0", "? pfifo_fast_reset",
                                      "? ktime_get", "run_timer_softirq", "__do_softirq", "irq_exit_rcu",
                                      "sysvec_apic_timer_interrupt", "</IRQ>", "asm_sysvec_apic_timer_interrupt",
                                      "cpuidle_enter_state", "cpuidle_enter", "do_idle", "cpu_startup_entry",
                                      "start_secondary", "secondary_startup_64_no_verify"};

static void link_down(sy_ctx *c, int role, const char *ifn) {
  const sy_host *h = &c->h;
  if (h->nic == SY_NIC_MLX5) sy_out(c, role, "mlx5_core %s %s: Link down", h->nic_pci, ifn);
  else if (h->nic == SY_NIC_IGB) sy_out(c, role, "igb %s %s: igb: %s NIC Link is Down", h->nic_pci, ifn, ifn);
  else sy_out(c, role, "%s %s %s: NIC Link is Down", h->nic_drv, h->nic_pci, ifn);
  if (h->bond) sy_out(c, SY_ROLE_N, "bond0: (slave %s): link status definitely down, disabling slave", ifn);
}

static void link_up(sy_ctx *c, const char *ifn) {
  const sy_host *h = &c->h;
  if (h->nic == SY_NIC_MLX5) sy_out(c, SY_ROLE_N, "mlx5_core %s %s: Link up", h->nic_pci, ifn);
  else if (h->nic == SY_NIC_IXGBE) sy_out(c, SY_ROLE_N, "ixgbe %s %s: NIC Link is Up 10 Gbps, Flow Control: RX/TX", h->nic_pci, ifn);
  else if (h->nic == SY_NIC_BNXT) sy_out(c, SY_ROLE_N, "bnxt_en %s %s: NIC Link is Up, %d Mbps full duplex, Flow control: none", h->nic_pci, ifn, h->nic_mbps);
  else if (h->nic == SY_NIC_IGB) sy_out(c, SY_ROLE_N, "igb %s %s: igb: %s NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX", h->nic_pci, ifn, ifn);
  else sy_out(c, SY_ROLE_N, "i40e %s %s: NIC Link is Up, %d Gbps Full Duplex, Requested FEC: None, Negotiated FEC: None, Autoneg: False, Flow Control: None", h->nic_pci, ifn, h->nic_mbps / 1000);
  if (h->bond) sy_out(c, SY_ROLE_N, "bond0: (slave %s): link status definitely up, %d Mbps full duplex", ifn, h->nic_mbps);
}

void sy_link_flap_benign(sy_ctx *c) {
  const char *ifn = sy_chance(&c->r, 0.5) ? c->h.ifname : c->h.ifname2;
  link_down(c, SY_ROLE_N, ifn);
  sy_wait(c, (uint64_t)sy_range(&c->r, 200000, 9000000));
  link_up(c, ifn);
}

static void tx_timeout(sy_ctx *c, int q) {
  const sy_host *h = &c->h;
  if (h->nic == SY_NIC_MLX5) {
    sy_out(c, SY_ROLE_C, "mlx5_core %s %s: TX timeout detected", h->nic_pci, h->ifname);
    unsigned sq = (unsigned)sy_range(&c->r, 0x100, 0x3ff), cq = (unsigned)sy_range(&c->r, 0x400, 0xfff);
    unsigned cons = (unsigned)sy_range(&c->r, 0, 0xffff), prod = cons + (unsigned)sy_range(&c->r, 1, 0x40);
    int usecs = (int)sy_range(&c->r, 5000, 20000) * 1024;
    sy_out(c, SY_ROLE_C, "mlx5_core %s %s: TX timeout on queue: %d, SQ: 0x%x, CQ: 0x%x, SQ Cons: 0x%x SQ Prod: 0x%x, usecs since last trans: %d", h->nic_pci,
           h->ifname, q, sq, cq, cons, prod, usecs);
    unsigned eq = (unsigned)sy_range(&c->r, 0x10, 0x80), econs = (unsigned)sy_range(&c->r, 0, 0xffff), irqn = (unsigned)sy_range(&c->r, 0x30, 0x200);
    sy_out(c, SY_ROLE_N, "mlx5_core %s %s: EQ 0x%x: Cons = 0x%x, irqn = 0x%x", h->nic_pci, h->ifname, eq, econs, irqn);
    if (sy_chance(&c->r, 0.5)) {
      int n = (int)sy_range(&c->r, 1, 40);
      sy_out(c, SY_ROLE_N, "mlx5_core %s %s: Recovered %d eqes on EQ 0x%x", h->nic_pci, h->ifname, n, eq);
    }
  } else {
    sy_out(c, SY_ROLE_C, "ixgbe %s %s: Detected Tx Unit Hang", h->nic_pci, h->ifname);
    int tdh = (int)sy_range(&c->r, 0, 0x1ff);
    sy_out(c, SY_ROLE_N, "  Tx Queue             <%d>", q);
    sy_out(c, SY_ROLE_N, "  TDH, TDT             <%x>, <%x>", tdh, tdh + (int)sy_range(&c->r, 1, 40));
    sy_out(c, SY_ROLE_N, "  next_to_use          <%x>", tdh + (int)sy_range(&c->r, 1, 40));
    sy_out(c, SY_ROLE_N, "  next_to_clean        <%x>", tdh);
    sy_out(c, SY_ROLE_N, "tx_buffer_info[next_to_clean]");
    unsigned long long j = 0x100000000ull + sy_u32(&c->r);
    sy_out(c, SY_ROLE_N, "  time_stamp           <%llx>", j);
    sy_out(c, SY_ROLE_N, "  jiffies              <%llx>", j + (unsigned long long)sy_range(&c->r, 1000, 3000));
    sy_out(c, SY_ROLE_C, "ixgbe %s %s: tx hang %d detected on queue %d, resetting adapter", h->nic_pci, h->ifname, (int)sy_range(&c->r, 1, 30), q);
  }
}

static void netdev_watchdog(sy_ctx *c, int q) {
  char msg[160];
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  if (c->h.k->major >= 6) snprintf(msg, sizeof msg, "NETDEV WATCHDOG: %s (%s): transmit queue %d timed out %d ms", c->h.ifname, c->h.nic_drv, q, (int)sy_range(&c->r, 5000, 16000));
  else snprintf(msg, sizeof msg, "NETDEV WATCHDOG: %s (%s): transmit queue %d timed out", c->h.ifname, c->h.nic_drv, q);
  char sw[24];
  snprintf(sw, sizeof sw, "swapper/%d", cpu);
  sy_warn_report(c, SY_ROLE_C, msg, "net/sched/sch_generic.c", c->h.k->major >= 6 ? 525 : 477, cpu, 0, sw, "dev_watchdog", st_wdog, SY_N_OF(st_wdog));
}

static void mlx5_health(sy_ctx *c) {
  const char *p = c->h.nic_pci;
  sy_out(c, SY_ROLE_C, "mlx5_core %s: poll_health:%d:(pid 0): Fatal error %d detected", p, c->h.k->major >= 6 ? 824 : 800, (int)sy_range(&c->r, 1, 3));
  for (int i = 0; i < 5; i++) sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): assert_var[%d] 0x%08x", p, 424, i, sy_chance(&c->r, 0.6) ? 0u : sy_u32(&c->r));
  sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): assert_exit_ptr 0x%08x", p, 427, sy_u32(&c->r));
  sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): assert_callra 0x%08x", p, 428, sy_u32(&c->r));
  int fw1 = (int)sy_range(&c->r, 30, 40), fw2 = (int)sy_range(&c->r, 1000, 2000);
  sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): fw_ver %d.%d.%d", p, 430, 20, fw1, fw2);
  unsigned synd = (unsigned)sy_range(&c->r, 1, 0x10);
  const char *why = SY_PICK(&c->r, ((const char *const[]){"unrecoverable hardware error", "firmware internal error", "irisc not responding", "PCI poisoned error"}));
  sy_out(c, SY_ROLE_C, "mlx5_core %s: print_health_info:%d:(pid 0): synd 0x%x: %s", p, 433, synd, why);
  sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): ext_synd 0x%04x", p, 434, sy_below(&c->r, 0xffff));
  sy_out(c, SY_ROLE_N, "mlx5_core %s: print_health_info:%d:(pid 0): raw fw_ver 0x%08x", p, 435, sy_u32(&c->r));
  sy_out(c, SY_ROLE_N, "mlx5_core %s: mlx5_health_try_recover:%d:(pid %d): handling bad device here", p, 328, (int)sy_range(&c->r, 200, 4000));
  sy_out(c, SY_ROLE_N, "mlx5_core %s: mlx5_error_sw_reset:%d:(pid %d): start", p, 180, (int)sy_range(&c->r, 200, 4000));
  sy_out(c, SY_ROLE_C, "mlx5_core %s: wait_func:%d:(pid %d): ACCESS_REG(0x805) timeout. Will cause a leak of a command resource", p, 1086, (int)sy_range(&c->r, 200, 4000));
}

static const char *const st_ixgbe_reset[] = {"ixgbe_reinit_locked [ixgbe]", "ixgbe_reset_subtask [ixgbe]", "ixgbe_service_task [ixgbe]",
                                             "process_one_work", "worker_thread", "? process_one_work", "kthread",
                                             "? set_kthread_struct", "ret_from_fork"};
static const char *const st_mlx5_cmd[] = {"mlx5_cmd_exec [mlx5_core]", "mlx5_core_access_reg [mlx5_core]", "mlx5_query_port_ptys [mlx5_core]",
                                          "mlx5e_port_linkspeed [mlx5_core]", "mlx5e_get_link_ksettings [mlx5_core]",
                                          "__ethtool_get_link_ksettings", "dev_ethtool", "dev_ioctl", "sock_do_ioctl", "sock_ioctl",
                                          "__x64_sys_ioctl", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "@user"};

/* nfs: server X not responding, then the tasks touching the mount hang */
static void nfs_down(sy_ctx *c, int role, int n) {
  for (int i = 0; i < n; i++) {
    sy_out(c, role, "nfs: server %s not responding, %s", c->h.nfs_server, sy_chance(&c->r, 0.85) ? "still trying" : "timed out");
    if (sy_chance(&c->r, 0.2)) sy_out(c, role, "lockd: server %s not responding, still trying", c->h.nfs_server);
    sy_wait(c, sy_chance(&c->r, 0.6) ? (uint64_t)sy_range(&c->r, 1000, 2000000) : sy_logu(&c->r, 10, 300) * 1000000);
  }
}

void sy_cause_nic(sy_ctx *c) {
  int q = (int)sy_range(&c->r, 0, c->h.ncpu < 63 ? c->h.ncpu - 1 : 62);
  int rounds = (int)sy_range(&c->r, 1, 5);
  bool wd_done = false;
  for (int r = 0; r < rounds; r++) {
    if (!wd_done && sy_chance(&c->r, 0.6)) {
      sy_cause_begin(c);
      netdev_watchdog(c, q);
      sy_cause_end(c);
      wd_done = true;
      if (sy_chance(&c->r, 0.25)) { /* panic_on_warn */
        sy_panic(c, SY_P_WARN, NULL, (int)sy_below(&c->r, (uint32_t)c->h.ncpu), 0, "swapper/0");
        return;
      }
      sy_end_trace(c);
    }
    sy_cause_begin(c);
    tx_timeout(c, q);
    if (c->h.nic == SY_NIC_IXGBE) {
      sy_out(c, SY_ROLE_C, "ixgbe %s %s: initiating reset due to tx timeout", c->h.nic_pci, c->h.ifname);
      sy_out(c, SY_ROLE_N, "ixgbe %s %s: Reset adapter", c->h.nic_pci, c->h.ifname);
    } else if (r == rounds - 1 && sy_chance(&c->r, 0.5)) {
      mlx5_health(c);
    }
    link_down(c, SY_ROLE_C, c->h.ifname);
    sy_cause_end(c);
    sy_wait(c, (uint64_t)sy_range(&c->r, 1000000, 12000000));
    if (r + 1 < rounds || sy_chance(&c->r, 0.4)) {
      link_up(c, c->h.ifname);
      sy_wait(c, sy_logu(&c->r, 20, 900) * 1000000);
    }
  }
  if (c->h.bond && sy_chance(&c->r, 0.5)) sy_out(c, SY_ROLE_N, "bond0: now running without any active interface!");
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  switch (sy_weighted(&c->r, (const int[]){45, 30, 25}, 3)) {
    case 0: /* storage over the network stalls */
      if (c->h.nfs) nfs_down(c, SY_ROLE_N, (int)sy_range(&c->r, 1, 6));
      else {
        int conn = (int)sy_range(&c->r, 1, 4);
        unsigned long long j = 0x100000000ull + sy_u32(&c->r);
        sy_out(c, SY_ROLE_N, " connection%d:0: ping timeout of 5 secs expired, recv timeout 5, last rx %llu, last ping %llu, now %llu", conn, j, j + 1250, j + 2500);
        sy_out(c, SY_ROLE_N, " connection%d:0: detected conn error (1022)", conn);
      }
      sy_hung_tail(c, c->h.nfs ? sy_stack_nfs_write : sy_stack_fsync, c->h.nfs ? sy_stack_nfs_write_n : sy_stack_fsync_n, NULL, true);
      break;
    case 1: { /* the driver spins in its reset path */
      char kb[40];
      int pid = (int)sy_range(&c->r, 300, 4000);
      if (c->h.nic == SY_NIC_MLX5) {
        snprintf(kb, sizeof kb, "%s", SY_PICK(&c->r, ((const char *const[]){"NetworkManager", "lldpd", "ethtool", "node_exporter"})));
        sy_softlockup_report(c, SY_ROLE_N, cpu, (int)sy_range(&c->r, 22, 26), kb, pid, "wait_func [mlx5_core]", st_mlx5_cmd, SY_N_OF(st_mlx5_cmd));
      } else {
        sy_kthread(c, kb, sizeof kb);
        sy_softlockup_report(c, SY_ROLE_N, cpu, (int)sy_range(&c->r, 22, 26), kb, pid, "ixgbe_disable_tx [ixgbe]", st_ixgbe_reset, SY_N_OF(st_ixgbe_reset));
      }
      sy_panic(c, SY_P_SOFTLOCKUP, NULL, cpu, pid, kb);
      break;
    }
    default:
      sy_hung_tail(c, c->h.nfs ? sy_stack_nfs_write : sy_stack_fsync, c->h.nfs ? sy_stack_nfs_write_n : sy_stack_fsync_n, NULL, true);
      break;
  }
}

void sy_cause_nfs(sy_ctx *c) {
  int bursts = (int)sy_range(&c->r, 1, 4);
  for (int b = 0; b < bursts; b++) {
    sy_cause_begin(c);
    nfs_down(c, SY_ROLE_C, (int)sy_range(&c->r, 1, 8));
    sy_cause_end(c);
    if (b + 1 < bursts) {
      if (sy_chance(&c->r, 0.5)) sy_out(c, SY_ROLE_N, "nfs: server %s OK", c->h.nfs_server);
      sy_wait(c, sy_logu(&c->r, 30, 1800) * 1000000);
    }
  }
  if (sy_chance(&c->r, 0.2)) {
    sy_cause_begin(c);
    sy_out(c, SY_ROLE_C, "NFS: __nfs4_reclaim_open_state: Lock reclaim failed!");
    sy_cause_end(c);
  }
  sy_hung_tail(c, sy_stack_nfs_write, sy_stack_nfs_write_n, NULL, true);
}

void sy_nfs_benign(sy_ctx *c) {
  if (!c->h.nfs) {
    sy_link_flap_benign(c);
    return;
  }
  nfs_down(c, SY_ROLE_N, (int)sy_range(&c->r, 1, 3));
  sy_wait(c, (uint64_t)sy_range(&c->r, 2000000, 90000000));
  sy_out(c, SY_ROLE_N, "nfs: server %s OK", c->h.nfs_server);
}
