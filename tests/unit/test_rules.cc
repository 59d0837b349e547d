// Rules for kprca-infer: parsing (both root shapes, defaults), first-match-wins order, ignore_case,
// errors naming file:line:col (syntax, unknown key, bad regex at the pattern's column, duplicate
// name, missing fields, bad score/action), and the shipped configs/rules/kernel-panic.yaml against
// real message formats of the synthetic corpus.
#include <gtest/gtest.h>
#include <string>
#include "kprca/rules.h"
#include "testutil.h"

namespace {

struct Rules {
  kp_rules *r = nullptr;
  ~Rules() { kp_rules_free(r); }
};

kp_status parse(const std::string &y, Rules &out) { return kp_rules_parse(y.data(), y.size(), "r.yaml", &out.r); }

std::string error_of(const std::string &y) {
  Rules r;
  kp_status s = parse(y, r);
  EXPECT_NE(s, KP_OK) << "accepted: " << y;
  EXPECT_EQ(r.r, nullptr);
  return kp_last_error();
}

int match(kp_rules *r, const std::string &text) {
  int i = -2;
  KP_EXPECT_OK(kp_rules_match(r, text.data(), text.size(), &i));
  return i;
}

TEST(Rules, ParsesListAndDefaults) {
  Rules r;
  KP_ASSERT_OK(parse("- name: xid\n"
                     "  regex: 'NVRM: Xid \\(PCI:[^)]*\\): (79|48)\\b'\n"
                     "  label: gpu_xid\n"
                     "  score: 0.9\n"
                     "- {name: noise, regex: 'audit:', action: ignore}\n",
                     r));
  ASSERT_EQ(kp_rules_count(r.r), 2);
  const kp_rule *a = kp_rules_get(r.r, 0), *b = kp_rules_get(r.r, 1);
  EXPECT_STREQ(a->name, "xid");
  EXPECT_STREQ(a->label, "gpu_xid");
  EXPECT_EQ(a->action, KP_RULE_FLAG);
  EXPECT_DOUBLE_EQ(a->score, 0.9);
  EXPECT_EQ(a->line, 1);
  EXPECT_EQ(a->col, 3);
  EXPECT_EQ(b->action, KP_RULE_IGNORE);
  EXPECT_STREQ(b->label, "");
  EXPECT_DOUBLE_EQ(b->score, 1.0);
  EXPECT_EQ(b->line, 5);
  EXPECT_EQ(match(r.r, "NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>'"), 0);
  EXPECT_EQ(match(r.r, "NVRM: Xid (PCI:0000:3b:00): 13, pid=1"), -1);
  EXPECT_EQ(match(r.r, "audit: type=1400"), 1);
}

TEST(Rules, RulesKeyAndFirstMatchWins) {
  Rules r;
  KP_ASSERT_OK(parse("rules:\n"
                     "  - {name: specific, regex: 'Out of memory: Killed process', label: oom, score: 0.7}\n"
                     "  - {name: generic, regex: 'Out of memory', label: other}\n"
                     "  - {name: ci, regex: 'kernel panic', label: panic, ignore_case: true}\n",
                     r));
  EXPECT_EQ(match(r.r, "Out of memory: Killed process 42 (java)"), 0);
  EXPECT_EQ(match(r.r, "Memory cgroup out of memory: Out of memory here"), 1);
  EXPECT_EQ(match(r.r, "Kernel panic - not syncing: Fatal exception"), 2);
  EXPECT_EQ(match(r.r, "KERNEL PANIC"), 2);
  EXPECT_EQ(match(r.r, "nothing to see"), -1);
}

TEST(Rules, Utf8AndUnicodeClasses) {
  Rules r;
  KP_ASSERT_OK(parse("- {name: u, regex: '^caf\\w\\b', label: x}\n", r));
  EXPECT_EQ(match(r.r, "café ok"), 0);  // \w is Unicode-aware (PCRE2_UCP)
  EXPECT_EQ(match(r.r, "cafe1x"), -1);
}

TEST(Rules, ErrorsNamePosition) {
  EXPECT_NE(error_of("- name: a\n  regex: [unclosed\n").find("r.yaml:"), std::string::npos);
  EXPECT_NE(error_of("- name: a\n  regex: x\n  label: y\n  colour: red\n")
                .find("r.yaml:4:3: unknown rule key 'colour'"),
            std::string::npos);
  // The column points at the bad spot inside the pattern: 'ab(c' fails at offset 4 (end) -> col 10 + 1 + 4.
  std::string e = error_of("- name: a\n  regex: 'ab(c'\n  label: y\n");
  EXPECT_NE(e.find("r.yaml:2:15: rule 'a': bad regex: missing closing parenthesis"), std::string::npos) << e;
  e = error_of("- {name: a, regex: x, label: y}\n- {name: a, regex: z, label: y}\n");
  EXPECT_NE(e.find("r.yaml:2:10: duplicate rule name 'a' (first at 1:3)"), std::string::npos) << e;
  e = error_of("- {name: a, label: y}\n");
  EXPECT_NE(e.find("r.yaml:1:3: rule 'a' has no 'regex'"), std::string::npos) << e;
  e = error_of("- {regex: a, label: y}\n");
  EXPECT_NE(e.find("r.yaml:1:3: rule without a 'name'"), std::string::npos) << e;
  e = error_of("- {name: a, regex: x}\n");
  EXPECT_NE(e.find("rule 'a' flags lines but has no 'label'"), std::string::npos) << e;
  e = error_of("- {name: a, regex: x, label: y, score: 1.5}\n");
  EXPECT_NE(e.find("r.yaml:1:40: rule 'a': score '1.5' is not a number in [0, 1]"), std::string::npos) << e;
  e = error_of("- {name: a, regex: x, label: y, action: drop}\n");
  EXPECT_NE(e.find("action 'drop' is not one of flag, ignore"), std::string::npos) << e;
  e = error_of("- {name: a, regex: '', label: y}\n");
  EXPECT_NE(e.find("empty regex"), std::string::npos) << e;
  e = error_of("name: a\n");
  EXPECT_NE(e.find("r.yaml:1:1: a rules file is a list of rules"), std::string::npos) << e;
  e = error_of("");
  EXPECT_NE(e.find("r.yaml:1:1: empty rules file"), std::string::npos) << e;
  e = error_of("- name: a\n  regex: x\n   label: y\n");
  EXPECT_NE(e.find("r.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
  e = error_of("- just a string\n");
  EXPECT_NE(e.find("r.yaml:1:3: a rule must be a mapping"), std::string::npos) << e;
}

TEST(Rules, LoadMissingFile) {
  kp_rules *r = nullptr;
  EXPECT_EQ(kp_rules_load("/nonexistent/rules.yaml", &r), KP_ERR_IO);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/rules.yaml"), std::string::npos);
}

// The shipped rules file: one real message of each synthetic root cause is flagged with that category, and
// ordinary lines are not.
TEST(Rules, ShippedKernelPanicRules) {
  Rules r;
  KP_ASSERT_OK(kp_rules_load(KPRCA_SOURCE_DIR "/configs/rules/kernel-panic.yaml", &r.r));
  struct Case {
    const char *text, *label;
  } cases[] = {
      {"NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.", "gpu_xid"},
      {"Out of memory: Killed process 4321 (java) total-vm:1234kB, anon-rss:99kB, file-rss:0kB", "oom"},
      {"INFO: task jbd2/sda1-8:512 blocked for more than 120 seconds.", "hung_task"},
      {"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [kworker/3:1:123]", "soft_lockup"},
      {"rcu: INFO: rcu_sched self-detected stall on CPU", "rcu_stall"},
      {"BUG: kernel NULL pointer dereference, address: 0000000000000008", "null_deref"},
      {"general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP", "gpf_uaf"},
      {"EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0)", "mce_ecc"},
      {"nvme nvme0: I/O 123 QID 4 timeout, aborting", "disk_io"},
      {"EXT4-fs error (device sda1): ext4_lookup:1855: inode #2: comm ls: iget: checksum invalid", "fs_corruption"},
      {"NETDEV WATCHDOG: eth0 (mlx5_core): transmit queue 3 timed out", "nic_timeout"},
      {"list_add corruption. prev->next should be next (ffff8881), but was ffff8882.", "bug_warn"},
      {"nfs: server filer01 not responding, still trying", "nfs"},
  };
  for (const Case &c : cases) {
    int i = match(r.r, c.text);
    ASSERT_GE(i, 0) << c.text;
    const kp_rule *ru = kp_rules_get(r.r, i);
    EXPECT_EQ(ru->action, KP_RULE_FLAG) << c.text;
    EXPECT_STREQ(ru->label, c.label) << c.text << " matched rule " << ru->name;
  }
  const char *ordinary[] = {"e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
                            "systemd[1]: Started Session 42 of user root.",
                            "usb 1-1: new high-speed USB device number 2 using xhci_hcd"};
  for (const char *t : ordinary) {
    int i = match(r.r, t);
    if (i >= 0) EXPECT_EQ(kp_rules_get(r.r, i)->action, KP_RULE_IGNORE) << t << " matched " << kp_rules_get(r.r, i)->name;
  }
}

}  // namespace
