// Kernel-log records: each format on hand-written fixtures of real output (OOM killer, Xid, hung
// task, oops with call trace, KASAN, soft lockup, RCU stall, journal JSON), detection, report
// flags, year rules, and bad input (missing file, empty, binary garbage, NUL runs, long lines).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include "testutil.h"
#include "kprca/kernlog.h"
#include "text/kernlog_int.h"

namespace {
const std::string kDir = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/ingest/";
const double kMar3 = 1709474531.0;  // 2024-03-03T14:02:11Z

struct Log {
  kp_klog_log *log = nullptr;
  explicit Log(const std::string &path, kp_klog_format f = KP_KLOG_AUTO, int year = 2024) {
    kp_klog_options o{};
    o.format = f;
    o.year = year;
    kp_status s = kp_klog_load(path.c_str(), &o, &log);
    EXPECT_EQ(s, KP_OK) << kp_last_error();
  }
  ~Log() { kp_klog_log_free(log); }
  const kp_klog_record &operator[](int64_t lineno) const { return log->rec[lineno - 1]; }
  std::string msg(int64_t lineno) const { return std::string((*this)[lineno].msg, (*this)[lineno].msg_len); }
  bool flag(int64_t lineno, uint32_t f) const { return ((*this)[lineno].flags & f) != 0; }
};

// Lines [a, b] all carry flag f (and the reverse check for 0 elsewhere is done by the caller).
void expect_range(const Log &L, int64_t a, int64_t b, uint32_t f) {
  for (int64_t i = a; i <= b; i++) EXPECT_TRUE(L.flag(i, f)) << "line " << i << ": " << L.msg(i);
}

std::string tmpfile_with(const std::string &bytes) {
  char name[] = "/tmp/kprca_klog_XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, bytes.data(), bytes.size()), (ssize_t)bytes.size());
  close(fd);
  return name;
}

// Parses single lines with a parser of a given format.
struct P {
  kp_klog_parser *p = nullptr;
  kp_klog_record r{};
  std::string keep;
  explicit P(kp_klog_format f, int year = 2024, int off = 0) {
    kp_klog_options o{};
    o.year = year;
    o.utc_offset_min = off;
    EXPECT_EQ(kp_klog_parser_new(f, &o, &p), KP_OK);
  }
  ~P() { kp_klog_parser_free(p); }
  const kp_klog_record &operator()(const std::string &line) {
    keep = line;
    kp_klog_parser_line(p, keep.data(), keep.size(), 1, &r);
    return r;
  }
  std::string msg() const { return std::string(r.msg, r.msg_len); }
};
}  // namespace

TEST(KernLog, FormatNamesRoundTrip) {
  for (int f = KP_KLOG_AUTO; f <= KP_KLOG_CONSOLE; f++) {
    kp_klog_format g;
    KP_ASSERT_OK(kp_klog_format_parse(kp_klog_format_name((kp_klog_format)f), &g));
    EXPECT_EQ(g, f);
  }
  kp_klog_format g;
  EXPECT_EQ(kp_klog_format_parse("klog", &g), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("unknown log format 'klog'"), std::string::npos);
  kp_klog_parser *p;
  EXPECT_EQ(kp_klog_parser_new(KP_KLOG_AUTO, nullptr, &p), KP_ERR_INVALID);
}

TEST(KernLog, CivilDates) {
  EXPECT_EQ(klog_days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(klog_days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(klog_days_from_civil(2024, 3, 3), 19785);
  EXPECT_EQ(klog_days_from_civil(2024, 2, 29) + 1, klog_days_from_civil(2024, 3, 1));
  EXPECT_EQ(klog_days_from_civil(1969, 12, 31), -1);
}

TEST(KernLog, DetectsEachFixtureFormat) {
  struct {
    const char *file;
    kp_klog_format f;
  } cases[] = {{"kern.log", KP_KLOG_SYSLOG},          {"syslog_rfc3339.log", KP_KLOG_SYSLOG},
               {"journal_short.txt", KP_KLOG_JOURNAL_SHORT}, {"journal_iso.txt", KP_KLOG_JOURNAL_SHORT},
               {"journal.json", KP_KLOG_JOURNAL_JSON},  {"dmesg.txt", KP_KLOG_DMESG},
               {"dmesg_T.txt", KP_KLOG_DMESG},          {"dmesg_raw.txt", KP_KLOG_DMESG},
               {"dmesg_notime.txt", KP_KLOG_CONSOLE},   {"console_crash.log", KP_KLOG_DMESG}};
  for (auto &c : cases) {
    Log L(kDir + c.file);
    ASSERT_NE(L.log, nullptr);
    EXPECT_EQ(L.log->format, c.f) << c.file << " detected as " << kp_klog_format_name(L.log->format);
    for (int64_t i = 0; i < L.log->n; i++) EXPECT_EQ(L.log->rec[i].lineno, i + 1);
  }
}

TEST(KernLog, KernLogFieldsAndOomReport) {
  Log L(kDir + "kern.log");
  ASSERT_EQ(L.log->n, 77);
  EXPECT_EQ(L.log->stats.unmatched, 0);
  EXPECT_EQ(L[1].time, kMar3);
  EXPECT_DOUBLE_EQ(L[1].uptime, 0.0);
  EXPECT_STREQ(L[1].host, "gpu-node-17");
  EXPECT_STREQ(L[1].ident, "kernel");
  EXPECT_EQ(L[1].pid, -1);
  EXPECT_EQ(L[1].level, -1);  // kern.log text carries no priority
  EXPECT_EQ(L.msg(1).rfind("Linux version 5.15.0-91-generic (buildd@", 0), 0u);
  EXPECT_EQ(L.msg(5), " nvme0n1: p1 p2 p3");  // indentation after the stamp is kept
  EXPECT_STREQ(L[11].ident, "sshd");
  EXPECT_EQ(L[11].pid, 2345);
  EXPECT_TRUE(std::isnan(L[11].uptime));
  EXPECT_EQ(L[11].time, kMar3 + (15 - 14) * 3600 + (10 - 2) * 60 + (42 - 11));
  EXPECT_DOUBLE_EQ(L[14].uptime, 6292.123480);
  EXPECT_EQ(L.msg(14), "NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.");
  // OOM killer: headline, then the whole report (stack, registers, Mem-Info, task table) continues it
  EXPECT_TRUE(L.flag(16, KP_KLOG_HEAD));
  EXPECT_FALSE(L.flag(16, KP_KLOG_CONT));
  expect_range(L, 17, 56, KP_KLOG_CONT);
  EXPECT_TRUE(L.flag(57, KP_KLOG_HEAD));  // "Out of memory: Killed process"
  EXPECT_FALSE(L.flag(57, KP_KLOG_CONT));
  EXPECT_EQ(L[58].flags, 0u);  // oom_reaper: ordinary message
  EXPECT_EQ(L[59].flags, 0u);  // CRON
  EXPECT_TRUE(L.flag(60, KP_KLOG_HEAD));  // hung task
  expect_range(L, 61, 75, KP_KLOG_CONT);
  EXPECT_EQ(L[76].flags, 0u);
  EXPECT_EQ(L[77].flags, 0u);
  for (int i = 1; i <= 15; i++) EXPECT_EQ(L[i].flags, 0u) << i;
  EXPECT_EQ(L.log->stats.heads, 3);
  EXPECT_EQ(L.log->stats.cont, 40 + 15);
}

TEST(KernLog, Rfc3339AndZones) {
  Log L(kDir + "syslog_rfc3339.log");
  ASSERT_EQ(L.log->n, 9);
  EXPECT_EQ(L.log->stats.unmatched, 0);
  EXPECT_NEAR(L[1].time, kMar3 + 0.123456, 1e-6);
  EXPECT_NEAR(L[2].time, kMar3 + 2 * 3600 + 2 * 60 + 50 - 3600 + 0.512345, 1e-6);  // +01:00
  EXPECT_NEAR(L[9].time, kMar3 + (16 - 14) * 3600 + (5 - 2) * 60 + (2 - 11) + 5.5 * 3600, 1e-6);  // 16:05:02-05:30
  EXPECT_STREQ(L[9].ident, "rsyslogd");
  EXPECT_EQ(L.msg(2), "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:");
  EXPECT_TRUE(L.flag(2, KP_KLOG_HEAD));
  expect_range(L, 3, 5, KP_KLOG_CONT);
  EXPECT_TRUE(L.flag(6, KP_KLOG_HEAD));  // NMI backtrace
  expect_range(L, 7, 8, KP_KLOG_CONT);
}

TEST(KernLog, DmesgOopsTraceAndPanic) {
  Log L(kDir + "dmesg.txt");
  ASSERT_EQ(L.log->n, 64);
  EXPECT_EQ(L.log->stats.unmatched, 0);
  EXPECT_DOUBLE_EQ(L[12].uptime, 812.345678);
  EXPECT_TRUE(std::isnan(L[12].time));
  EXPECT_STREQ(L[12].ident, "kernel");
  EXPECT_EQ(L.msg(12), "BUG: kernel NULL pointer dereference, address: 0000000000000008");
  EXPECT_EQ(L.msg(8), "  Tx Queue             <5>");
  for (int i = 1; i <= 11; i++) EXPECT_EQ(L[i].flags, 0u) << i;
  EXPECT_TRUE(L.flag(12, KP_KLOG_HEAD));
  expect_range(L, 13, 61, KP_KLOG_CONT);  // Oops line, registers, <IRQ>/<TASK> frames, end trace, the RIP reprint
  EXPECT_FALSE(L.flag(16, KP_KLOG_HEAD));
  EXPECT_TRUE(L.flag(62, KP_KLOG_HEAD));  // Kernel panic - not syncing
  expect_range(L, 63, 64, KP_KLOG_CONT);
}

TEST(KernLog, DmesgHumanRawAndDecoratedStamps) {
  Log T(kDir + "dmesg_T.txt");
  ASSERT_EQ(T.log->n, 18);
  EXPECT_EQ(T[1].time, kMar3);
  EXPECT_EQ(T[4].time, kMar3 + 3 * 3600 + 43 * 60 + 20);
  EXPECT_EQ(T.msg(4), "watchdog: BUG: soft lockup - CPU#14 stuck for 22s! [kworker/14:2:31337]");
  EXPECT_TRUE(T.flag(4, KP_KLOG_HEAD));
  expect_range(T, 5, 17, KP_KLOG_CONT);
  EXPECT_EQ(T[18].flags, 0u);
  EXPECT_EQ(T[3].flags, 0u);

  Log R(kDir + "dmesg_raw.txt");
  ASSERT_EQ(R.log->n, 8);
  EXPECT_EQ(R.log->stats.unmatched, 0);
  EXPECT_EQ(R[3].level, 4);
  EXPECT_EQ(R[3].facility, 0);
  EXPECT_EQ(R[7].level, 2);
  EXPECT_EQ(R[8].facility, 1);  // <14>: user.info
  EXPECT_EQ(R[8].level, 6);
  EXPECT_DOUBLE_EQ(R[6].uptime, 5042.14);
  EXPECT_EQ(R.msg(7), "EXT4-fs (nvme1n1p1): Remounting filesystem read-only");

  P x(KP_KLOG_DMESG);
  x("kern  :err   : [ 4123.456789] mce: [Hardware Error]: Machine check events logged");
  EXPECT_EQ(x.r.facility, 0);
  EXPECT_EQ(x.r.level, 3);
  EXPECT_DOUBLE_EQ(x.r.uptime, 4123.456789);
  EXPECT_EQ(x.msg(), "mce: [Hardware Error]: Machine check events logged");
  x("daemon:warn  : [   12.000001] systemd[1]: something");
  EXPECT_EQ(x.r.facility, 3);
  EXPECT_EQ(x.r.level, 4);
  x("2024-03-03T14:02:11,123456+00:00 usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  EXPECT_NEAR(x.r.time, kMar3 + 0.123456, 1e-6);
  EXPECT_EQ(x.msg(), "usb 1-1: new high-speed USB device number 2 using xhci_hcd");
  x("[  OK  ] Started Journal Service.");
  EXPECT_TRUE(x.r.flags & KP_KLOG_UNMATCHED);
  EXPECT_EQ(x.msg(), "[  OK  ] Started Journal Service.");
  x("[Sun Mar  3 14:02:11 2024] x");
  EXPECT_EQ(x.r.time, kMar3);
  P local(KP_KLOG_DMESG, 2024, 60);  // dmesg -T prints local time: at UTC+1 that is an hour earlier in UTC
  local("[Sun Mar  3 14:02:11 2024] x");
  EXPECT_EQ(local.r.time, kMar3 - 3600);
}

TEST(KernLog, ConsoleWithoutStampsNeverUnmatched) {
  Log L(kDir + "dmesg_notime.txt");
  ASSERT_EQ(L.log->n, 10);
  EXPECT_EQ(L.log->stats.unmatched, 0);
  EXPECT_EQ(L.log->stats.with_uptime, 0);
  EXPECT_EQ(L.msg(4), "mce: [Hardware Error]: Machine check events logged");
  EXPECT_TRUE(L.flag(9, KP_KLOG_HEAD));
  EXPECT_TRUE(L.flag(10, KP_KLOG_CONT));
}

TEST(KernLog, JournalShortMarkersAndBrackets) {
  Log L(kDir + "journal_short.txt");
  ASSERT_EQ(L.log->n, 11);
  EXPECT_EQ(L.log->stats.unmatched, 0);
  EXPECT_EQ(L.log->stats.meta, 2);
  EXPECT_TRUE(L.flag(1, KP_KLOG_META));
  EXPECT_TRUE(L.flag(9, KP_KLOG_META));
  EXPECT_EQ(L[2].time, kMar3);
  EXPECT_TRUE(std::isnan(L[5].uptime));
  EXPECT_EQ(L.msg(5), "[drm] Initialized nvidia-drm 0.0.0 20160202 for 0000:3b:00.0 on minor 1");
  EXPECT_STREQ(L[8].ident, "nvidia-persistenced");
  EXPECT_EQ(L[8].pid, 1890);

  Log I(kDir + "journal_iso.txt");
  ASSERT_EQ(I.log->n, 5);
  EXPECT_EQ(I[1].time, kMar3);
  EXPECT_TRUE(I.flag(2, KP_KLOG_HEAD));
  expect_range(I, 3, 4, KP_KLOG_CONT);
  EXPECT_STREQ(I[5].ident, "systemd-logind");
  EXPECT_EQ(I[5].flags, 0u);

  P pr(KP_KLOG_JOURNAL_SHORT);  // short-precise
  pr("Mar 03 14:02:11.250000 gpu-node-17 kernel: nvme nvme0: 32/0/0 default/read/poll queues");
  EXPECT_DOUBLE_EQ(pr.r.time, kMar3 + 0.25);
  EXPECT_EQ(pr.msg(), "nvme nvme0: 32/0/0 default/read/poll queues");
}

TEST(KernLog, JournalJsonFields) {
  Log L(kDir + "journal.json");
  ASSERT_EQ(L.log->n, 8);
  EXPECT_DOUBLE_EQ(L[1].time, kMar3);
  EXPECT_DOUBLE_EQ(L[1].uptime, 0.0);
  EXPECT_EQ(L[1].level, 5);
  EXPECT_EQ(L[1].facility, 0);
  EXPECT_STREQ(L[1].host, "gpu-node-17");
  EXPECT_STREQ(L[1].ident, "kernel");
  // MESSAGE as an array of bytes with a Latin-1 byte: decoded, repaired
  EXPECT_EQ(L.msg(2), "usb 3-2: Manufacturer: \xef\xbf\xbdTek Camera");
  EXPECT_DOUBLE_EQ(L[2].uptime, 2.345678);
  EXPECT_STREQ(L[3].ident, "systemd");
  EXPECT_EQ(L[3].pid, 1);
  EXPECT_EQ(L[3].facility, 3);
  EXPECT_DOUBLE_EQ(L[3].uptime, 6.0);  // no source stamp: the journal's monotonic one
  EXPECT_EQ(L[4].level, 4);
  EXPECT_DOUBLE_EQ(L[4].uptime, 6292.12348);
  EXPECT_DOUBLE_EQ(L[4].time, kMar3 + 6292.12348);
  // a multi-line MESSAGE stays one record: line breaks become spaces
  EXPECT_EQ(L.msg(6).find('\n'), std::string::npos);
  EXPECT_NE(L.msg(6).find("please run NVRM: nvidia-bug-report.sh"), std::string::npos);
  // MESSAGE null and a cut-off object: kept, flagged, counted
  EXPECT_TRUE(L.flag(7, KP_KLOG_UNMATCHED));
  EXPECT_TRUE(L.flag(8, KP_KLOG_UNMATCHED));
  EXPECT_EQ(L.log->stats.unmatched, 2);
  EXPECT_EQ(L.log->stats.first_unmatched, 7);
  char buf[256];
  std::string sum = kp_klog_stats_summary("journal.json", L.log->format, &L.log->stats, buf, sizeof buf);
  EXPECT_EQ(sum, "journal.json: journal-json, 8 lines, 2 unmatched (first at line 7)");
}

TEST(KernLog, ConsoleCaptureKasanReport) {
  Log L(kDir + "console_crash.log");
  ASSERT_EQ(L.log->n, 38);
  EXPECT_EQ(L.log->stats.unmatched, 3);  // the three systemd "[  OK  ]" lines
  EXPECT_TRUE(L.flag(1, KP_KLOG_UNMATCHED));
  EXPECT_TRUE(L.flag(15, KP_KLOG_UNMATCHED));
  EXPECT_FALSE(L.flag(15, KP_KLOG_CONT));
  EXPECT_EQ(L.msg(3), "systemd[1]: Started Session 7 of User ops.");  // PRINTK_CALLER "[    T1]" dropped
  EXPECT_DOUBLE_EQ(L[3].uptime, 4410.998877);
  EXPECT_EQ(L[4].flags, 0u);  // the opening rule
  EXPECT_TRUE(L.flag(5, KP_KLOG_HEAD));
  expect_range(L, 6, 14, KP_KLOG_CONT);
  expect_range(L, 16, 35, KP_KLOG_CONT);  // interleaved systemd line does not end the report
  EXPECT_TRUE(L.flag(36, KP_KLOG_HEAD));
  expect_range(L, 37, 38, KP_KLOG_CONT);
  EXPECT_EQ(L.log->stats.heads, 2);
}

TEST(KernLog, SyslogYearRules) {
  P p(KP_KLOG_SYSLOG, 2023);
  double dec = p("Dec 31 23:59:58 h kernel: a").time;
  EXPECT_EQ(dec, (double)klog_days_from_civil(2023, 12, 31) * 86400 + 86398);
  double jan = p("Jan  1 00:00:01 h kernel: b").time;  // rollover
  EXPECT_EQ(jan - dec, 3.0);
  double late = p("Dec 31 23:59:59 h kernel: c").time;  // a late line from the old year
  EXPECT_EQ(late - dec, 1.0);
  EXPECT_EQ(p("Feb  2 00:00:00 h kernel: d").time, (double)klog_days_from_civil(2024, 2, 2) * 86400);
  // zero-padded day, one-digit day with one space, fractional seconds
  EXPECT_EQ(p("Feb 02 00:00:00.5 h kernel: d").time, (double)klog_days_from_civil(2024, 2, 2) * 86400 + 0.5);
  EXPECT_EQ(p("Feb 2 00:00:00 h kernel: d").time, (double)klog_days_from_civil(2024, 2, 2) * 86400);
  // local stamps at UTC-5
  P q(KP_KLOG_SYSLOG, 2024, -300);
  EXPECT_EQ(q("Mar  3 09:02:11 h kernel: x").time, kMar3);
  // no year given: the current year or the one before, never in the future by months
  P now(KP_KLOG_SYSLOG, 0);
  double t = now("Jan  1 00:00:00 h kernel: x").time;
  EXPECT_LE(t, (double)time(nullptr));
  EXPECT_GE(t, (double)time(nullptr) - 367 * 86400.0);
}

TEST(KernLog, SyslogHeaderShapes) {
  P p(KP_KLOG_SYSLOG);
  p("Mar  3 14:02:11 gpu-node-17 kernel: [   12.345678] nvme nvme0: pci function 0000:5e:00.0");
  EXPECT_EQ(p.msg(), "nvme nvme0: pci function 0000:5e:00.0");
  EXPECT_DOUBLE_EQ(p.r.uptime, 12.345678);
  p("Mar  3 14:02:11 gpu-node-17 kernel: ");  // empty kernel message
  EXPECT_EQ(p.msg(), "");
  EXPECT_FALSE(p.r.flags & KP_KLOG_UNMATCHED);
  p("Mar  3 14:02:11 kernel: no host here");  // tag right after the stamp
  EXPECT_STREQ(p.r.host, "");
  EXPECT_STREQ(p.r.ident, "kernel");
  EXPECT_EQ(p.msg(), "no host here");
  p("Mar  3 14:02:11 gpu-node-17 /usr/sbin/cron[812]: (CRON) INFO (pidfile fd = 3)");
  EXPECT_STREQ(p.r.ident, "/usr/sbin/cron");
  EXPECT_EQ(p.r.pid, 812);
  p("Mar  3 14:02:11 gpu-node-17 -- MARK --");  // no tag: the rest is the message
  EXPECT_STREQ(p.r.ident, "");
  EXPECT_EQ(p.msg(), "-- MARK --");
  for (const char *bad : {"Mar 33 14:02:11 h kernel: x", "Mar  3 25:02:11 h kernel: x", "Mrz  3 14:02:11 h kernel: x",
                          "Mar  3 14:02 h kernel: x", "2024-13-03T14:02:11Z h kernel: x", "plain text",
                          "Mar  3 14:02:11"}) {
    p(bad);
    EXPECT_TRUE(p.r.flags & KP_KLOG_UNMATCHED) << bad;
    EXPECT_EQ(p.msg(), bad);
    EXPECT_TRUE(std::isnan(p.r.time)) << bad;
  }
}

TEST(KernLog, ReportShapes) {
  P p(KP_KLOG_CONSOLE);
  auto fl = [&](const char *s) { return p(s).flags; };
  EXPECT_EQ(fl("------------[ cut here ]------------"), 0u);
  EXPECT_EQ(fl("WARNING: CPU: 2 PID: 1 at drivers/gpu/drm/drm_atomic_helper.c:1520 drm_atomic_helper_wait_for_vblanks+0x1c4/0x1d0"),
            (uint32_t)KP_KLOG_HEAD);
  EXPECT_EQ(fl("[<ffffffff8108ba4f>] ? warn_slowpath_common+0x7f/0xc0"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("pc : mlx5_core_dev_release+0x1c/0x40"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("x29: ffff80000a44bb10 x28: 0000000000000000 x27: 0000000000000000"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("---[ end trace 8f2c1a3b4d5e6f70 ]---"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("e1000e 0000:00:1f.6 eno1: NIC Link is Down"), 0u);
  EXPECT_EQ(fl("  indented but no report"), 0u);
  EXPECT_EQ(fl("ACPI: Added _OSI(Module Device)"), 0u);
  EXPECT_EQ(fl("Oops: 0002 [#1] SMP"), (uint32_t)KP_KLOG_HEAD);  // no BUG line before it
  EXPECT_EQ(fl("kernel BUG at mm/slub.c:4252!"), (uint32_t)KP_KLOG_HEAD);
  EXPECT_EQ(fl("invalid opcode: 0000 [#1] SMP PTI"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("CPU: 3 UID: 0 PID: 77 Comm: kworker/3:1 Not tainted 6.12.0 #1"), (uint32_t)KP_KLOG_CONT);
  EXPECT_EQ(fl("usb 2-1: USB disconnect, device number 3"), 0u);
  EXPECT_EQ(fl("Memory cgroup out of memory: Killed process 991 (java) total-vm:9123456kB"), (uint32_t)KP_KLOG_HEAD);
}

// ---- bad input ----

TEST(KernLogBadInput, MissingFileNamesIt) {
  kp_klog_log *log = nullptr;
  EXPECT_EQ(kp_klog_load("/nonexistent/dir/kern.log", nullptr, &log), KP_ERR_IO);
  EXPECT_EQ(log, nullptr);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/dir/kern.log: cannot open"), std::string::npos);
  if (geteuid() != 0) {  // root reads anything
    std::string f = tmpfile_with("Mar  3 14:02:11 h kernel: x\n");
    chmod(f.c_str(), 0);
    EXPECT_EQ(kp_klog_load(f.c_str(), nullptr, &log), KP_ERR_IO);
    EXPECT_NE(std::string(kp_last_error()).find(f), std::string::npos);
    unlink(f.c_str());
  }
}

TEST(KernLogBadInput, EmptyInputs) {
  for (const char *bytes : {"", "\n\n\n", "   \r\n\t\n"}) {
    std::string f = tmpfile_with(bytes);
    Log L(f);
    ASSERT_NE(L.log, nullptr);
    EXPECT_EQ(L.log->format, KP_KLOG_CONSOLE);
    EXPECT_EQ(L.log->stats.unmatched, 0);
    EXPECT_EQ(L.log->stats.empty, L.log->n);
    unlink(f.c_str());
  }
}

TEST(KernLogBadInput, RandomBytesAreRejectedOrCounted) {
  std::mt19937 g(7);
  std::string bytes(64 * 1024, 0);
  for (auto &c : bytes) c = (char)(g() & 0xff);
  std::string f = tmpfile_with(bytes);
  kp_klog_log *log = nullptr;
  EXPECT_EQ(kp_klog_load(f.c_str(), nullptr, &log), KP_ERR_FORMAT);
  std::string e = kp_last_error();
  EXPECT_NE(e.find(f + ":"), std::string::npos) << e;
  EXPECT_NE(e.find("binary data, not a text log"), std::string::npos) << e;
  // accepted on request: every line kept, flagged and counted, nothing crashes
  for (kp_klog_format fmt : {KP_KLOG_AUTO, KP_KLOG_SYSLOG, KP_KLOG_JOURNAL_JSON, KP_KLOG_DMESG, KP_KLOG_CONSOLE}) {
    kp_klog_options o{};
    o.format = fmt;
    o.allow_binary = true;
    ASSERT_EQ(kp_klog_load(f.c_str(), &o, &log), KP_OK) << kp_last_error();
    int64_t newlines = std::count(bytes.begin(), bytes.end(), '\n');
    EXPECT_EQ(log->n, newlines + (bytes.back() != '\n'));
    EXPECT_GT(log->stats.binary, log->n / 2);
    EXPECT_EQ(log->stats.unmatched + log->stats.empty >= log->stats.binary, true);
    kp_klog_log_free(log);
  }
  unlink(f.c_str());
}

TEST(KernLogBadInput, NulRunsFromACrashedWriteAreCounted) {
  // after a hard reset, kern.log often holds a block of NULs glued to the next line
  std::string text = "Mar  3 14:02:11 h kernel: [    1.000000] before\n" + std::string(4096, '\0') +
                     "Mar  3 14:05:01 h kernel: [    0.000000] Linux version 5.15.0\n" + std::string(300, '\0') +
                     "\nMar  3 14:05:02 h kernel: [    0.100000] after\n";
  std::string f = tmpfile_with(text);
  Log L(f);
  ASSERT_EQ(L.log->n, 4);
  EXPECT_EQ(L.log->format, KP_KLOG_SYSLOG);
  EXPECT_EQ(L.msg(2), "Linux version 5.15.0");  // the NUL run before the header is skipped
  EXPECT_TRUE(L.flag(2, KP_KLOG_REPAIRED));
  EXPECT_FALSE(L.flag(2, KP_KLOG_UNMATCHED));
  EXPECT_TRUE(L.flag(3, KP_KLOG_BINARY));  // a line of NULs alone
  EXPECT_TRUE(L.flag(3, KP_KLOG_UNMATCHED));
  EXPECT_EQ(L.log->stats.binary, 1);
  EXPECT_EQ(L.log->stats.repaired, 2);
  EXPECT_EQ(L.log->stats.first_unmatched, 3);
  EXPECT_EQ(L.msg(4), "after");
  unlink(f.c_str());
}

TEST(KernLogBadInput, LongLinesCrlfAndInvalidUtf8) {
  std::string big(1 << 20, 'x');
  std::string text = "[    1.000000] short\r\n[    2.000000] " + big + "\r\n[    3.000000] caf\xe9 \xff\r\n[    4.0] end";
  std::string f = tmpfile_with(text);
  Log L(f);
  ASSERT_EQ(L.log->n, 4);
  EXPECT_EQ(L.log->format, KP_KLOG_DMESG);
  EXPECT_EQ(L.msg(1), "short");
  EXPECT_EQ(L[2].msg_len, big.size());
  EXPECT_EQ(L.msg(3), "caf\xef\xbf\xbd \xef\xbf\xbd");
  EXPECT_TRUE(L.flag(3, KP_KLOG_REPAIRED));
  EXPECT_FALSE(L.flag(3, KP_KLOG_BINARY));
  EXPECT_DOUBLE_EQ(L[4].uptime, 4.0);
  EXPECT_EQ(L.msg(4), "end");
  unlink(f.c_str());
}

TEST(KernLog, StreamingMatchesLoadAndExplicitFormat) {
  Log L(kDir + "dmesg.txt");
  kp_klog_options o{};
  o.format = KP_KLOG_DMESG;
  kp_klog_reader *r;
  KP_ASSERT_OK(kp_klog_reader_open((kDir + "dmesg.txt").c_str(), &o, &r));
  EXPECT_EQ(kp_klog_reader_format(r), KP_KLOG_DMESG);
  int64_t i = 0;
  for (;;) {
    kp_klog_record rec;
    bool eof;
    KP_ASSERT_OK(kp_klog_reader_next(r, &rec, &eof));
    if (eof) break;
    ASSERT_LT(i, L.log->n);
    EXPECT_EQ(std::string(rec.msg, rec.msg_len), L.msg(i + 1));
    EXPECT_EQ(rec.flags, L[i + 1].flags);
    EXPECT_EQ(std::string(rec.line, rec.line_len), std::string(L[i + 1].line, L[i + 1].line_len));
    i++;
  }
  EXPECT_EQ(i, L.log->n);
  kp_klog_stats st = kp_klog_reader_stats(r);
  EXPECT_EQ(st.heads, L.log->stats.heads);
  EXPECT_EQ(st.cont, L.log->stats.cont);
  kp_klog_reader_close(r);
  // a wrong explicit format: every line is kept and counted as unmatched, never dropped
  o.format = KP_KLOG_SYSLOG;
  kp_klog_log *log;
  KP_ASSERT_OK(kp_klog_load((kDir + "dmesg.txt").c_str(), &o, &log));
  EXPECT_EQ(log->n, 64);
  EXPECT_EQ(log->stats.unmatched, 64);
  EXPECT_EQ(log->stats.first_unmatched, 1);
  kp_klog_log_free(log);
}

TEST(KernLogBadInput, EveryPrefixOfEveryFixtureLineParsesInEveryFormat) {
  // Cut lines anywhere (as a truncated copy or a full disk would): no format may read past the
  // end of a line. Each prefix lives in its own exact-size heap block so a sanitizer build sees overreads.
  std::vector<std::string> lines;
  for (const char *f : {"kern.log", "syslog_rfc3339.log", "journal_short.txt", "journal_iso.txt", "journal.json", "dmesg.txt",
                        "dmesg_T.txt", "dmesg_raw.txt", "console_crash.log"}) {
    Log L(kDir + f);
    for (int64_t i = 0; i < L.log->n; i++) lines.emplace_back(L.log->rec[i].line, L.log->rec[i].line_len);
  }
  int64_t parsed = 0;
  for (int f = KP_KLOG_SYSLOG; f <= KP_KLOG_CONSOLE; f++) {
    kp_klog_parser *p;
    KP_ASSERT_OK(kp_klog_parser_new((kp_klog_format)f, nullptr, &p));
    for (auto &l : lines)
      for (size_t n = 0; n <= l.size(); n += (f == KP_KLOG_JOURNAL_JSON ? 7 : 1)) {
        std::unique_ptr<char[]> cut(new char[n ? n : 1]);
        memcpy(cut.get(), l.data(), n);
        kp_klog_record r;
        kp_klog_parser_line(p, cut.get(), n, 1, &r);
        ASSERT_LE(r.msg_len, 4 * n + 64);
        ASSERT_EQ(strlen(r.msg), r.msg_len);
        parsed++;
      }
    kp_klog_parser_free(p);
  }
  EXPECT_GT(parsed, 100000);
}
