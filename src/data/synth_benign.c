/* Benign look-alikes: the warnings healthy fleets print every day (application Xids, corrected
 * ECC, recovered link flaps, memory-cgroup OOM kills, NFS hiccups, WARN splats, hung-task and
 * soft-lockup warnings that clear, old ext4 error reminders, PCIe corrected errors, thermal
 * throttling). They appear in benign incidents and, as noise, before real failures. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static void aer_corrected(sy_ctx *c) {
  char dev[24];
  const char *drv;
  if (c->h.ngpu && sy_chance(&c->r, 0.5)) {
    snprintf(dev, sizeof dev, "0000:%s.0", c->h.gpu_bus[sy_below(&c->r, (uint32_t)c->h.ngpu)]);
    drv = "nvidia";
  } else if (c->h.nvme && sy_chance(&c->r, 0.5)) {
    snprintf(dev, sizeof dev, "0000:c1:00.0");
    drv = "nvme";
  } else {
    snprintf(dev, sizeof dev, "%s", c->h.nic_pci);
    drv = c->h.nic_drv;
  }
  unsigned port = (unsigned)sy_range(&c->r, 0, 0xe0);
  int n = (int)sy_logu(&c->r, 1, 6);
  for (int i = 0; i < n; i++) {
    bool phys = sy_chance(&c->r, 0.7);
    int dv = (int)sy_range(&c->r, 0, 3), fn = (int)sy_range(&c->r, 0, 1);
    sy_out(c, SY_ROLE_N, "pcieport 0000:%02x:%02x.%d: AER: Corrected error received: %s", port, dv, fn, dev);
    sy_out(c, SY_ROLE_N, "%s %s: PCIe Bus Error: severity=Corrected, type=%s, (%s)", drv, dev, phys ? "Physical Layer" : "Data Link Layer",
           phys ? "Receiver ID" : "Transmitter ID");
    const char *id = !strcmp(drv, "nvidia") ? "10de:20b2" : !strcmp(drv, "nvme") ? "144d:a80a" : c->h.nic == SY_NIC_MLX5 ? "15b3:101b"
                   : c->h.nic == SY_NIC_IXGBE ? "8086:10fb" : c->h.nic == SY_NIC_I40E ? "8086:158b" : c->h.nic == SY_NIC_BNXT ? "14e4:16d7" : "8086:1521";
    sy_out(c, SY_ROLE_N, "%s %s:   device [%s] error status/mask=%08x/0000e000", drv, dev, id, phys ? 0x1u : 0x1000u);
    sy_out(c, SY_ROLE_N, "%s %s:    [%2d] %-22s (First)", drv, dev, phys ? 0 : 12, phys ? "RxErr" : "Timeout");
    sy_wait(c, sy_chance(&c->r, 0.7) ? (uint64_t)sy_range(&c->r, 100, 900000) : sy_logu(&c->r, 1, 600) * 1000000);
  }
}

static void thermal(sy_ctx *c) {
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  unsigned long ev = (unsigned long)sy_logu(&c->r, 1, 90000);
  sy_out(c, SY_ROLE_N, "mce: CPU%d: Core temperature above threshold, cpu clock throttled (total events = %lu)", cpu, ev);
  sy_out(c, SY_ROLE_N, "mce: CPU%d: Package temperature above threshold, cpu clock throttled (total events = %lu)", cpu, ev + (unsigned long)sy_range(&c->r, 0, 400));
  sy_wait(c, (uint64_t)sy_range(&c->r, 3000, 2000000));
  sy_out(c, SY_ROLE_N, "mce: CPU%d: Core temperature/speed normal", cpu);
  sy_out(c, SY_ROLE_N, "mce: CPU%d: Package temperature/speed normal", cpu);
}

static void hung_clears(sy_ctx *c) {
  char comm[40];
  snprintf(comm, sizeof comm, "jbd2/%s-8", c->h.rootpart);
  static const char *const st[] = {"__schedule", "schedule", "io_schedule", "rq_qos_wait", "wbt_wait", "__rq_qos_throttle",
                                   "blk_mq_submit_bio", "submit_bio_noacct", "submit_bio", "ext4_io_submit",
                                   "ext4_writepages", "do_writepages", "__writeback_single_inode", "writeback_sb_inodes",
                                   "wb_writeback", "wb_workfn", "process_one_work", "worker_thread", "kthread", "ret_from_fork"};
  bool j = sy_chance(&c->r, 0.4);
  sy_hung_report(c, SY_ROLE_N, j ? comm : "kworker/u128:1", j ? (int)sy_range(&c->r, 400, 2000) : (int)sy_range(&c->r, 100, 90000),
                 c->hung_timeout, j ? sy_stack_jbd2 : st, j ? sy_stack_jbd2_n : SY_N_OF(st));
}

static void lockup_clears(sy_ctx *c) {
  static const char *const st[] = {"<IRQ>", "__do_softirq", "irq_exit_rcu", "sysvec_apic_timer_interrupt", "</IRQ>",
                                   "asm_sysvec_apic_timer_interrupt", "clear_page_erms", "get_page_from_freelist",
                                   "__alloc_pages", "alloc_pages_vma", "__handle_mm_fault", "handle_mm_fault",
                                   "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "@user"};
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  int secs = (int)sy_range(&c->r, 21, 30);
  const char *comm = sy_ucomm(c);
  int pid = sy_newpid(c);
  sy_softlockup_report(c, SY_ROLE_N, cpu, secs, comm, pid, "_raw_spin_unlock_irqrestore", st, SY_N_OF(st));
}

void sy_distractor(sy_ctx *c, uint64_t t) {
  sy_at(c, t);
  c->bgflag = SY_BG;
  const sy_host *h = &c->h;
  bool benign = c->category == SY_NONE;
  int w[14] = {
      h->ngpu ? 30 : 0,                /* application Xids */
      14,                              /* corrected ECC */
      3,                               /* recovered memory error */
      14,                              /* link flap */
      h->containers ? 12 : 2,          /* memcg OOM */
      h->nfs ? 10 : 0,                 /* NFS hiccup */
      9,                               /* WARN */
      benign ? 6 : 0,                  /* hung task that clears */
      5,                               /* ext4 error reminder */
      h->amd ? 0 : 6,                  /* thermal throttling */
      benign ? 2 : 0,                  /* soft lockup that clears */
      8,                               /* disk hiccup */
      10,                              /* PCIe corrected errors */
      h->containers == 1 ? 4 : 0,      /* docker daemon restart */
  };
  switch (sy_weighted(&c->r, w, 14)) {
    case 0: sy_xid_benign(c); break;
    case 1: sy_ce_burst(c, SY_ROLE_N, (int)sy_logu(&c->r, 1, 8)); break;
    case 2: sy_mce_recovered(c); break;
    case 3: sy_link_flap_benign(c); break;
    case 4: {
      const char *comm = h->ngpu && sy_chance(&c->r, 0.4) ? sy_gpucomm(c) : sy_ucomm(c);
      sy_oom_report(c, false, SY_ROLE_N, comm, sy_newpid(c), true);
      break;
    }
    case 5: sy_nfs_benign(c); break;
    case 6: sy_warn_benign(c); break;
    case 7: hung_clears(c); break;
    case 8: sy_fs_benign(c); break;
    case 9: thermal(c); break;
    case 10: lockup_clears(c); break;
    case 11: sy_disk_benign(c); break;
    case 12: aer_corrected(c); break;
    default:
      sy_out(c, SY_ROLE_N, "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.");
      sy_out(c, SY_ROLE_N, "Bridge firewalling registered");
      sy_out(c, SY_ROLE_N, "Initializing XFRM netlink socket");
      break;
  }
  c->bgflag = 0;
}
