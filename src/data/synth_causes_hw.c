/* Hardware root causes below the file system: memory errors (EDAC corrected-error storms, then an
 * uncorrectable machine check or a fatal GHES record) and disk I/O failures (NVMe timeouts,
 * aborts, resets and controller loss; SATA/SAS medium errors and command timeouts). */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

/* ---- memory ---- */

typedef struct dimm {
  int mc, socket, imc, chan, slot, rank;
  uint64_t page;
} dimm;

static dimm pick_dimm(sy_ctx *c) {
  dimm d;
  d.socket = (int)sy_below(&c->r, (uint32_t)c->h.nodes);
  d.imc = (int)sy_range(&c->r, 0, 3);
  d.mc = d.socket * 4 + d.imc;
  d.chan = (int)sy_range(&c->r, 0, 1);
  d.slot = (int)sy_range(&c->r, 0, 1);
  d.rank = (int)sy_range(&c->r, 0, 3);
  d.page = (uint64_t)sy_range(&c->r, 0x100000, (int64_t)(c->h.mem_kb / 4));
  return d;
}

static void edac_line(sy_ctx *c, int role, const dimm *d, bool ue) {
  uint64_t page = d->page + (ue ? 0 : (uint64_t)sy_range(&c->r, 0, 16));
  unsigned off = (unsigned)sy_below(&c->r, 0x80) * 32;
  if (c->h.amd) {
    sy_out(c, role, "EDAC MC%d: 1 %s on mc#%dcsrow#%dchannel#%d (csrow:%d channel:%d page:0x%llx offset:0x%x grain:64 syndrome:0x%x)", d->socket,
           ue ? "UE" : "CE", d->socket, d->rank, d->chan * 2 + d->slot, d->rank, d->chan * 2 + d->slot, (unsigned long long)page, off,
           ue ? 0u : sy_below(&c->r, 0xffff));
    return;
  }
  if (strstr(c->h.hw, "Dell") || strstr(c->h.hw, "HPE")) { /* firmware-first: ghes_edac names the DIMM slot */
    int bank = (int)sy_range(&c->r, 0, 31), row = (int)sy_range(&c->r, 0, 131071), col = (int)sy_range(&c->r, 0, 1023) * 8;
    int bit = (int)sy_range(&c->r, 0, 63);
    sy_out(c, role, "EDAC MC%d: 1 %s %s on %c%d_DIMM_%c%d (node:%d card:%d module:%d rank:%d bank:%d device:0 row:%d col:%d bit_pos:%d page:0x%llx offset:0x%x grain:32 syndrome:0x0)",
           d->socket, ue ? "UE" : "CE", ue ? "multi-bit ECC" : "single-symbol chipkill ECC", 'P', d->socket + 1, 'A' + d->imc * 2 + d->chan, d->slot + 1,
           d->socket, d->imc, d->slot, d->rank, bank, row, col, bit, (unsigned long long)page, off);
    return;
  }
  int bg = (int)sy_range(&c->r, 0, 3), ba = (int)sy_range(&c->r, 0, 3);
  unsigned row = (unsigned)sy_range(&c->r, 0, 0x1ffff), col = (unsigned)sy_range(&c->r, 0, 0x3ff) * 8;
  sy_out(c, role, "EDAC MC%d: 1 %s memory read error on CPU_SrcID#%d_MC#%d_Chan#%d_DIMM#%d (channel:%d slot:%d page:0x%llx offset:0x%x grain:32 syndrome:0x0 - err_code:0x0000:0x%04x socket:%d imc:%d rank:%d bg:%d ba:%d row:0x%x col:0x%x)",
         d->mc, ue ? "UE" : "CE", d->socket, d->imc, d->chan, d->slot, d->chan, d->slot, (unsigned long long)page, off, ue ? 0x0090u : 0x009fu, d->socket,
         d->imc, d->rank, bg, ba, row, col);
}

/* corrected errors: what EDAC prints (and what every healthy fleet prints now and then) */
void sy_ce_burst(sy_ctx *c, int role, int n) {
  dimm d = pick_dimm(c);
  for (int i = 0; i < n; i++) {
    if (i == 0 || sy_chance(&c->r, 0.3)) sy_out(c, SY_ROLE_N, "mce: [Hardware Error]: Machine check events logged");
    if (c->h.amd && sy_chance(&c->r, 0.5)) {
      sy_out(c, SY_ROLE_N, "[Hardware Error]: Corrected error, no action required.");
      int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), mc = 15 + (int)sy_below(&c->r, 8);
      sy_out(c, SY_ROLE_N, "[Hardware Error]: CPU:%d (17:31:0) MC%d_STATUS[Over|CE|MiscV|AddrV|-|-|SyndV|CECC|-|-|-]: 0xdc2040000000011b", cpu, mc);
      sy_out(c, SY_ROLE_N, "[Hardware Error]: Error Addr: 0x%016llx", (unsigned long long)(d.page << 12 | sy_below(&c->r, 0x1000)));
      sy_out(c, SY_ROLE_N, "[Hardware Error]: Unified Memory Controller Ext. Error Code: 0, DRAM ECC error.");
    }
    edac_line(c, role, &d, false);
    sy_wait(c, sy_chance(&c->r, 0.5) ? (uint64_t)sy_range(&c->r, 1000, 900000) : sy_logu(&c->r, 10, 3600) * 1000000);
  }
}

static void mce_fatal(sy_ctx *c, int cpu, const dimm *d) {
  uint64_t addr = d->page << 12 | ((uint64_t)sy_below(&c->r, 0x40) << 6);
  int bank = c->h.amd ? (int)sy_range(&c->r, 15, 22) : SY_PICK(&c->r, ((const int[]){1, 7, 8, 13, 14, 15, 16}));
  uint64_t status = c->h.amd ? 0xbea0000001000108ull : SY_PICK(&c->r, ((const uint64_t[]){0xbd80000000100134ull, 0xbe00000000800090ull, 0xfd80000000800091ull}));
  char rip[96];
  sy_frame(c, rip, sizeof rip, SY_PICK(&c->r, ((const char *const[]){"clear_page_erms", "copy_page", "intel_idle", "memcpy_erms", "__memmove"})));
  sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: CPU %d: Machine Check Exception: %x Bank %d: %016llx", cpu, c->h.amd ? 7 : 5, bank, (unsigned long long)status);
  const char *inexact = sy_chance(&c->r, 0.5) ? "!INEXACT! " : "";
  unsigned ripa = 0x81000000u + sy_below(&c->r, 0xffffff);
  sy_out(c, SY_ROLE_N, "mce: [Hardware Error]: RIP %s10:<ffffffff%08x> {%s}", inexact, ripa, rip);
  unsigned long long tsc = (unsigned long long)sy_u32(&c->r) << 12;
  unsigned long long misc = SY_PICK(&c->r, ((const uint64_t[]){0x86, 0x200000c000401086ull, 0x9000004000000086ull}));
  unsigned w1 = sy_u32(&c->r), w2 = sy_u32(&c->r);
  if (c->h.amd)
    sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: TSC %llx ADDR %llx MISC d012000100000000 SYND %08x%08x IPID 9600050f00 ", tsc,
           (unsigned long long)addr, w1, w2);
  else
    sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: TSC %llx ADDR %llx MISC %llx PPIN %08x%08x", tsc, (unsigned long long)addr, misc, w1, w2);
  sy_out(c, SY_ROLE_N, "mce: [Hardware Error]: PROCESSOR %d:%s TIME %llu SOCKET %d APIC %x microcode %s", c->h.amd ? 2 : 0, c->h.amd ? "a00f11" : "606a6",
         (unsigned long long)(c->h.boot_epoch + c->t / 1000000), d->socket, (unsigned)cpu * 2, c->h.amd ? "a0011d1" : "d0003a5");
  sy_out(c, SY_ROLE_N, "mce: [Hardware Error]: Run the above through 'mcelog --ascii'");
}

static void ghes_fatal(sy_ctx *c, const dimm *d) {
  sy_out(c, SY_ROLE_C, "{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0");
  sy_out(c, SY_ROLE_N, "{1}[Hardware Error]: event severity: fatal");
  sy_out(c, SY_ROLE_N, "{1}[Hardware Error]:  Error 0, type: fatal");
  sy_out(c, SY_ROLE_N, "{1}[Hardware Error]:   section_type: memory error");
  sy_out(c, SY_ROLE_N, "{1}[Hardware Error]:   error_status: 0x0000000000000400");
  sy_out(c, SY_ROLE_C, "{1}[Hardware Error]:   physical_address: 0x%016llx", (unsigned long long)(d->page << 12));
  int bank = (int)sy_range(&c->r, 0, 31), row = (int)sy_range(&c->r, 0, 131071), col = (int)sy_range(&c->r, 0, 1023) * 8;
  sy_out(c, SY_ROLE_N, "{1}[Hardware Error]:   node: %d card: %d module: %d rank: %d bank: %d device: 0 row: %d column: %d", d->socket, d->imc, d->slot, d->rank,
         bank, row, col);
  sy_out(c, SY_ROLE_C, "{1}[Hardware Error]:   error_type: 3, multi-bit ECC");
}

void sy_cause_mce(sy_ctx *c) {
  dimm d = pick_dimm(c);
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  if (sy_chance(&c->r, 0.65)) { /* a storm of corrected errors on the failing DIMM first */
    int n = (int)sy_logu(&c->r, 2, 40);
    for (int i = 0; i < n; i++) {
      sy_cause_begin(c);
      if (i == 0 || sy_chance(&c->r, 0.3)) sy_out(c, SY_ROLE_N, "mce: [Hardware Error]: Machine check events logged");
      edac_line(c, SY_ROLE_C, &d, false);
      sy_cause_end(c);
      sy_wait(c, sy_chance(&c->r, 0.6) ? (uint64_t)sy_range(&c->r, 1000, 5000000) : sy_logu(&c->r, 10, 1800) * 1000000);
    }
    if (!c->h.amd && sy_chance(&c->r, 0.4))
      sy_out(c, SY_ROLE_N, "mce: CPU%d: Core temperature/speed normal", cpu);
  }
  sy_cause_begin(c);
  sy_span_begin(c);
  int kind;
  if (!c->h.amd && (strstr(c->h.hw, "Dell") || strstr(c->h.hw, "HPE")) && sy_chance(&c->r, 0.5)) {
    ghes_fatal(c, &d);
    sy_span_end(c);
    sy_cause_end(c);
    sy_panic(c, SY_P_GHES, NULL, cpu, 0, "swapper/0");
    return;
  }
  mce_fatal(c, cpu, &d);
  switch (sy_below(&c->r, 3)) {
    case 0:
      sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: Machine check: Processor context corrupt");
      kind = SY_P_MCE;
      break;
    case 1:
      sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: Machine check: Data load in unrecoverable area of kernel");
      kind = SY_P_MCE_LOCAL;
      break;
    default:
      sy_out(c, SY_ROLE_C, "mce: [Hardware Error]: Machine check: %s", "Uncorrected unrecoverable error");
      kind = sy_chance(&c->r, 0.5) ? SY_P_MCE_TIMEOUT : SY_P_MCE;
      break;
  }
  sy_span_end(c);
  sy_cause_end(c);
  sy_panic(c, kind, NULL, cpu, 0, "swapper/0");
}

/* A recovered uncorrected error in user memory: alarming, yet the machine survives. */
void sy_mce_recovered(sy_ctx *c) {
  dimm d = pick_dimm(c);
  uint64_t addr = d.page << 12;
  const char *comm = sy_ucomm(c);
  sy_out(c, SY_ROLE_N, "mce: Uncorrected hardware memory error in user-access at %llx", (unsigned long long)addr);
  sy_out(c, SY_ROLE_N, "Memory failure: %#llx: Sending SIGBUS to %s:%d due to hardware memory corruption", (unsigned long long)d.page, comm, sy_newpid(c));
  sy_out(c, SY_ROLE_N, "Memory failure: %#llx: recovery action for dirty LRU page: Recovered", (unsigned long long)d.page);
}

/* ---- disks ---- */

static void bytes4(sy_ctx *c, unsigned b[4]) {
  for (int i = 0; i < 4; i++) b[i] = sy_below(&c->r, 256);
}

static void blk_error(sy_ctx *c, int role, const char *dev, bool write, const char *what) {
  unsigned long long sector = (unsigned long long)sy_range(&c->r, 2048, 7000000000ll);
  if (c->h.k->major >= 6)
    sy_out(c, role, "%s, dev %s, sector %llu op 0x%d:(%s) flags 0x%x phys_seg %d prio class 2", what, dev, sector, write ? 1 : 0, write ? "WRITE" : "READ",
           write ? 0x8800 : 0x80700, (int)sy_range(&c->r, 1, 32));
  else
    sy_out(c, role, "blk_update_request: %s, dev %s, sector %llu op 0x%d:(%s) flags 0x%x phys_seg %d prio class 0", what, dev, sector, write ? 1 : 0,
           write ? "WRITE" : "READ", write ? 0x800 : 0x0, (int)sy_range(&c->r, 1, 32));
}

/* I/O errors reaching the file system on dev (journal abort, read-only remount, XFS shutdown) */
static void fs_fallout(sy_ctx *c, const char *part, bool xfs) {
  if (xfs) {
    sy_out(c, SY_ROLE_N, "XFS (%s): log I/O error -5", part);
    if (c->h.k->major >= 6)
      sy_out(c, SY_ROLE_N, "XFS (%s): Filesystem has been shut down due to log error (0x2).", part);
    else
      sy_out(c, SY_ROLE_N, "XFS (%s): xfs_do_force_shutdown(0x2) called from line 1196 of file fs/xfs/xfs_log.c. Return address = %016llx", part,
             0xffffffffc0000000ull + ((unsigned long long)sy_below(&c->r, 0xfffff) << 4));
    sy_out(c, SY_ROLE_N, "XFS (%s): Please unmount the filesystem and rectify the problem(s)", part);
    return;
  }
  for (int i = (int)sy_range(&c->r, 1, 4); i > 0; i--)
    sy_out(c, SY_ROLE_N, "Buffer I/O error on dev %s, logical block %llu, lost async page write", part, (unsigned long long)sy_range(&c->r, 1000, 900000000));
  int ino = (int)sy_range(&c->r, 12, 90000000);
  unsigned long long blk = (unsigned long long)sy_range(&c->r, 1000, 900000000);
  sy_out(c, SY_ROLE_N, "EXT4-fs warning (device %s): ext4_end_bio:%d: I/O error 10 writing to inode %d starting block %llu)", part,
         c->h.k->major >= 6 ? 343 : 347, ino, blk);
  sy_out(c, SY_ROLE_N, "JBD2: Detected IO errors while flushing file data on %s-8", part);
  sy_out(c, SY_ROLE_N, "Aborting journal on device %s-8.", part);
  sy_out(c, SY_ROLE_N, "EXT4-fs error (device %s): ext4_journal_check_start:83: comm %s: Detected aborted journal", part, sy_ucomm(c));
  sy_out(c, SY_ROLE_N, "EXT4-fs (%s): Remounting filesystem read-only", part);
}

static void nvme_failure(sy_ctx *c, const char *ctrl, const char *ns, const char *part, bool xfs) {
  int rounds = (int)sy_range(&c->r, 1, 4);
  for (int r = 0; r < rounds; r++) {
    int n = (int)sy_range(&c->r, 1, 4);
    sy_cause_begin(c);
    for (int i = 0; i < n; i++) {
      int io = (int)sy_range(&c->r, 0, 1023), qid = (int)sy_range(&c->r, 1, c->h.ncpu < 128 ? c->h.ncpu : 128);
      sy_out(c, SY_ROLE_C, "nvme %s: I/O %d QID %d timeout, aborting", ctrl, io, qid);
    }
    sy_cause_end(c);
    sy_wait(c, (uint64_t)sy_range(&c->r, 29000000, 31000000));
    sy_cause_begin(c);
    int io = (int)sy_range(&c->r, 0, 1023), qid = (int)sy_range(&c->r, 1, 64);
    sy_out(c, SY_ROLE_C, "nvme %s: I/O %d QID %d timeout, reset controller", ctrl, io, qid);
    sy_out(c, SY_ROLE_N, "nvme %s: Abort status: 0x%x", ctrl, sy_chance(&c->r, 0.5) ? 0x371u : 0x0u);
    sy_cause_end(c);
    if (r + 1 < rounds) {
      sy_wait(c, (uint64_t)sy_range(&c->r, 500000, 3000000));
      sy_out(c, SY_ROLE_N, "nvme %s: %d/0/0 default/read/poll queues", ctrl, c->h.ncpu < 128 ? c->h.ncpu : 128);
      sy_wait(c, sy_logu(&c->r, 30, 1800) * 1000000);
    }
  }
  sy_wait(c, (uint64_t)sy_range(&c->r, 1000000, 60000000));
  sy_cause_begin(c);
  if (sy_chance(&c->r, 0.6)) {
    sy_out(c, SY_ROLE_C, "nvme %s: controller is down; will reset: CSTS=0xffffffff, PCI_STATUS=0xffff", ctrl);
    if (c->h.k->major >= 5) sy_out(c, SY_ROLE_N, "nvme %s: Does your device have a faulty power saving mode enabled?", ctrl);
    sy_out(c, SY_ROLE_N, "nvme %s: Try \"nvme_core.default_ps_max_latency_us=0 pcie_aspm=off\" and report a bug", ctrl);
    sy_out(c, SY_ROLE_C, "nvme %s: Removing after probe failure status: -19", ctrl);
    sy_out(c, SY_ROLE_N, "%s: detected capacity change from %llu to 0", ns, (unsigned long long)sy_range(&c->r, 900000000, 15000000000ll));
  } else if (c->h.k->major >= 6) {
    unsigned long long lba = (unsigned long long)sy_range(&c->r, 0, 7000000000ll);
    int nb = (int)sy_range(&c->r, 1, 256);
    sy_out(c, SY_ROLE_C, "%s: %s(0x%d) @ LBA %llu, %d blocks, Unrecovered Read Error (sct 0x2 / sc 0x81) DNR ", ns, "Read", 2, lba, nb);
  }
  int nerr = (int)sy_range(&c->r, 1, 8);
  for (int i = 0; i < nerr; i++) blk_error(c, SY_ROLE_C, ns, sy_chance(&c->r, 0.6), "I/O error");
  sy_cause_end(c);
  fs_fallout(c, part, xfs);
}

static void sata_failure(sy_ctx *c, const char *disk, int host) {
  int ata = host + 1, rounds = (int)sy_range(&c->r, 1, 6);
  bool timeout = sy_chance(&c->r, 0.4);
  for (int r = 0; r < rounds; r++) {
    int tag = (int)sy_range(&c->r, 0, 31);
    sy_cause_begin(c);
    if (timeout) {
      sy_out(c, SY_ROLE_C, "sd %d:0:0:0: [%s] tag#%d timing out command, waited 180s", host, disk, tag);
      sy_out(c, SY_ROLE_C, "sd %d:0:0:0: [%s] tag#%d FAILED Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK cmd_age=180s", host, disk, tag);
      unsigned b[4];
      bytes4(c, b);
      sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [%s] tag#%d CDB: Write(10) 2a 00 %02x %02x %02x %02x 00 00 08 00", host, disk, tag, b[0], b[1], b[2], b[3]);
      blk_error(c, SY_ROLE_C, disk, true, "I/O error");
    } else {
      sy_out(c, SY_ROLE_N, "ata%d.00: exception Emask 0x0 SAct 0x%x SErr 0x0 action 0x0", ata, 1u << tag);
      sy_out(c, SY_ROLE_N, "ata%d.00: irq_stat 0x40000008", ata);
      sy_out(c, SY_ROLE_C, "ata%d.00: failed command: READ FPDMA QUEUED", ata);
      unsigned b[4];
      bytes4(c, b);
      sy_out(c, SY_ROLE_N, "ata%d.00: cmd 60/08:%02x:%02x:%02x:%02x/00:00:%02x:00:00/40 tag %d ncq dma 4096 in", ata, (unsigned)tag * 8, b[0], b[1],
             b[2], b[3], tag);
      sy_out(c, SY_ROLE_N, "         res 41/40:00:%02x:%02x:%02x/00:00:%02x:00:00/40 Emask 0x409 (media error) <F>", b[1], b[2], b[3], b[0]);
      sy_out(c, SY_ROLE_N, "ata%d.00: status: { DRDY ERR }", ata);
      sy_out(c, SY_ROLE_C, "ata%d.00: error: { UNC }", ata);
      sy_out(c, SY_ROLE_N, "ata%d.00: configured for UDMA/133", ata);
      sy_out(c, SY_ROLE_C, "sd %d:0:0:0: [%s] tag#%d FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK cmd_age=%ds", host, disk, tag, (int)sy_range(&c->r, 0, 9));
      sy_out(c, SY_ROLE_C, "sd %d:0:0:0: [%s] tag#%d Sense Key : Medium Error [current] ", host, disk, tag);
      sy_out(c, SY_ROLE_C, "sd %d:0:0:0: [%s] tag#%d Add. Sense: Unrecovered read error - auto reallocate failed", host, disk, tag);
      sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [%s] tag#%d CDB: Read(16) 88 00 00 00 00 01 %02x %02x %02x %02x 00 00 00 08 00 00", host, disk, tag, b[0],
             b[1], b[2], b[3]);
      blk_error(c, SY_ROLE_C, disk, false, c->h.k->major >= 6 ? "critical medium error" : "I/O error");
      sy_out(c, SY_ROLE_N, "ata%d: EH complete", ata);
    }
    sy_cause_end(c);
    if (r + 1 < rounds) sy_wait(c, sy_chance(&c->r, 0.5) ? (uint64_t)sy_range(&c->r, 1000000, 20000000) : sy_logu(&c->r, 30, 3600) * 1000000);
  }
  if (sy_chance(&c->r, 0.5)) {
    sy_cause_begin(c);
    sy_out(c, SY_ROLE_N, "ata%d: hard resetting link", ata);
    sy_out(c, SY_ROLE_C, "ata%d: SATA link down (SStatus 0 SControl 300)", ata);
    sy_out(c, SY_ROLE_N, "ata%d.00: disable device", ata);
    sy_cause_end(c);
  }
}

void sy_cause_disk(sy_ctx *c) {
  bool data = c->h.has_data && sy_chance(&c->r, 0.5);
  const char *part = data ? c->h.datapart : c->h.rootpart;
  bool xfs = data ? c->h.data_xfs : c->h.root_xfs;
  if (c->h.nvme) {
    const char *ns = data ? c->h.datadev : c->h.disk;
    char ctrl[16];
    snprintf(ctrl, sizeof ctrl, "%.5s", ns);
    nvme_failure(c, ctrl, ns, part, xfs);
  } else {
    const char *disk = data ? c->h.datadev : c->h.disk;
    sata_failure(c, disk, c->h.scsi_host + (data ? 1 : 0));
    if (sy_chance(&c->r, 0.7)) fs_fallout(c, part, xfs);
  }
  if (!data && !xfs && !c->h.root_xfs && sy_chance(&c->r, 0.3)) { /* errors=panic on the root file system */
    sy_out(c, SY_ROLE_N, "EXT4-fs error (device %s): ext4_find_entry:1463: inode #2: comm %s: reading directory lblock 0", part, sy_ucomm(c));
    int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid = sy_newpid(c);
    sy_panic(c, SY_P_EXT4, part, cpu, pid, sy_ucomm(c));
    return;
  }
  char comm[40];
  if (xfs) snprintf(comm, sizeof comm, "xfsaild/%s", part);
  else snprintf(comm, sizeof comm, "jbd2/%s-8", part);
  sy_hung_tail(c, sy_stack_jbd2, sy_stack_jbd2_n, comm, true);
}

/* A disk hiccup that recovers: an NVMe abort or an ATA link reset. */
void sy_disk_benign(sy_ctx *c) {
  if (c->h.nvme) {
    int io = (int)sy_range(&c->r, 0, 1023), qid = (int)sy_range(&c->r, 1, 32);
    sy_out(c, SY_ROLE_N, "nvme nvme0: I/O %d QID %d timeout, aborting", io, qid);
    sy_wait(c, (uint64_t)sy_range(&c->r, 1000, 500000));
    sy_out(c, SY_ROLE_N, "nvme nvme0: Abort status: 0x0");
  } else {
    int ata = c->h.scsi_host + 1;
    sy_out(c, SY_ROLE_N, "ata%d: hard resetting link", ata);
    sy_wait(c, (uint64_t)sy_range(&c->r, 300000, 900000));
    sy_out(c, SY_ROLE_N, "ata%d: SATA link up 6.0 Gbps (SStatus 133 SControl 300)", ata);
    sy_out(c, SY_ROLE_N, "ata%d.00: configured for UDMA/133", ata);
    sy_out(c, SY_ROLE_N, "ata%d: EH complete", ata);
  }
}
