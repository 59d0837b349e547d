/* File-system corruption: EXT4-fs errors (bad checksums, bad directory entries, bitmap
 * inconsistencies, the daily error-count reminders), XFS metadata corruption and forced
 * shutdowns, ending in errors=panic, a BUG, a hang, or a root file system that will not mount. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

/* one "EXT4-fs error" line; returns the function:line used, for the error-count reminders */
static const char *ext4_error(sy_ctx *c, int role, const char *dev, int *inode) {
  const char *comm = sy_chance(&c->r, 0.3) ? "kworker/u128:2" : SY_PICK(&c->r, ((const char *const[]){"rsync", "find", "ls", "updatedb.mlocat", "tar", "python3", "java", "du"}));
  int ino = (int)sy_range(&c->r, 2, 90000000);
  *inode = ino;
  switch (sy_below(&c->r, 8)) {
    case 0: sy_out(c, role, "EXT4-fs error (device %s): ext4_lookup:1855: inode #%d: comm %s: iget: checksum invalid", dev, ino, comm); return "ext4_lookup:1855";
    case 1: sy_out(c, role, "EXT4-fs error (device %s): ext4_lookup:1849: inode #%d: comm %s: deleted inode referenced: %d", dev, ino, comm, (int)sy_range(&c->r, 12, 90000000)); return "ext4_lookup:1849";
    case 2: sy_out(c, role, "EXT4-fs error (device %s): ext4_find_entry:1463: inode #%d: comm %s: reading directory lblock 0", dev, ino, comm); return "ext4_find_entry:1463";
    case 3: {
      int blk = (int)sy_range(&c->r, 1000, 900000000);
      unsigned bad = sy_u32(&c->r);
      int rl = (int)sy_range(&c->r, 1, 65535);
      sy_out(c, role, "EXT4-fs error (device %s): htree_dirblock_to_tree:1080: inode #%d: block %d: comm %s: bad entry in directory: rec_len %% 4 != 0 - offset=0, inode=%u, rec_len=%d, size=4096 fake=0",
             dev, ino, blk, comm, bad, rl);
    }
      return "htree_dirblock_to_tree:1080";
    case 4: sy_out(c, role, "EXT4-fs error (device %s): ext4_iget:4862: inode #%d: comm %s: bad extra_isize %d (inode size 256)", dev, ino, comm, (int)sy_range(&c->r, 257, 65535)); return "ext4_iget:4862";
    case 5: sy_out(c, role, "EXT4-fs error (device %s): ext4_validate_block_bitmap:390: comm %s: bg %d: bad block bitmap checksum", dev, comm, (int)sy_range(&c->r, 0, 30000)); return "ext4_validate_block_bitmap:390";
    case 6: {
      int fr = (int)sy_range(&c->r, 0, 32768), grp = (int)sy_range(&c->r, 0, 30000), fr2 = fr + (int)sy_range(&c->r, 1, 300);
      sy_out(c, role, "EXT4-fs error (device %s): ext4_mb_generate_buddy:1141: group %d, block bitmap and bg descriptor inconsistent: %d vs %d free clusters", dev,
             grp, fr, fr2);
      return "ext4_mb_generate_buddy:1141";
    }
    default:
      sy_out(c, role, "EXT4-fs error (device %s): ext4_ext_check_inode:520: inode #%d: comm %s: pblk 0 bad header/extent: invalid magic - magic 0, entries 0, max 0(0), depth 0(0)", dev, ino, comm);
      return "ext4_ext_check_inode:520";
  }
}

static void ext4_reminder(sy_ctx *c, const char *dev, int count, uint64_t first_t, const char *first_fn, int first_ino, const char *last_fn, int last_ino) {
  sy_out(c, SY_ROLE_C, "EXT4-fs (%s): error count since last fsck: %d", dev, count);
  sy_out(c, SY_ROLE_C, "EXT4-fs (%s): initial error at time %llu: %s: inode %d", dev, (unsigned long long)(c->h.boot_epoch + first_t / 1000000), first_fn, first_ino);
  sy_out(c, SY_ROLE_C, "EXT4-fs (%s): last error at time %llu: %s: inode %d", dev, (unsigned long long)(c->h.boot_epoch + c->t / 1000000 - 3600), last_fn, last_ino);
}

static const char *const st_ext4_bug[] = {"jbd2_journal_dirty_metadata", "__ext4_handle_dirty_metadata", "ext4_do_update_inode",
                                          "ext4_mark_iloc_dirty", "__ext4_mark_inode_dirty", "ext4_dirty_inode", "__mark_inode_dirty",
                                          "generic_update_time", "file_update_time", "ext4_buffered_write_iter", "new_sync_write",
                                          "vfs_write", "ksys_write"};

static void ext4_corruption(sy_ctx *c, const char *dev, bool root, bool boot) {
  if (boot && root) { /* the root file system does not mount at all */
    sy_cause_begin(c);
    sy_out(c, SY_ROLE_C, "EXT4-fs (%s): VFS: Can't find ext4 filesystem", dev);
    unsigned long long want = (unsigned long long)sy_range(&c->r, 200000000, 900000000);
    unsigned long long have = (unsigned long long)sy_range(&c->r, 100000000, 199999999);
    sy_out(c, SY_ROLE_C, "EXT4-fs (%s): bad geometry: block count %llu exceeds size of device (%llu blocks)", dev, want, have);
    sy_cause_end(c);
    sy_out(c, SY_ROLE_N, "List of all partitions:");
    sy_out(c, SY_ROLE_N, "%s %12llu %s  driver: %s", c->h.nvme ? "10300" : "0800", (unsigned long long)sy_range(&c->r, 100000000, 4000000000ll), c->h.disk, c->h.nvme ? "nvme" : "sd");
    sy_out(c, SY_ROLE_N, "No filesystem could mount root, tried: ");
    sy_out(c, SY_ROLE_N, " ext3");
    sy_out(c, SY_ROLE_N, " ext4");
    sy_out(c, SY_ROLE_N, " ext2");
    sy_out(c, SY_ROLE_N, " xfs");
    sy_out(c, SY_ROLE_N, "%s", "");
    sy_panic(c, SY_P_VFS, c->h.nvme ? "259,2" : "8,2", 0, 1, "swapper/0");
    return;
  }
  int n = (int)sy_logu(&c->r, 1, 30), count = 0, ino = 0, first_ino = 0;
  const char *fn = NULL, *first_fn = NULL;
  uint64_t first_t = c->t;
  for (int i = 0; i < n; i++) {
    sy_cause_begin(c);
    fn = ext4_error(c, SY_ROLE_C, dev, &ino);
    if (!first_fn) first_fn = fn, first_ino = ino;
    count++;
    sy_cause_end(c);
    if (sy_chance(&c->r, 0.15)) {
      sy_wait(c, sy_logu(&c->r, 600, 86400) * 1000000);
      sy_cause_begin(c);
      ext4_reminder(c, dev, count, first_t, first_fn, first_ino, fn, ino);
      sy_cause_end(c);
    }
    sy_wait(c, sy_chance(&c->r, 0.5) ? (uint64_t)sy_range(&c->r, 1000, 3000000) : sy_logu(&c->r, 10, 7200) * 1000000);
  }
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  switch (sy_weighted(&c->r, (const int[]){40, 15, 30, 15}, 4)) {
    case 0: /* errors=panic */
      sy_cause_begin(c);
      ext4_error(c, SY_ROLE_C, dev, &ino);
      sy_cause_end(c);
      {
        int pid = sy_newpid(c);
        sy_panic(c, SY_P_EXT4, dev, cpu, pid, sy_ucomm(c));
      }
      break;
    case 1: {
      sy_cause_begin(c);
      sy_out(c, SY_ROLE_C, "EXT4-fs (%s): Remounting filesystem read-only", dev);
      sy_cause_end(c);
      sy_wait(c, sy_logu(&c->r, 5, 900) * 1000000);
      int pid = sy_newpid(c);
      const char *comm = sy_ucomm(c);
      sy_out(c, SY_ROLE_N, "------------[ cut here ]------------");
      sy_out(c, SY_ROLE_N, "kernel BUG at fs/jbd2/transaction.c:1535!");
      sy_oops_body(c, SY_ROLE_N, SY_ROLE_N, "invalid opcode: 0000", cpu, pid, comm, "jbd2_journal_dirty_metadata", st_ext4_bug, SY_N_OF(st_ext4_bug), 0);
      sy_panic(c, SY_P_FATAL, NULL, cpu, pid, comm);
      break;
    }
    case 2: {
      sy_cause_begin(c);
      if (sy_chance(&c->r, 0.5)) {
        int lo = (int)sy_range(&c->r, 0, 900000), mb = (int)sy_range(&c->r, 1, 2048);
        sy_out(c, SY_ROLE_C, "EXT4-fs (%s): Delayed block allocation failed for inode %d at logical offset %d with max blocks %d with error 117", dev,
               ino, lo, mb);
        sy_out(c, SY_ROLE_C, "EXT4-fs (%s): This should not happen!! Data will be lost", dev);
      }
      sy_out(c, SY_ROLE_C, "EXT4-fs (%s): Remounting filesystem read-only", dev);
      sy_cause_end(c);
      char comm[40];
      snprintf(comm, sizeof comm, "jbd2/%s-8", dev);
      sy_hung_tail(c, sy_stack_jbd2, sy_stack_jbd2_n, comm, true);
      break;
    }
    default:
      sy_hung_tail(c, sy_stack_fsync, sy_stack_fsync_n, NULL, true);
      break;
  }
}

static const char *const st_xfs_err[] = {"dump_stack_lvl", "xfs_corruption_error [xfs]", "? xfs_free_ag_extent [xfs]",
                                         "xfs_free_ag_extent [xfs]", "__xfs_free_extent [xfs]", "xfs_trans_free_extent [xfs]",
                                         "xfs_extent_free_finish_item [xfs]", "xfs_defer_finish_noroll [xfs]",
                                         "xfs_defer_finish [xfs]", "xfs_itruncate_extents_flags [xfs]", "xfs_inactive_truncate [xfs]",
                                         "xfs_inactive [xfs]", "xfs_inodegc_worker [xfs]", "process_one_work", "worker_thread",
                                         "kthread", "ret_from_fork"};
static const char *const st_xfs_bug[] = {"xfs_alert_tag [xfs]", "xfs_do_force_shutdown [xfs]", "xfs_trans_cancel [xfs]",
                                         "xfs_create [xfs]", "xfs_generic_create [xfs]", "path_openat", "do_filp_open",
                                         "do_sys_openat2", "__x64_sys_openat", "do_syscall_64", "entry_SYSCALL_64_after_hwframe",
                                         "@user"};

static void xfs_corruption(sy_ctx *c, const char *dev, bool root) {
  char f[160];
  int n = (int)sy_logu(&c->r, 1, 12);
  for (int i = 0; i < n; i++) {
    sy_cause_begin(c);
    sy_span_begin(c);
    switch (sy_below(&c->r, 3)) {
      case 0:
        sy_frame(c, f, sizeof f, "xfs_dinode_verify [xfs]");
        sy_out(c, SY_ROLE_C, "XFS (%s): Metadata corruption detected at %s, inode 0x%llx dinode", dev, f, (unsigned long long)sy_range(&c->r, 128, 0xffffffffll));
        sy_out(c, SY_ROLE_C, "XFS (%s): Unmount and run xfs_repair", dev);
        sy_out(c, SY_ROLE_N, "XFS (%s): First 128 bytes of corrupted metadata buffer:", dev);
        for (int k = 0; k < 8; k++) {
          char hx[64], as[20];
          int len = 0;
          for (int b = 0; b < 16; b++) {
            unsigned v = k == 0 && b < 2 ? (unsigned)"IN"[b] : sy_chance(&c->r, 0.5) ? 0u : sy_below(&c->r, 256);
            len += snprintf(hx + len, sizeof hx - len, "%02x%s", v, b == 15 ? "" : " ");
            as[b] = v >= 32 && v < 127 ? (char)v : '.';
          }
          as[16] = 0;
          sy_out(c, SY_ROLE_N, "%08x: %s  %s", k * 16, hx, as);
        }
        break;
      case 1:
        sy_frame(c, f, sizeof f, "xfs_imap_to_bp [xfs]");
        sy_out(c, SY_ROLE_C, "XFS (%s): metadata I/O error in \"%s\" at daddr 0x%llx len 32 error 117", dev, f, (unsigned long long)sy_range(&c->r, 0x1000, 0xffffffffll));
        break;
      default:
        sy_frame(c, f, sizeof f, "xfs_free_ag_extent [xfs]");
        sy_out(c, SY_ROLE_C, "XFS (%s): Internal error XFS_WANT_CORRUPTED_GOTO at line %d of file fs/xfs/libxfs/xfs_alloc.c.  Caller %s", dev,
               (int)sy_range(&c->r, 1500, 2200), f);
        int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), pid = (int)sy_range(&c->r, 300, 9000);
        sy_cpu_line(c, SY_ROLE_N, cpu, pid, "kworker/u130:3");
        sy_hw_line(c);
        sy_trace(c, st_xfs_err, SY_N_OF(st_xfs_err));
        break;
    }
    sy_span_end(c);
    sy_cause_end(c);
    sy_wait(c, sy_chance(&c->r, 0.5) ? (uint64_t)sy_range(&c->r, 1000, 3000000) : sy_logu(&c->r, 10, 7200) * 1000000);
  }
  sy_cause_begin(c);
  if (c->h.k->major >= 6) {
    sy_frame(c, f, sizeof f, "xfs_trans_cancel [xfs]");
    sy_out(c, SY_ROLE_C, "XFS (%s): Corruption of in-memory data (0x8) detected at %s (fs/xfs/xfs_trans.c:1098).  Shutting down filesystem.", dev, f);
  } else {
    sy_out(c, SY_ROLE_N, "XFS (%s): xfs_do_force_shutdown(0x8) called from line 1083 of file fs/xfs/xfs_trans.c. Return address = %016llx", dev,
           0xffffffffc0000000ull + ((unsigned long long)sy_below(&c->r, 0xfffff) << 4));
    sy_out(c, SY_ROLE_C, "XFS (%s): Corruption of in-memory data detected.  Shutting down filesystem", dev);
  }
  sy_out(c, SY_ROLE_N, "XFS (%s): Please unmount the filesystem and rectify the problem(s)", dev);
  sy_cause_end(c);
  int cpu = (int)sy_below(&c->r, (uint32_t)c->h.ncpu);
  if (sy_chance(&c->r, 0.35)) { /* xfs_panic_mask turns the alert into a BUG */
    int pid = sy_newpid(c);
    const char *comm = sy_ucomm(c);
    sy_out(c, SY_ROLE_N, "XFS (%s): Transforming an alert into a BUG.", dev);
    sy_out(c, SY_ROLE_N, "------------[ cut here ]------------");
    sy_out(c, SY_ROLE_N, "kernel BUG at fs/xfs/xfs_message.c:%d!", c->h.k->major >= 6 ? 110 : 102);
    sy_oops_body(c, SY_ROLE_N, SY_ROLE_N, "invalid opcode: 0000", cpu, pid, comm, "assfail [xfs]", st_xfs_bug, SY_N_OF(st_xfs_bug), 0);
    sy_panic(c, SY_P_FATAL, NULL, cpu, pid, comm);
    return;
  }
  char comm[40];
  snprintf(comm, sizeof comm, "xfsaild/%s", dev);
  sy_hung_tail(c, root ? sy_stack_fsync : sy_stack_jbd2, root ? sy_stack_fsync_n : sy_stack_jbd2_n, comm, true);
}

void sy_cause_fs(sy_ctx *c) {
  bool data = c->h.has_data && sy_chance(&c->r, 0.6);
  bool xfs = data ? c->h.data_xfs : c->h.root_xfs;
  const char *dev = data ? c->h.datapart : c->h.rootpart;
  if (c->rootfail) ext4_corruption(c, c->h.rootpart, true, true);
  else if (xfs) xfs_corruption(c, dev, !data);
  else ext4_corruption(c, dev, !data, false);
}

/* The daily reminder of old, already repaired errors: an ext4 file system that once had errors. */
void sy_fs_benign(sy_ctx *c) {
  const char *dev = c->h.has_data ? c->h.datapart : c->h.rootpart;
  if ((c->h.has_data ? c->h.data_xfs : c->h.root_xfs)) {
    sy_out(c, SY_ROLE_N, "XFS (%s): Unmounting Filesystem", dev);
    return;
  }
  int count = (int)sy_range(&c->r, 1, 40);
  sy_out(c, SY_ROLE_N, "EXT4-fs (%s): error count since last fsck: %d", dev, count);
  unsigned long long t1 = c->h.boot_epoch - (uint64_t)sy_range(&c->r, 86400, 86400 * 300);
  int i1 = (int)sy_range(&c->r, 2, 9000000);
  unsigned long long t2 = c->h.boot_epoch - (uint64_t)sy_range(&c->r, 3600, 86400);
  int i2 = (int)sy_range(&c->r, 2, 9000000);
  sy_out(c, SY_ROLE_N, "EXT4-fs (%s): initial error at time %llu: ext4_lookup:1855: inode %d", dev, t1, i1);
  sy_out(c, SY_ROLE_N, "EXT4-fs (%s): last error at time %llu: ext4_find_entry:1463: inode %d", dev, t2, i2);
}
