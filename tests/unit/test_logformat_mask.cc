// Log format strings (loghub's benchmark formats, kernel formats, bad formats, the fast matcher
// against PCRE2) and masking (real kernel messages, words that must stay, user masks in order,
// empty matches as Python's re.sub, the token-wise default pass against one PCRE2 alternation).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <random>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/logformat.h"
#include "kprca/mask.h"
#include "text/logformat_fast.h"

namespace {
using Strs = std::vector<std::string>;

struct Fmt {
  kp_logformat *f = nullptr;
  explicit Fmt(const char *s) {
    if (kp_logformat_compile(s, &f) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Fmt() { kp_logformat_free(f); }
  // The fields of line, or {} when it does not match.
  Strs match(const std::string &line) {
    std::vector<kp_span> sp(64);
    bool m;
    if (kp_logformat_match(f, line.data(), line.size(), sp.data(), &m) != KP_OK) throw std::runtime_error(kp_last_error());
    Strs out;
    for (int i = 0; m && i < kp_logformat_nfields(f); i++) out.push_back(line.substr(sp[i].off, sp[i].len));
    return out;
  }
};

struct Masker {
  kp_masker *m = nullptr;
  explicit Masker(bool defaults = true, Strs extra = {}) {
    if (kp_masker_new(&m) != KP_OK) throw std::runtime_error(kp_last_error());
    for (auto &x : extra)
      if (kp_masker_add(m, x.c_str()) != KP_OK) throw std::runtime_error(kp_last_error());
    if (defaults && kp_masker_add_defaults(m) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  ~Masker() { kp_masker_free(m); }
  std::string operator()(const std::string &s) {
    const char *o;
    size_t n;
    if (kp_masker_apply(m, s.data(), s.size(), &o, &n) != KP_OK) throw std::runtime_error(kp_last_error());
    EXPECT_EQ(strlen(o), n);
    return std::string(o, n);
  }
};
}  // namespace

TEST(LogFormat, LoghubBenchmarkFormats) {
  Fmt hdfs("<Date> <Time> <Pid> <Level> <Component>: <Content>");
  EXPECT_STREQ(kp_logformat_regex(hdfs.f),
               "^(?P<Date>.*?)\\s+(?P<Time>.*?)\\s+(?P<Pid>.*?)\\s+(?P<Level>.*?)\\s+(?P<Component>.*?):\\s+(?P<Content>.*)$");
  EXPECT_EQ(hdfs.match("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
                       "blk_38865049064139660 terminating"),
            (Strs{"081109", "203615", "148", "INFO", "dfs.DataNode$PacketResponder",
                  "PacketResponder 1 for block blk_38865049064139660 terminating"}));
  // runs of spaces in the format and in the line; the line is trimmed first
  Fmt zk("<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>");
  EXPECT_EQ(zk.match("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
                     "Notification time out: 3200  \r\n"),
            (Strs{"2015-07-29", "17:41:44,747", "INFO", "QuorumPeer[myid=1]/0", "0:0:0:0:0:0:0:2181:FastLeaderElection",
                  "774", "Notification time out: 3200"}));
  // an optional group: present and absent
  Fmt linux_fmt("<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>");
  EXPECT_FALSE(kp_logformat_has_fast(linux_fmt.f));  // groups go to PCRE2
  EXPECT_EQ(linux_fmt.match("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"),
            (Strs{"Jun", "14", "15:16:01", "combo", "sshd(pam_unix)", "19939", "check pass; user unknown"}));
  EXPECT_EQ(linux_fmt.match("Jun 15 04:06:18 combo kernel: Linux version 2.6.5-1.358"),
            (Strs{"Jun", "15", "04:06:18", "combo", "kernel", "", "Linux version 2.6.5-1.358"}));
  Fmt health("<Time>\\|<Component>\\|<Pid>\\|<Content>");
  EXPECT_EQ(health.match("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579"),
            (Strs{"20171223-22:15:29:606", "Step_LSC", "30002312", "onStandStepChanged 3579"}));
  EXPECT_EQ(health.match("no pipes here"), Strs{});
  EXPECT_EQ(kp_logformat_nfields(health.f), 4);
  EXPECT_STREQ(kp_logformat_field(health.f, 3), "Content");
  EXPECT_EQ(kp_logformat_find(health.f, "Pid"), 2);
  EXPECT_EQ(kp_logformat_find(health.f, "Nope"), -1);
}

TEST(LogFormat, KernelFormats) {
  Fmt syslog("<Month> <Day> <Time> <Host> kernel: \\[\\s*<Uptime>\\] <Content>");
  EXPECT_TRUE(kp_logformat_has_fast(syslog.f));
  EXPECT_EQ(syslog.match("Nov  4 13:30:08 gpu-node-17 kernel: [    5.123456] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, "
                         "GPU has fallen off the bus."),
            (Strs{"Nov", "4", "13:30:08", "gpu-node-17", "5.123456",
                  "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus."}));
  Fmt dmesg("\\[<Uptime>\\] <Content>");
  EXPECT_EQ(dmesg.match("[12345.678901] INFO: task jbd2/sda1-8:345 blocked for more than 120 seconds."),
            (Strs{"12345.678901", "INFO: task jbd2/sda1-8:345 blocked for more than 120 seconds."}));
  // lazy fields stop at the first place where the rest can match; Content takes the rest
  Fmt two("<A>: <Content>");
  EXPECT_EQ(two.match("a: b: c"), (Strs{"a", "b: c"}));
  Fmt whole("<Content>");
  EXPECT_EQ(whole.match("   "), Strs{""});  // a blank line matches <Content> with an empty message
}

TEST(LogFormat, BadFormatsNameTheProblem) {
  struct Case {
    const char *fmt, *needle;
  } cases[] = {
      {"", "empty format"},
      {"no fields here", "names no <Field>"},
      {"<Date> <1abc> <Content>", "column 8: field name '1abc'"},
      {"<A> <A> <Content>", "column 5: field <A> appears twice"},
      {"<A-B> <Content>", "field name 'A-B'"},
      {"<Date> (<Content>", "invalid regular expression"},
  };
  for (auto &c : cases) {
    kp_logformat *f = nullptr;
    EXPECT_EQ(kp_logformat_compile(c.fmt, &f), KP_ERR_INVALID) << c.fmt;
    EXPECT_EQ(f, nullptr);
    EXPECT_NE(std::string(kp_last_error()).find(c.needle), std::string::npos) << kp_last_error();
  }
}

TEST(LogFormat, FastMatcherAgreesWithPcre2) {
  const char *formats[] = {
      "<Date> <Time> <Pid> <Level> <Component>: <Content>",
      "\\[<Time>\\] \\[<Level>\\] <Content>",
      "<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>",
      "<Time>\\|<Component>\\|<Pid>\\|<Content>",
      "<A> <B>\\s*x\\s<Content>",
      "<A>:<B>: <Content> end",
      "<A><B> <Content>",
  };
  std::mt19937 g(11);
  const Strs pieces = {"a", "b", "x", " ", "  ", "\t", ":", "[", "]", "|", "-", "@", "end", "1", "é", "\r"};
  for (const char *fs : formats) {
    Fmt fast(fs), slow(fs);
    ASSERT_TRUE(kp_logformat_has_fast(fast.f)) << fs;
    kp_logformat_disable_fast(slow.f);
    for (int it = 0; it < 4000; it++) {
      std::string line;
      for (int k = std::uniform_int_distribution<int>(0, 14)(g); k > 0; k--)
        line += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(g)];
      ASSERT_EQ(fast.match(line), slow.match(line)) << fs << " on [" << line << "]";
    }
  }
}

TEST(Mask, DefaultsOnRealKernelMessages) {
  Masker m;
  struct Case {
    const char *in, *out;
  } cases[] = {
      {"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable", "BIOS-e820: [mem <*>-<*>] usable"},
      {"pci 0000:3b:00.0: [15b3:1017] type 00 class 0x020000", "pci <*>: [<*>] type <*> class <*>"},
      {"nvme nvme0: pci function 0000:5e:00.0", "nvme <*>: pci function <*>"},
      {"EXT4-fs (nvme0n1p2): mounted filesystem with ordered data mode. Opts: (null)",
       "EXT4-fs (<*>): mounted filesystem with ordered data mode. Opts: (null)"},
      {"sd 0:0:0:0: [sda] 468862128 512-byte logical blocks: (240 GB/224 GiB)",
       "sd <*>: [<*>] <*> <*>-byte logical blocks: (<*> GB/<*> GiB)"},
      {"mlx5_core 0000:3b:00.0 ens1f0np0: Link up", "mlx5_core <*> <*>: Link up"},
      {"IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready", "IPv6: ADDRCONF(NETDEV_CHANGE): <*>: link becomes ready"},
      {"CPU: 12 PID: 4567 Comm: kworker/12:1 Tainted: G           OE     5.15.0 #1",
       "CPU: <*> PID: <*> Comm: kworker/<*>:<*> Tainted: G           OE     <*> #<*>"},
      {"INFO: task jbd2/sda1-8:345 blocked for more than 120 seconds.",
       "INFO: task jbd2/<*>-<*>:<*> blocked for more than <*> seconds."},
      {"watchdog: BUG: soft lockup - CPU#5 stuck for 22s! [stress:1234]",
       "watchdog: BUG: soft lockup - CPU#<*> stuck for <*>! [stress:<*>]"},
      {"Out of memory: Killed process 1234 (java) total-vm:123456kB, anon-rss:1234kB, file-rss:0kB, shmem-rss:0kB, "
       "UID:1000 pgtables:1234kB oom_score_adj:0",
       "Out of memory: Killed process <*> (java) total-vm:<*>, anon-rss:<*>, file-rss:<*>, shmem-rss:<*>, UID:<*> "
       "pgtables:<*> oom_score_adj:<*>"},
      {"BUG: unable to handle page fault for address: ffff8881234abcd0", "BUG: unable to handle page fault for address: <*>"},
      {"RIP: 0010:__list_del_entry_valid+0x5c/0x90", "RIP: <*>:__list_del_entry_valid+<*>/<*>"},
      {"NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.",
       "NVRM: Xid (PCI:<*>): <*>, pid=<*>, GPU has fallen off the bus."},
      {"e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
       "e1000e <*> <*>: NIC Link is Up <*> Mbps Full Duplex, Flow Control: Rx/Tx"},
      {"audit: type=1400 audit(1700000000.123:456): apparmor=\"DENIED\" operation=\"open\" name=\"/proc/1234/maps\" pid=1234",
       "audit: type=<*> audit(<*>:<*>): apparmor=\"DENIED\" operation=\"open\" name=\"<*>\" pid=<*>"},
      {"usb 1-1.2: new high-speed USB device number 3 using ehci-pci",
       "usb <*>-<*>: new high-speed USB device number <*> using ehci-pci"},
      {"nfs: server 10.0.0.5 not responding, still trying", "nfs: server <*> not responding, still trying"},
      {"wlp2s0: authenticate with 00:1b:21:3a:4b:5c", "<*>: authenticate with <*>"},
      {"blk_update_request: I/O error, dev sda, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
       "blk_update_request: I/O error, dev <*>, sector <*> op <*>:(READ) flags <*> phys_seg <*> prio class <*>"},
      {"IPv6: eth0: IPv6 duplicate address fe80::1c2b:3aff:fe4d:5e6f used by 00:11:22:33:44:55 detected!",
       "IPv6: <*>: IPv6 duplicate address <*> used by <*> detected!"},
      {"segfault at 0 ip 00007f3a2b1c4d5e sp 00007ffd12345678 error 4 in libc.so.6[7f3a2b000000+195000]",
       "segfault at <*> ip <*> sp <*> error <*> in libc.so.6[<*>+<*>]"},
      {"Memory: 16234567K/16777216K available (14339K kernel code, 2432K rwdata)",
       "Memory: <*>/<*> available (<*> kernel code, <*> rwdata)"},
      {"EXT4-fs (sda1): UUID=3f1c2a9e-8b7d-4c6e-9f00-1234567890ab mounted on /mnt/data",
       "EXT4-fs (<*>): UUID=<*> mounted on <*>"},
      {"Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
       "Linux version <*>-<*>-generic (buildd@lcy02-amd64-<*>) #<*>-Ubuntu SMP Tue Nov <*> <*> UTC <*>"},
      {"pcieport 0000:00:01.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)",
       "pcieport <*>: PCIe Bus Error: severity=Corrected, type=Physical Layer, (Receiver ID)"},
      {" <TASK>", " <TASK>"},
      {" </TASK>", " </TASK>"},
      {"", ""},
  };
  for (auto &c : cases) EXPECT_EQ(m(c.in), c.out) << c.in;
}

TEST(Mask, DefaultsLeaveWordsAlone) {
  Masker m;
  const char *keep[] = {
      "sdhci: Secure Digital Host Controller Interface driver",
      "mmc0: new high speed SDIO card; sdio vdso md5",
      "deadbeef added accessed decade facade cafe bead faced",
      "ext4 jbd2 mlx5_core x86/fpu ehci-pci e1000e i40e bnxt_en nvidia-uvm",
      "Call Trace: <IRQ> </IRQ> ---[ end trace ]--- Rx/Tx std::vector",
      "systemd-journald enough ensure wlan bond bridge tunnel veth",
  };
  for (const char *s : keep) EXPECT_EQ(m(s), s);
}

TEST(Mask, UserMasksRunInOrderBeforeTheDefaults) {
  // the order matters: a later mask sees "<*>" from an earlier one
  Masker ab(false, {"blk_-?\\d+", "<\\*> ter"});
  EXPECT_EQ(ab("block blk_-123 terminating"), "block <*>minating");
  Masker ba(false, {"<\\*> ter", "blk_-?\\d+"});
  EXPECT_EQ(ba("block blk_-123 terminating"), "block <*> terminating");
  // user masks first, then the defaults
  Masker both(true, {"user \\w+"});
  EXPECT_EQ(both("user alice1 logged in from 10.1.2.3"), "<*> logged in from <*>");
  EXPECT_EQ(kp_masker_npasses(both.m), 2u);
  // loghub's masks can span spaces (OpenStack's "/.+?\\s")
  Masker os(false, {"((\\d+\\.){3}\\d+,?)+", "/.+?\\s", "\\d+"});
  EXPECT_EQ(os("10.11.10.1 \"GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893"),
            "<*> \"GET <*>HTTP<*>status: <*> len: <*>");
  // Unicode-aware classes, as Python's re: an Arabic-Indic digit is a \d
  Masker uni(false, {"\\d+"});
  EXPECT_EQ(uni("x \xd9\xa3\xd9\xa4 y 12"), "x <*> y <*>");
}

TEST(Mask, EmptyMatchesAsPythonReSub) {
  // re.sub('x*', '-', 'abxd') == '-a-b--d-' (Python 3.7+)
  Masker m(false, {"x*"});
  EXPECT_EQ(m("abxd"), "<*>a<*>b<*><*>d<*>");
  Masker e(false, {"$"});
  EXPECT_EQ(e("ab"), "ab<*>");
  Masker u(false, {"q*"});
  EXPECT_EQ(u("\xc3\xa9"), "<*>\xc3\xa9<*>");  // steps over a whole character
}

TEST(Mask, ErrorsAndOddInput) {
  kp_masker *m;
  KP_ASSERT_OK(kp_masker_new(&m));
  EXPECT_EQ(kp_masker_add(m, "(unclosed"), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("mask '(unclosed'"), std::string::npos) << kp_last_error();
  EXPECT_EQ(kp_masker_add(m, ""), KP_ERR_INVALID);
  KP_ASSERT_OK(kp_masker_add_defaults(m));
  const char *o;
  size_t n;
  EXPECT_EQ(kp_masker_apply(m, "bad \xff byte", 10, &o, &n), KP_ERR_INVALID);
  EXPECT_EQ(kp_masker_apply(m, "overlong \xc0\xaf", 11, &o, &n), KP_ERR_INVALID);
  // a 1 MB line without spaces, and one with many numbers
  std::string big(1 << 20, 'a'), nums;
  for (int i = 0; i < 100000; i++) nums += std::to_string(i) + " ";
  KP_ASSERT_OK(kp_masker_apply(m, big.data(), big.size(), &o, &n));
  EXPECT_EQ(std::string(o, n), big);
  KP_ASSERT_OK(kp_masker_apply(m, nums.data(), nums.size(), &o, &n));
  EXPECT_EQ(n, 100000u * 4);
  kp_masker_free(m);
  EXPECT_GE(kp_mask_default_count(), 12u);
  for (size_t i = 0; i < kp_mask_default_count(); i++) {
    EXPECT_NE(kp_mask_default_name(i), nullptr);
    EXPECT_NE(kp_mask_default_example(i), nullptr);
  }
}

// The default pass runs token by token with shortcuts; it must give what one PCRE2 alternation of
// the rules gives when run over the whole line.
TEST(Mask, TokenwiseDefaultsEqualOneRegexOverTheLine) {
  std::string alt = "(?<![A-Za-z0-9_])(?:";
  for (size_t i = 0; i < kp_mask_default_count(); i++)
    alt += std::string(i ? "|" : "") + "(?:" + kp_mask_default_pattern(i) + ")";
  alt += ")";
  int err;
  PCRE2_SIZE eoff;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)alt.c_str(), PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &eoff, nullptr);
  ASSERT_NE(re, nullptr);
  pcre2_match_data *md = pcre2_match_data_create(1, nullptr);
  auto reference = [&](const std::string &s) {
    std::string out;
    size_t pos = 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    while (pos <= s.size() && pcre2_match(re, (PCRE2_SPTR)s.data(), s.size(), pos, 0, md, nullptr) >= 0) {
      out += s.substr(pos, ov[0] - pos) + "<*>";
      pos = ov[1];
    }
    return pos < s.size() ? out + s.substr(pos) : out;
  };
  const Strs P = {"0",  "1",   "7",     "9",   "12",  "255", "1234", "65535", "a",    "f",    "x",  "0x",  "0X", "ff",
                  "dead", "beef", "abcdef", "g", "z",   "Q",   "_",    ":",     "::",   ".",    "-",  "/",   "%",  "+",
                  "#",  "(",   ")",     "[",   "]",   ",",   "=",    "<",     ">",    "~",    "@",  "sd",  "sda", "sdio",
                  "vd", "xvd", "nvme",  "n1",  "p2",  "mmcblk", "md", "md5",  "dm-",  "loop", "eth", "enp", "s0f", "wlp",
                  "ib", "br",  "veth",  "kB",  "MiB", "ms",  "us",   "s",     "sec",  "Hz",   "GT/s", "Mbps", "C", "\xc2\xb5",
                  "\xc3\xa9", " ", "  ", "\t", "e",   "E",   "i",    "B",     "b",    "K",    "M",  "G",   "io", "so"};
  Masker m;
  std::mt19937 g(5);
  for (int it = 0; it < 30000; it++) {
    std::string line;
    for (int k = std::uniform_int_distribution<int>(1, 14)(g); k > 0; k--)
      line += P[std::uniform_int_distribution<size_t>(0, P.size() - 1)(g)];
    ASSERT_EQ(m(line), reference(line)) << "line [" << line << "]";
  }
  // Near misses of each rule: its shapes (uuid, MAC, IPv6, PCI, IPv4 with port and prefix, SCSI,
  // time, hex, quantities, hex ids, disks, NICs, paths) with random digit counts, separators and
  // neighbours, so every quantifier bound, alternative and lookaround is crossed both ways.
  auto pick = [&](const std::string &set) { return set[std::uniform_int_distribution<size_t>(0, set.size() - 1)(g)]; };
  auto run = [&](const std::string &set, int lo, int hi) {
    std::string r;
    for (int k = std::uniform_int_distribution<int>(lo, hi)(g); k > 0; k--) r += pick(set);
    return r;
  };
  const std::string D = "0123456789", H = "0123456789abcdefABCDEF", L = "abcdefghijklmnopqrstuvwxyz";
  const std::string SEP = ":.-/,_%+~@<>=()[]#x ";
  const Strs NAMES = {"sd", "sdio", "xvd", "vd", "nvme", "mmcblk", "md", "md5", "dm-", "loop", "nbd", "sr", "zram",
                      "rbd", "eth", "enp", "ens", "wlp", "wlan", "ib", "bond", "br", "veth", "docker", "virbr", "vlan",
                      "tun", "tap", "en", "wl", "p", "c", "n", "s"};
  const Strs UNITS = {"bytes", "byte", "Mb/s", "GT/s", "Gbps", "kHz", "Hz", "KiB", "kB", "MB", "b", "B", "K", "G", "ns",
                      "us", "\xc2\xb5s", "ms", "s", "sec", "secs", "min", "mins", "%", "C", "Ki", "i", "Hzx", "sx"};
  for (int it = 0; it < 40000; it++) {
    std::string line;
    for (int k = std::uniform_int_distribution<int>(1, 8)(g); k > 0; k--) {
      switch (std::uniform_int_distribution<int>(0, 12)(g)) {
      case 11: // exact shapes (PCI, UUID, MAC, IPv6), then a digit or a word byte
      case 12:
        switch (std::uniform_int_distribution<int>(0, 4)(g)) {
        case 0: line += run(H, 4, 4) + ":" + run(H, 2, 2) + ":" + run(H, 2, 2) + "." + run(D, 1, 2); break;
        case 1: line += run(H, 2, 2) + ":" + run(H, 2, 2) + "." + run(D, 1, 2); break;
        case 2: line += run(H, 8, 8) + "-" + run(H, 4, 4) + "-" + run(H, 4, 4) + "-" + run(H, 4, 4) + "-" + run(H, 11, 13); break;
        case 3:
          for (int j = 0; j < 6; j++) line += (j ? ":" : "") + run(H, 2, 2);
          break;
        default: line += run(H, 1, 4) + "::" + run(H, 1, 4) + ":" + run(H, 0, 4); break;
        }
        if (pick("ab") == 'a') line += pick(":.%" + H);
        break;
      case 9:
      case 10: { // groups joined by one separator (addresses, ids, times), then maybe a port or a prefix
        const std::string &cls = pick("hd") == 'h' ? H : D;
        char sep = pick(":-.:");
        int lo = std::uniform_int_distribution<int>(1, 2)(g), hi = std::uniform_int_distribution<int>(lo, 4)(g);
        for (int n = std::uniform_int_distribution<int>(2, 8)(g), j = 0; j < n; j++)
          line += (j ? std::string(1, pick("abc") == 'a' ? pick(":.") : sep) : "") + run(cls, lo, hi);
        if (pick("ab") == 'a') line += std::string(1, pick(":/.")) + run(D, 1, 6);
        break;
      }
      case 0: line += run(H, 1, 9); break;
      case 1: line += run(D, 1, 6); break;
      case 2: line += run(L, 1, 3); break;
      case 3: line += NAMES[std::uniform_int_distribution<size_t>(0, NAMES.size() - 1)(g)]; break;
      case 4: line += UNITS[std::uniform_int_distribution<size_t>(0, UNITS.size() - 1)(g)]; break;
      default: line += pick(SEP); break;
      }
      if (std::uniform_int_distribution<int>(0, 2)(g) == 0) line += pick(SEP);
    }
    ASSERT_EQ(m(line), reference(line)) << "line [" << line << "]";
  }
  pcre2_match_data_free(md);
  pcre2_code_free(re);
}
