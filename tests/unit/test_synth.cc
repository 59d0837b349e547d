// The synthetic kernel-panic corpus: reproducibility, labels that point at real evidence, the
// panic line, the properties that make it hard (shared panic lines, benign look-alikes, missing
// evidence, interleaving, evidence long before the panic, lengths over orders of magnitude), the
// incident directory (labels.csv parsed by a small reader here) and argument errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "kprca/synth.h"

namespace {

struct Incident {
  std::string text;
  int category = 0;
  std::vector<int> cause;
  int panic = 0;
  std::vector<std::string> lines;
};

Incident make(const kp_synth_config &cfg, int64_t i) {
  kp_synth_incident inc;
  EXPECT_EQ(kp_synth_incident_make(&cfg, i, &inc), KP_OK) << kp_last_error();
  Incident r;
  r.text.assign(inc.text, inc.len);
  r.category = inc.category;
  r.cause.assign(inc.cause_lines, inc.cause_lines + inc.n_cause);
  r.panic = inc.panic_line;
  std::istringstream in(r.text);
  for (std::string l; std::getline(in, l);) r.lines.push_back(l);
  EXPECT_EQ((int)r.lines.size(), inc.lines);
  kp_synth_incident_free(&inc);
  return r;
}

// The message after "host kernel: [ uptime] ".
std::string msg(const std::string &line) {
  size_t k = line.find(" kernel: [");
  if (k == std::string::npos) return line;
  size_t e = line.find(']', k);
  if (e == std::string::npos) return line;
  return e + 2 <= line.size() ? line.substr(e + 2) : std::string();
}

double uptime(const std::string &line) {
  size_t k = line.find(" kernel: [");
  return k == std::string::npos ? -1 : std::atof(line.c_str() + k + 10);
}

std::vector<Incident> corpus(uint64_t seed, int n, double benign = 0.1) {
  kp_synth_config cfg = kp_synth_config_default();
  cfg.seed = seed;
  cfg.benign_fraction = benign;
  std::vector<Incident> v;
  for (int i = 0; i < n; i++) v.push_back(make(cfg, i));
  return v;
}

const std::vector<Incident> &sample() {
  static std::vector<Incident> v = corpus(2024, 300);
  return v;
}

uint64_t fnv(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// Evidence each root cause's marked lines must carry.
const std::map<std::string, std::string> &evidence() {
  static const std::map<std::string, std::string> m = {
      {"oom", "invoked oom-killer|oom-kill:constraint=CONSTRAINT_NONE|Out of memory: Killed process|Out of memory and no killable"},
      {"hung_task", "^INFO: task .* blocked for more than [0-9]+ seconds\\.$"},
      {"soft_lockup", "watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s!|^RIP: 0010:|Watchdog detected hard LOCKUP"},
      {"rcu_stall", "^rcu: (INFO: rcu_(sched|preempt) (self-detected stall|detected stalls)|\t[0-9]+-|rcu_(sched|preempt) kthread starved)"},
      {"null_deref", "NULL pointer dereference|^RIP: 0010:"},
      {"gpf_uaf", "BUG: KASAN: use-after-free|^(Read|Write) of size [0-9]+ at addr|^general protection fault|^RIP: 0010:"},
      {"gpu_xid", "^NVRM: Xid \\(PCI:|^NVRM: GPU .*fallen off the bus|AER: Uncorrected \\(Fatal\\)|PCIe Bus Error: severity=Uncorrected"},
      {"mce_ecc", "^EDAC MC[0-9]+: 1 CE|^mce: \\[Hardware Error\\]: (CPU [0-9]+: Machine Check Exception|TSC |Machine check: )|^\\{1\\}\\[Hardware Error\\]"},
      {"disk_io", "^nvme nvme[0-9]+: |I/O error, dev |medium error|^ata[0-9]+(\\.00)?: |^sd [0-9]+:0:0:0: |^nvme[0-9]n1: "},
      {"fs_corruption", "^EXT4-fs (error )?\\(|^XFS \\("},
      {"nic_timeout", "NETDEV WATCHDOG|^WARNING: CPU|TX timeout|Detected Tx Unit Hang|tx hang|reset due to tx timeout|Link down|Link is Down|poll_health|synd 0x|wait_func"},
      {"bug_warn", "^kernel BUG at |^WARNING: CPU: |^RIP: 0010:|list_del corruption|skb_over_panic|usercopy: |refcount_t: "},
      {"nfs", "^nfs: server .* not responding|^lockd: server .* not responding|^NFS: "},
  };
  return m;
}

TEST(Synth, CategoriesAndNames) {
  ASSERT_GE(kp_synth_category_count(), 14);  // none + at least 13 root causes
  EXPECT_STREQ(kp_synth_category_name(0), "none");
  std::set<std::string> names;
  for (int c = 0; c < kp_synth_category_count(); c++) {
    const char *n = kp_synth_category_name(c);
    ASSERT_NE(n, nullptr);
    names.insert(n);
    EXPECT_EQ(kp_synth_category_find(n, std::strlen(n)), c);
    EXPECT_NE(std::string(kp_synth_category_about(c)), "");
  }
  EXPECT_EQ((int)names.size(), kp_synth_category_count());
  for (auto &e : evidence()) EXPECT_TRUE(names.count(e.first)) << e.first;
  EXPECT_EQ(kp_synth_category_name(kp_synth_category_count()), nullptr);
  EXPECT_EQ(kp_synth_category_find("gpu", 3), -1);
}

TEST(Synth, SameSeedSameBytesOtherSeedOtherBytes) {
  kp_synth_config a = kp_synth_config_default(), b = a;
  a.seed = 77;
  b.seed = 78;
  int differ = 0;
  for (int i = 0; i < 40; i++) {
    Incident x = make(a, i), y = make(a, i), z = make(b, i);
    EXPECT_EQ(x.text, y.text);
    EXPECT_EQ(x.cause, y.cause);
    EXPECT_EQ(x.panic, y.panic);
    EXPECT_EQ(x.category, y.category);
    differ += x.text != z.text;
  }
  EXPECT_EQ(differ, 40);
  // neighbouring incidents of one seed are different too
  EXPECT_NE(make(a, 0).text, make(a, 1).text);
}

// Integer-only generation, no libm, every random draw in its own statement (C leaves the order of
// argument evaluation open: gcc and clang differ): these bytes must come out the same on every machine
// and compiler. A deliberate change of the generator changes them; update the values and say so in
// datasets/README.md. scripts/synth_draw_order.py (clang) finds draws whose order is unspecified.
TEST(Synth, GoldenBytes) {
  kp_synth_config cfg = kp_synth_config_default();
  cfg.seed = 1;
  Incident a = make(cfg, 0), b = make(cfg, 123);
  std::printf("golden: incident 0 fnv=%016llx len=%zu, incident 123 fnv=%016llx len=%zu\n", (unsigned long long)fnv(a.text),
              a.text.size(), (unsigned long long)fnv(b.text), b.text.size());
  EXPECT_EQ(a.text.size(), 13437u);
  EXPECT_EQ(b.text.size(), 66909u);
  EXPECT_EQ(fnv(a.text), 0xcc025891deaa1805ull) << "the synthetic corpus changed (see the comment above this test)";
  EXPECT_EQ(fnv(b.text), 0x5445600dd2842d5cull) << "the synthetic corpus changed (see the comment above this test)";
}

TEST(Synth, SyslogLinesAndMonotonicUptime) {
  std::regex prefix("^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] "
                    "[a-z0-9.-]+ kernel: \\[ *[0-9]+\\.[0-9]{6}\\]( .*)?$");
  for (const Incident &inc : sample()) {
    ASSERT_FALSE(inc.lines.empty());
    ASSERT_EQ(inc.text.back(), '\n');
    double last = -1;
    std::string host;
    for (const std::string &l : inc.lines) {
      ASSERT_TRUE(std::regex_match(l, prefix)) << l;
      ASSERT_EQ(l.find('\t'), std::string::npos) << "tabs are escaped as #011 in kern.log: " << l;
      double t = uptime(l);
      ASSERT_GE(t, last) << l;
      last = t;
      std::string h = l.substr(16, l.find(' ', 16) - 16);
      if (host.empty()) host = h;
      ASSERT_EQ(h, host) << "one host per incident";
    }
  }
}

TEST(Synth, EveryCategoryPresent) {
  std::map<int, int> n;
  for (const Incident &inc : sample()) n[inc.category]++;
  for (int c = 0; c < kp_synth_category_count(); c++) EXPECT_GT(n[c], 0) << kp_synth_category_name(c);
}

TEST(Synth, CauseLinesCarryTheCategoryEvidence) {
  int checked = 0;
  for (const Incident &inc : sample()) {
    std::string cat = kp_synth_category_name(inc.category);
    if (inc.category == 0) {
      EXPECT_TRUE(inc.cause.empty());
      continue;
    }
    std::regex re(evidence().at(cat));
    int prev = 0;
    for (int ln : inc.cause) {
      ASSERT_GT(ln, prev) << "sorted, no duplicates";
      ASSERT_LE(ln, (int)inc.lines.size());
      prev = ln;
      std::string m = msg(inc.lines[ln - 1]);
      // kern.log escapes the tab of rcu's per-CPU lines as #011
      size_t tab = m.find("#011");
      if (tab != std::string::npos) m.replace(tab, 4, "\t");
      EXPECT_TRUE(std::regex_search(m, re)) << cat << " line " << ln << ": " << m;
      checked++;
      if (inc.panic) EXPECT_LT(ln, inc.panic) << "evidence comes before the panic";
    }
  }
  EXPECT_GT(checked, 600);
}

TEST(Synth, XidIncidentsMarkTheXidLine) {
  int xid_marked = 0;
  for (const Incident &inc : sample())
    if (std::string(kp_synth_category_name(inc.category)) == "gpu_xid")
      for (int ln : inc.cause) xid_marked += msg(inc.lines[ln - 1]).rfind("NVRM: Xid (PCI:", 0) == 0;
  EXPECT_GT(xid_marked, 15);
}

TEST(Synth, PanicLinePointsAtThePanic) {
  int with = 0, without = 0;
  for (const Incident &inc : sample()) {
    int panics = 0;
    for (const std::string &l : inc.lines) panics += msg(l).rfind("Kernel panic - not syncing: ", 0) == 0;
    if (inc.category == 0) {
      EXPECT_EQ(inc.panic, 0);
      EXPECT_EQ(panics, 0);
      continue;
    }
    if (inc.panic) {
      with++;
      ASSERT_LE(inc.panic, (int)inc.lines.size());
      EXPECT_EQ(msg(inc.lines[inc.panic - 1]).rfind("Kernel panic - not syncing: ", 0), 0u) << inc.lines[inc.panic - 1];
      EXPECT_EQ(panics, 1);
    } else {
      without++;  // the panic never reached the log
      EXPECT_EQ(panics, 0);
    }
  }
  EXPECT_GT(with, 200);
  EXPECT_GT(without, 0);
  EXPECT_LT(without, with / 10);
}

TEST(Synth, SeveralCategoriesShareAPanicLine) {
  std::map<std::string, std::set<int>> by;
  for (const Incident &inc : sample())
    if (inc.panic) by[msg(inc.lines[inc.panic - 1])].insert(inc.category);
  int shared = 0;
  for (auto &e : by) shared += e.second.size() >= 2;
  EXPECT_GE(shared, 4);
  EXPECT_GE(by["Kernel panic - not syncing: hung_task: blocked tasks"].size(), 6u);
  EXPECT_GE(by["Kernel panic - not syncing: Fatal exception"].size(), 4u);
  EXPECT_GE(by["Kernel panic - not syncing: softlockup: hung tasks"].size(), 3u);
}

TEST(Synth, BenignIncidentsCarryTheSameWarnings) {
  std::regex warn("^NVRM: Xid \\(PCI|^EDAC MC[0-9]+: 1 CE|^WARNING: CPU: |invoked oom-killer|^nfs: server .* not responding|"
                  "Link down|NIC Link is Down|^INFO: task .* blocked|soft lockup|AER: Corrected|error count since last fsck|"
                  "^nvme nvme[0-9]: I/O [0-9]+ QID|hard resetting link|temperature above threshold|Memory failure");
  int benign = 0, alarming = 0;
  std::set<std::string> kinds;
  for (const Incident &inc : sample()) {
    if (inc.category != 0) continue;
    benign++;
    bool any = false;
    for (const std::string &l : inc.lines) {
      std::smatch m;
      std::string s = msg(l);
      if (std::regex_search(s, m, warn)) any = true, kinds.insert(m.str().substr(0, 12));
    }
    alarming += any;
  }
  EXPECT_GT(benign, 15);
  EXPECT_GT(alarming, benign / 2) << "most benign incidents contain a warning that failing ones also show";
  EXPECT_GE(kinds.size(), 6u);
}

TEST(Synth, PartialAndMissingEvidence) {
  int none = 0, failing = 0;
  for (const Incident &inc : sample())
    if (inc.category != 0) failing++, none += inc.cause.empty();
  EXPECT_GT(none, failing / 50);
  EXPECT_LT(none, failing / 4);
}

TEST(Synth, EvidenceMinutesBeforeThePanic) {
  int failing = 0, early = 0;
  for (const Incident &inc : sample()) {
    if (!inc.panic || inc.cause.empty()) continue;
    failing++;
    double lead = uptime(inc.lines[inc.panic - 1]) - uptime(inc.lines[inc.cause.front() - 1]);
    early += lead >= 120;
  }
  EXPECT_GT(early, failing / 4) << early << " of " << failing;
}

TEST(Synth, UnrelatedLinesInterleaveWithTraces) {
  // a line that is neither a frame, a marker nor a register dump between "Call Trace:" and the end of the trace
  std::regex inside("^ |^(RIP|Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|PKRU): ");
  std::regex foreign("^(audit: |kauditd_printk_skb|nvidia-modeset: |[a-z0-9-]+: port [0-9]+\\(veth)");
  int interleaved = 0;
  for (const Incident &inc : sample()) {
    bool in = false;
    for (const std::string &l : inc.lines) {
      std::string m = msg(l);
      if (m == "Call Trace:") {
        in = true;
        continue;
      }
      if (!in) continue;
      if (std::regex_search(m, foreign)) {
        interleaved++;
        break;
      }
      if (!std::regex_search(m, inside)) in = false;
    }
  }
  EXPECT_GT(interleaved, 8);
}

TEST(Synth, LengthsSpanOrdersOfMagnitude) {
  size_t lo = SIZE_MAX, hi = 0;
  for (const Incident &inc : sample()) lo = std::min(lo, inc.lines.size()), hi = std::max(hi, inc.lines.size());
  EXPECT_GE(hi, 100 * lo) << lo << " .. " << hi;
}

TEST(Synth, BenignFraction) {
  auto count = [](double f) {
    kp_synth_config cfg = kp_synth_config_default();
    cfg.seed = 9;
    cfg.benign_fraction = f;
    int n = 0;
    for (int i = 0; i < 300; i++) {
      kp_synth_incident inc;
      EXPECT_EQ(kp_synth_incident_make(&cfg, i, &inc), KP_OK);
      n += inc.category == 0;
      kp_synth_incident_free(&inc);
    }
    return n;
  };
  EXPECT_EQ(count(0.0), 0);
  EXPECT_EQ(count(1.0), 300);
  int k = count(0.3);  // binomial(300, 0.3): mean 90, sd 7.9
  EXPECT_GT(k, 90 - 4 * 7.9);
  EXPECT_LT(k, 90 + 4 * 7.9);
}

TEST(Synth, CategoryMask) {
  kp_synth_config cfg = kp_synth_config_default();
  ASSERT_EQ(kp_synth_parse_categories("gpu_xid,nfs", &cfg.category_mask), KP_OK);
  cfg.benign_fraction = 0;
  std::set<std::string> seen;
  for (int i = 0; i < 60; i++) seen.insert(kp_synth_category_name(make(cfg, i).category));
  EXPECT_EQ(seen, (std::set<std::string>{"gpu_xid", "nfs"}));
  uint32_t m;
  EXPECT_EQ(kp_synth_parse_categories("gpu_xid,bogus", &m), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("'bogus'"), std::string::npos) << kp_last_error();
  EXPECT_EQ(kp_synth_parse_categories("none", &m), KP_ERR_INVALID);
  EXPECT_EQ(kp_synth_parse_categories("", &m), KP_ERR_INVALID);
  EXPECT_EQ(kp_synth_parse_categories("oom,", &m), KP_ERR_INVALID);
}

TEST(Synth, BadConfigurations) {
  kp_synth_config cfg = kp_synth_config_default();
  kp_synth_incident inc;
  cfg.benign_fraction = 1.5;
  EXPECT_EQ(kp_synth_incident_make(&cfg, 0, &inc), KP_ERR_INVALID);
  cfg.benign_fraction = 0.1;
  EXPECT_EQ(kp_synth_incident_make(&cfg, -1, &inc), KP_ERR_INVALID);
  cfg.category_mask = 1;  // only "none": no root cause selected
  EXPECT_EQ(kp_synth_incident_make(&cfg, 0, &inc), KP_ERR_INVALID);
}

// ---- the incident directory ----

std::string tmpdir() {
  char t[] = "/tmp/kprca_synth_XXXXXX";
  EXPECT_NE(mkdtemp(t), nullptr);
  return t;
}

std::string slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// RFC 4180 rows (quotes, doubled quotes, CRLF), enough for labels.csv.
std::vector<std::vector<std::string>> read_csv(const std::string &text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool q = false, any = false;
  for (size_t i = 0; i < text.size(); i++) {
    char ch = text[i];
    if (q) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', i++;
      else if (ch == '"') q = false;
      else field += ch;
    } else if (ch == '"') {
      q = true, any = true;
    } else if (ch == ',') {
      row.push_back(field), field.clear(), any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') i++;
      row.push_back(field), field.clear();
      rows.push_back(row), row.clear(), any = false;
    } else {
      field += ch, any = true;
    }
  }
  if (any) row.push_back(field), rows.push_back(row);
  return rows;
}

int count_lines(const std::string &s) { return (int)std::count(s.begin(), s.end(), '\n'); }

TEST(SynthDir, WritesAParsableIncidentDirectory) {
  std::string root = tmpdir(), dir = root + "/corpus";
  kp_synth_config cfg = kp_synth_config_default();
  cfg.seed = 3;
  cfg.incidents = 60;
  kp_synth_stats st;
  ASSERT_EQ(kp_synth_write_dir(&cfg, dir.c_str(), false, nullptr, nullptr, &st), KP_OK) << kp_last_error();
  EXPECT_EQ(st.incidents, 60);
  auto rows = read_csv(slurp(dir + "/labels.csv"));
  ASSERT_EQ(rows.size(), 61u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"file", "label", "root_cause_lines", "panic_line"}));
  int64_t lines = 0;
  for (size_t r = 1; r < rows.size(); r++) {
    ASSERT_EQ(rows[r].size(), 4u);
    char want[32];
    std::snprintf(want, sizeof want, "incidents/%06zu.log", r);
    EXPECT_EQ(rows[r][0], want);
    EXPECT_GE(kp_synth_category_find(rows[r][1].c_str(), rows[r][1].size()), 0) << rows[r][1];
    std::string text = slurp(dir + "/" + rows[r][0]);
    int n = count_lines(text);
    lines += n;
    Incident inc = make(cfg, (int64_t)r - 1);  // the file holds exactly incident r-1
    EXPECT_EQ(text, inc.text);
    std::istringstream cl(rows[r][2]);
    std::vector<int> cause;
    for (int x; cl >> x;) cause.push_back(x);
    EXPECT_EQ(cause, inc.cause);
    EXPECT_EQ(rows[r][3], inc.panic ? std::to_string(inc.panic) : "");
    for (int x : cause) EXPECT_LE(x, n);
  }
  EXPECT_EQ(lines, st.lines);
  // the same corpus with fewer incidents is a prefix: incident i depends on (seed, i) only
  std::string dir2 = root + "/small";
  cfg.incidents = 25;
  ASSERT_EQ(kp_synth_write_dir(&cfg, dir2.c_str(), false, nullptr, nullptr, nullptr), KP_OK);
  for (int i = 1; i <= 25; i++) {
    char f[40];
    std::snprintf(f, sizeof f, "/incidents/%06d.log", i);
    EXPECT_EQ(slurp(dir + f), slurp(dir2 + f)) << f;
  }
  std::system(("rm -rf " + root).c_str());
}

TEST(SynthDir, RefusesANonEmptyDirectoryUnlessForced) {
  std::string root = tmpdir(), dir = root + "/out";
  mkdir(dir.c_str(), 0755);
  { std::ofstream(dir + "/keep.txt") << "user data\n"; }
  kp_synth_config cfg = kp_synth_config_default();
  cfg.incidents = 5;
  EXPECT_EQ(kp_synth_write_dir(&cfg, dir.c_str(), false, nullptr, nullptr, nullptr), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("exists and is not empty"), std::string::npos) << kp_last_error();
  EXPECT_EQ(slurp(dir + "/keep.txt"), "user data\n");
  EXPECT_EQ(std::system(("test $(ls " + root + " | wc -l) -eq 1").c_str()), 0) << "no temporary directory left";
  ASSERT_EQ(kp_synth_write_dir(&cfg, dir.c_str(), true, nullptr, nullptr, nullptr), KP_OK) << kp_last_error();
  EXPECT_EQ(access((dir + "/keep.txt").c_str(), F_OK), -1) << "replaced";
  EXPECT_EQ(read_csv(slurp(dir + "/labels.csv")).size(), 6u);
  EXPECT_EQ(std::system(("test $(ls " + root + " | wc -l) -eq 1").c_str()), 0) << "old copy removed";
  // an empty directory is fine without force
  std::string empty = root + "/empty";
  mkdir(empty.c_str(), 0755);
  EXPECT_EQ(kp_synth_write_dir(&cfg, empty.c_str(), false, nullptr, nullptr, nullptr), KP_OK) << kp_last_error();
  // a missing parent is a usage error and leaves nothing behind
  EXPECT_EQ(kp_synth_write_dir(&cfg, (root + "/no/such/dir").c_str(), false, nullptr, nullptr, nullptr), KP_ERR_INVALID);
  cfg.incidents = 0;
  EXPECT_EQ(kp_synth_write_dir(&cfg, (root + "/zero").c_str(), false, nullptr, nullptr, nullptr), KP_ERR_INVALID);
  EXPECT_EQ(access((root + "/zero").c_str(), F_OK), -1);
  std::system(("rm -rf " + root).c_str());
}

}  // namespace
