/* The synthetic kernel-panic corpus' driver: the category table and one incident from (seed, i):
 * pick the label and a host, lay down background traffic (after a boot, or mid-uptime), run the
 * root-cause chain so that its evidence lands minutes to hours before the panic, sprinkle benign
 * look-alike warnings, interleave unrelated lines into reports, and render the kern.log text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/synth_internal.h"

typedef struct cat_info {
  const char *name, *about;
  int weight; /* share of failing incidents, roughly what fleets report */
} cat_info;

static const cat_info cats[SY_NCAT] = {
    {"none", "benign: ordinary traffic and harmless warnings, no failure", 0},
    {"oom", "OOM-killer cascade ending in panic_on_oom, a memory deadlock, hung tasks or a killed init", 11},
    {"hung_task", "tasks blocked in D state (stalled I/O or a lock never released), hung_task_panic", 9},
    {"soft_lockup", "a CPU stuck in the kernel: soft lockups, hard LOCKUP, softlockup_panic", 7},
    {"rcu_stall", "RCU CPU stall warnings (self-detected or detected by another CPU), panic_on_rcu_stall", 5},
    {"null_deref", "NULL pointer dereference in a driver (mlx5, nvidia, i40e, bnxt, megaraid, nvme, ...)", 7},
    {"gpf_uaf", "general protection fault on a poisoned pointer, often after a KASAN use-after-free report", 5},
    {"gpu_xid", "NVIDIA GPU errors: Xid 79, 48/63/64, 74, 94/95, 119, 31, 13, 61/62", 14},
    {"mce_ecc", "memory errors: corrected-error storms then an uncorrectable machine check / fatal GHES", 7},
    {"disk_io", "NVMe timeouts, aborts, resets and removal; SATA/SAS medium errors and timeouts", 8},
    {"fs_corruption", "EXT4-fs errors and XFS metadata corruption, shutdowns, errors=panic, unmountable root", 6},
    {"nic_timeout", "NIC transmit timeouts, NETDEV WATCHDOG, resets and link flaps (mlx5, ixgbe)", 6},
    {"bug_warn", "BUG_ON / WARN in a subsystem (list corruption, skb_over_panic, refcount underflow, ...)", 6},
    {"nfs", "NFS server not responding, tasks hung on the mount", 6},
};

kp_synth_config kp_synth_config_default(void) {
  kp_synth_config c = {.seed = 1, .incidents = 1000, .benign_fraction = 0.1, .category_mask = 0};
  return c;
}

int kp_synth_category_count(void) { return SY_NCAT; }

const char *kp_synth_category_name(int c) { return c >= 0 && c < SY_NCAT ? cats[c].name : NULL; }

const char *kp_synth_category_about(int c) { return c >= 0 && c < SY_NCAT ? cats[c].about : NULL; }

int kp_synth_category_find(const char *name, size_t len) {
  for (int i = 0; i < SY_NCAT; i++)
    if (strlen(cats[i].name) == len && !strncmp(cats[i].name, name, len)) return i;
  return -1;
}

kp_status kp_synth_parse_categories(const char *list, uint32_t *mask) {
  *mask = 0;
  const char *p = list;
  for (;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    int c = kp_synth_category_find(p, len);
    if (c == SY_NONE)
      return kp_fail(KP_ERR_INVALID, "--categories: 'none' is not a root cause (use --benign-fraction for benign incidents)");
    if (c < 0) {
      char known[512] = "";
      for (int i = 1; i < SY_NCAT; i++) {
        strcat(known, cats[i].name);
        if (i + 1 < SY_NCAT) strcat(known, ", ");
      }
      return kp_fail(KP_ERR_INVALID, "--categories: unknown category '%.*s' (known: %s)", (int)(len > 64 ? 64 : len), p, known);
    }
    *mask |= 1u << c;
    if (!e) break;
    p = e + 1;
  }
  return KP_OK;
}

uint64_t sy_cause_lead(sy_ctx *c, int cat) {
  static const uint32_t lead_s[SY_NCAT][2] = {
      {0, 0}, {30, 2400}, {5, 180}, {10, 300}, {10, 300}, {1, 1200}, {1, 1200},
      {60, 3600}, {300, 28800}, {60, 7200}, {300, 86400}, {120, 3600}, {1, 1800}, {120, 3600},
  };
  uint64_t s = sy_logu(&c->r, lead_s[cat][0], lead_s[cat][1]);
  return s * 1000000 + sy_below(&c->r, 1000000);
}

void sy_cause(sy_ctx *c, int cat, uint64_t ts) {
  sy_at(c, ts);
  switch (cat) {
    case SY_OOM: sy_cause_oom(c); break;
    case SY_HUNG_TASK: sy_cause_hung(c); break;
    case SY_SOFT_LOCKUP: sy_cause_softlockup(c); break;
    case SY_RCU_STALL: sy_cause_rcu(c); break;
    case SY_NULL_DEREF: sy_cause_null(c); break;
    case SY_GPF_UAF: sy_cause_gpf(c); break;
    case SY_GPU_XID: sy_cause_xid(c); break;
    case SY_MCE_ECC: sy_cause_mce(c); break;
    case SY_DISK_IO: sy_cause_disk(c); break;
    case SY_FS_CORRUPTION: sy_cause_fs(c); break;
    case SY_NIC_TIMEOUT: sy_cause_nic(c); break;
    case SY_BUG_WARN: sy_cause_bug(c); break;
    default: sy_cause_nfs(c); break;
  }
}

static int pick_category(const kp_synth_config *cfg, sy_rng *r) {
  if (sy_chance(r, cfg->benign_fraction)) return SY_NONE;
  int w[SY_NCAT];
  for (int i = 0; i < SY_NCAT; i++) w[i] = i && (!cfg->category_mask || (cfg->category_mask >> i & 1)) ? cats[i].weight : 0;
  return sy_weighted(r, w, SY_NCAT);
}

/* Background lines before the panic: short captures, ordinary windows and long tails (days of log). */
static int background_lines(sy_rng *r) {
  switch (sy_weighted(r, (const int[]){30, 62, 8}, 3)) {
    case 0: return (int)sy_logu(r, 3, 40);
    case 1: return (int)sy_logu(r, 30, 350);
    default: return (int)sy_logu(r, 500, 3000);
  }
}

kp_status kp_synth_incident_make(const kp_synth_config *cfg, int64_t index, kp_synth_incident *out) {
  memset(out, 0, sizeof *out);
  if (!cfg || index < 0) return kp_fail(KP_ERR_INVALID, "synth: bad configuration or incident index %lld", (long long)index);
  if (!(cfg->benign_fraction >= 0 && cfg->benign_fraction <= 1))
    return kp_fail(KP_ERR_INVALID, "synth: benign fraction %g is outside [0, 1]", cfg->benign_fraction);
  if (cfg->category_mask && !(cfg->category_mask & ((1u << SY_NCAT) - 2)))
    return kp_fail(KP_ERR_INVALID, "synth: the category mask selects no root cause");
  sy_ctx *c = calloc(1, sizeof *c);
  if (!c) return kp_fail(KP_ERR_NOMEM, "synth: out of memory");
  sy_rng_init(&c->r, cfg->seed, (uint64_t)index);
  int cat = pick_category(cfg, &c->r);
  c->category = cat;
  sy_host_make(&c->r, cat, &c->h);
  if (c->h.ngpu) sy_taint(c, 'P'), sy_taint(c, 'O'), sy_taint(c, 'E');
  else if (sy_chance(&c->r, 0.15)) sy_taint(c, 'O'), sy_taint(c, 'E');
  c->hung_timeout = SY_PICK(&c->r, ((const int[]){120, 120, 120, 120, 120, 120, 120, 240, 480, 60}));
  if (cat != SY_NONE) c->mode = sy_weighted(&c->r, (const int[]){76, 16, 8}, 3);
  int n_bg = background_lines(&c->r);
  bool boot = sy_chance(&c->r, 0.15);
  /* one episode every mean_gap on average, a window of at most about five days */
  uint64_t mean_gap = sy_logu(&c->r, 4, 900) * 1000000;
  uint64_t cap = 5ull * 86400 * 1000000 * 5 / 2 / (uint64_t)(n_bg + 1);
  if (mean_gap > cap) mean_gap = cap;
  uint64_t t;
  if (boot) {
    c->t0 = 0;
    c->pid = 1;
    c->rootfail = cat == SY_FS_CORRUPTION && !c->h.root_xfs && sy_chance(&c->r, 0.4);
    if (c->rootfail) n_bg = 0;
    t = sy_boot(c);
    c->pid = (int)sy_range(&c->r, 800, 3000);
  } else {
    c->t0 = sy_logu(&c->r, 1200, 120ull * 86400) * 1000000;
    c->t0 += sy_below(&c->r, 1000000);
    c->pid = 1000 + (int)((c->t0 / 1000000 / 7) % 4000000);
    t = c->t0;
  }
  uint64_t t_bg = sy_background(c, t, UINT64_MAX, n_bg, mean_gap);
  uint64_t end = t_bg;
  char taint0[sizeof c->taint];
  memcpy(taint0, c->taint, sizeof taint0);
  if (cat != SY_NONE) {
    uint64_t lead = sy_cause_lead(c, cat);
    /* evidence starts lead before the end of the background; a window shorter than that gets the chain after it */
    uint64_t ts = c->rootfail ? t : t_bg > t + lead ? t_bg - lead : t_bg + (uint64_t)sy_range(&c->r, 1000000, 60000000);
    int ev0 = c->nev, sp0 = c->nspan;
    sy_cause(c, cat, ts);
    /* a chain shorter than its lead would panic in the middle of the background: move it so the panic
     * comes after the background (the background stays the log before the failure) */
    if (c->panicked && c->t_panic < t_bg && !c->rootfail) {
      uint64_t d = t_bg - c->t_panic + (uint64_t)sy_range(&c->r, 500000, 30000000);
      for (int i = ev0; i < c->nev; i++) c->ev[i].t += d;
      for (int i = sp0; i < c->nspan; i++) c->span0[i] += d, c->span1[i] += d;
      c->t_panic += d;
      c->t += d;
    }
    if (c->mode != 2 && sy_chance(&c->r, 0.03)) { /* the panic never reached the log: it ends with whatever came before */
      for (int i = 0; i < c->nev; i++)
        if ((c->ev[i].role & 7) == SY_ROLE_P) {
          c->nev = i;
          c->t_panic = c->ev[i].t;
          break;
        }
    }
    end = c->panicked ? c->t_panic : c->t;
    /* traffic goes on while the failure develops; a quieter host when that takes long, so the
     * length of an incident does not give its category away */
    if (end > t_bg) {
      int budget = n_bg / 2 + 10;
      uint64_t gap = (end - t_bg) / (uint64_t)budget * 5 / 2;
      sy_background(c, t_bg, end, budget, gap > mean_gap ? gap : mean_gap);
    }
  }
  /* benign look-alikes: several in benign incidents, a few elsewhere */
  char post[sizeof c->taint];
  memcpy(post, c->taint, sizeof post);
  memcpy(c->taint, taint0, sizeof taint0);
  int nd = cat == SY_NONE ? (int)sy_range(&c->r, 0, 5) : sy_weighted(&c->r, (const int[]){40, 30, 20, 10}, 4);
  for (int i = 0; i < nd && end > t + 2; i++) sy_distractor(c, (uint64_t)sy_range(&c->r, (int64_t)t, (int64_t)end - 1));
  memcpy(c->taint, post, sizeof post);
  /* other CPUs print while a report is being written: unrelated lines land inside it */
  int nspan = c->nspan;
  for (int s = 0; s < nspan; s++) {
    if (!sy_chance(&c->r, 0.35)) continue;
    int k = (int)sy_range(&c->r, 1, 3);
    for (int i = 0; i < k; i++) sy_background_line(c, (uint64_t)sy_range(&c->r, (int64_t)c->span0[s] + 1, (int64_t)c->span1[s] - 1));
  }
  kp_status st = sy_render(c, out);
  sy_ctx_free(c);
  free(c);
  return st;
}

void kp_synth_incident_free(kp_synth_incident *inc) {
  if (!inc) return;
  free(inc->text);
  free(inc->cause_lines);
  memset(inc, 0, sizeof *inc);
}
