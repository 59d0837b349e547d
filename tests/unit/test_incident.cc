// Labelled lines (CLX kernel.tsv, CSV) and incident directories: label sets, root-cause flags,
// and every bad-input case naming file, line and problem.
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/incident.h"
#include "kprca/labelled.h"

namespace {
const std::string kLab = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/ingest/labelled/";
const std::string kInc = std::string(KPRCA_SOURCE_DIR) + "/tests/fixtures/ingest/incident_dirs/";

std::vector<std::string> names(char **n, int32_t k) { return std::vector<std::string>(n, n + k); }

// Loads a labelled file expected to fail; returns the message.
std::string labelled_error(const std::string &file, kp_status want, const kp_labelled_options *o = nullptr) {
  kp_labelled *d = nullptr;
  EXPECT_EQ(kp_labelled_load((kLab + file).c_str(), o, &d), want) << file;
  EXPECT_EQ(d, nullptr);
  return kp_last_error();
}

std::string incident_error(const std::string &dir, kp_status want, const kp_incident_options *o = nullptr) {
  kp_incident_dir *d = nullptr;
  EXPECT_EQ(kp_incident_open((kInc + dir).c_str(), o, &d), want) << dir;
  EXPECT_EQ(d, nullptr);
  return kp_last_error();
}

#define EXPECT_HAS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)
}  // namespace

TEST(Labelled, ClxKernelTsv) {
  kp_labelled *d;
  KP_ASSERT_OK(kp_labelled_load((kLab + "kernel.tsv").c_str(), nullptr, &d));
  ASSERT_EQ(d->n, 6);  // the blank line is not an item
  EXPECT_EQ(names(d->names, d->nlabels), (std::vector<std::string>{"0", "1", "10"}));  // numeric order
  EXPECT_EQ(std::vector<int32_t>(d->label, d->label + d->n), (std::vector<int32_t>{0, 0, 1, 0, 1, 2}));
  EXPECT_EQ(std::vector<int64_t>(d->lineno, d->lineno + d->n), (std::vector<int64_t>{1, 2, 3, 4, 6, 7}));
  EXPECT_STREQ(d->text[1], "Mar  3 14:02:15 gpu-node-17 kernel: [    9.876543] mlx5_core 0000:af:00.0 ens1f0np0: Link up");
  EXPECT_HAS(d->text[4], "(python3)\twith a tab inside");  // only the first TAB separates
  EXPECT_EQ(kp_labelled_find(d, "10"), 2);
  EXPECT_EQ(kp_labelled_find(d, "2"), -1);
  kp_labelled_free(d);
}

TEST(Labelled, CsvWithHeaderAndCustomColumns) {
  kp_labelled *d;
  KP_ASSERT_OK(kp_labelled_load((kLab + "labelled.csv").c_str(), nullptr, &d));
  ASSERT_EQ(d->n, 5);
  EXPECT_EQ(names(d->names, d->nlabels),
            (std::vector<std::string>{"disk_io", "filesystem", "gpu_xid", "ordinary"}));  // byte order
  EXPECT_EQ(std::vector<int32_t>(d->label, d->label + d->n), (std::vector<int32_t>{2, 0, 1, 3, 3}));
  EXPECT_STREQ(d->text[1], "nvme nvme0: I/O 123 QID 7 timeout, aborting");
  EXPECT_STREQ(d->text[4], " a \"quoted\" word, and a\nsecond line");
  EXPECT_EQ(d->lineno[4], 6);
  kp_labelled_free(d);

  kp_labelled_options o{};
  o.label_column = "category";
  o.text_column = "log_line";
  KP_ASSERT_OK(kp_labelled_load((kLab + "custom_columns.csv").c_str(), &o, &d));
  ASSERT_EQ(d->n, 1);
  EXPECT_STREQ(d->names[0], "ordinary");
  kp_labelled_free(d);

  // a known label set fixes the ids, in the order given, even for labels that never occur
  const char *known[] = {"ordinary", "gpu_xid", "disk_io", "filesystem", "ecc"};
  kp_labelled_options k{};
  k.known_labels = known;
  k.n_known = 5;
  KP_ASSERT_OK(kp_labelled_load((kLab + "labelled.csv").c_str(), &k, &d));
  EXPECT_EQ(d->nlabels, 5);
  EXPECT_EQ(std::vector<int32_t>(d->label, d->label + d->n), (std::vector<int32_t>{1, 2, 3, 0, 0}));
  kp_labelled_free(d);
  // TSV read as CSV on request fails clearly (no header columns)
  kp_labelled_options c{};
  c.format = KP_LABELLED_CSV;
  std::string e = labelled_error("kernel.tsv", KP_ERR_FORMAT, &c);
  EXPECT_HAS(e, "kernel.tsv:1: no 'label' column");
}

TEST(LabelledBadInput, EachProblemNamesFileAndLine) {
  EXPECT_HAS(labelled_error("no_tab.tsv", KP_ERR_FORMAT), "no_tab.tsv:2: no TAB between the label and the line");
  EXPECT_HAS(labelled_error("empty_label.tsv", KP_ERR_FORMAT), "empty_label.tsv:2: empty label");
  EXPECT_HAS(labelled_error("empty.tsv", KP_ERR_FORMAT), "empty.tsv: no labelled lines (empty input)");
  EXPECT_HAS(labelled_error("header_only.csv", KP_ERR_FORMAT), "header_only.csv: no labelled lines");
  EXPECT_HAS(labelled_error("no_text_column.csv", KP_ERR_FORMAT),
             "no_text_column.csv:1: no 'text' or 'line' column (columns: id, label)");
  EXPECT_HAS(labelled_error("missing.tsv", KP_ERR_IO), "missing.tsv: cannot open");
  const char *known[] = {"ordinary", "rootcause"};
  kp_labelled_options o{};
  o.known_labels = known;
  o.n_known = 2;
  EXPECT_HAS(labelled_error("unknown_label.tsv", KP_ERR_FORMAT, &o),
             "unknown_label.tsv:3: unknown label 'unknwon' (known: ordinary, rootcause)");
  EXPECT_HAS(labelled_error("unterminated.csv", KP_ERR_FORMAT), "unterminated.csv:3:11: unterminated quoted field");
  // text in the label column (columns swapped): one line says so instead of a task with a class per line
  EXPECT_HAS(labelled_error("swapped.tsv", KP_ERR_FORMAT), "swapped.tsv:1: the label 'Mar  3 14:02:15 node");
  EXPECT_HAS(labelled_error("swapped.tsv", KP_ERR_FORMAT), "is the text in the label column?");
  EXPECT_HAS(labelled_error("many_labels.tsv", KP_ERR_FORMAT),
             "many_labels.tsv:1025: more than 1024 distinct labels: is the text in the label column?");
}

TEST(Labelled, TsvHeaderRowIsSkipped) {
  kp_labelled *d;
  KP_ASSERT_OK(kp_labelled_load((kLab + "header_row.tsv").c_str(), nullptr, &d));
  ASSERT_EQ(d->n, 2);  // "Label<TAB>text" on line 1 is a header, not a third class
  EXPECT_EQ(names(d->names, d->nlabels), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d->lineno[0], 2);
  kp_labelled_free(d);
}

TEST(Incident, OpenValidatesAndReadsEachIncident) {
  kp_incident_dir *d;
  kp_incident_options o{};
  o.log.year = 2024;
  KP_ASSERT_OK(kp_incident_open((kInc + "ok/").c_str(), &o, &d));
  ASSERT_EQ(d->n, 4);
  EXPECT_EQ(names(d->labels, d->nlabels), (std::vector<std::string>{"gpu_xid", "hung_task", "nic_driver", "oom"}));
  EXPECT_STREQ(d->items[0].file, "incidents/000001.log");
  EXPECT_EQ(std::string(d->items[0].path), kInc + "ok/incidents/000001.log");  // trailing '/' of DIR dropped
  EXPECT_STREQ(d->items[3].file, "incidents/000004.log");                      // "./incidents//" normalised
  EXPECT_EQ(d->items[0].label, 3);
  EXPECT_EQ(d->items[1].label, 2);
  EXPECT_EQ(std::vector<int64_t>(d->items[1].root_lines, d->items[1].root_lines + d->items[1].n_root),
            (std::vector<int64_t>{1, 3}));  // "3, 1": sorted
  EXPECT_EQ(d->items[1].panic_line, 7);
  EXPECT_EQ(d->items[1].nlines, 7);
  EXPECT_EQ(d->items[3].nlines, -1);  // no line numbers: not counted
  EXPECT_EQ(d->items[2].csv_line, 4);

  std::vector<kp_klog_format> formats;
  for (int64_t i = 0; i < d->n; i++) {
    kp_incident_log L;
    KP_ASSERT_OK(kp_incident_read(d, i, &L));
    EXPECT_EQ(L.inc, &d->items[i]);
    formats.push_back(L.log->format);
    int64_t nroot = 0;
    for (int64_t k = 0; k < L.log->n; k++) nroot += L.root[k];
    EXPECT_EQ(nroot, d->items[i].n_root);
    for (int32_t k = 0; k < d->items[i].n_root; k++) EXPECT_EQ(L.root[d->items[i].root_lines[k] - 1], 1);
    if (i == 0) {
      EXPECT_EQ(L.log->n, 9);
      EXPECT_TRUE(L.root[1] && L.root[7]);
      EXPECT_TRUE(L.log->rec[1].flags & KP_KLOG_HEAD);  // the oom-killer line
      EXPECT_EQ(L.panic, -1);
    }
    if (i == 1) {
      EXPECT_EQ(L.panic, 6);
      EXPECT_STREQ(L.log->rec[L.panic].msg, "Kernel panic - not syncing: Fatal exception in interrupt");
    }
    if (i == 2) EXPECT_DOUBLE_EQ(L.log->rec[0].time, 1709480823.123456);
    if (i == 3) {
      EXPECT_EQ(L.log->n, 3);  // CRLF and no final newline
      EXPECT_EQ(L.log->stats.unmatched, 0);
    }
    kp_incident_log_clear(&L);
    EXPECT_EQ(L.log, nullptr);
  }
  EXPECT_EQ(formats, (std::vector<kp_klog_format>{KP_KLOG_SYSLOG, KP_KLOG_DMESG, KP_KLOG_JOURNAL_JSON,
                                                  KP_KLOG_JOURNAL_SHORT}));
  kp_incident_log L;
  EXPECT_EQ(kp_incident_read(d, 4, &L), KP_ERR_INVALID);
  kp_incident_dir_free(d);
}

TEST(Incident, KnownLabelsFixTheOrder) {
  const char *known[] = {"oom", "nic_driver", "gpu_xid", "hung_task", "ecc"};
  kp_incident_options o{};
  o.known_labels = known;
  o.n_known = 5;
  kp_incident_dir *d;
  KP_ASSERT_OK(kp_incident_open((kInc + "ok").c_str(), &o, &d));
  EXPECT_EQ(d->nlabels, 5);
  EXPECT_EQ(d->items[0].label, 0);
  EXPECT_EQ(d->items[3].label, 3);
  kp_incident_dir_free(d);
  const char *few[] = {"oom"};
  o.known_labels = few;
  o.n_known = 1;
  std::string e = incident_error("ok", KP_ERR_FORMAT, &o);
  EXPECT_HAS(e, "ok/labels.csv:3: unknown label 'nic_driver' (known: oom)");
  EXPECT_HAS(e, "(and 2 more problems in labels.csv)");
}

TEST(IncidentBadInput, EachProblemNamesLabelsCsvLine) {
  struct {
    const char *dir;
    kp_status s;
    const char *msg;
  } cases[] = {
      {"missing_file", KP_ERR_FORMAT, "missing_file/labels.csv:3: file 'incidents/missing.log' does not exist"},
      {"line_range", KP_ERR_FORMAT, "line_range/labels.csv:2: root_cause_lines: line 4 is beyond the end of 'incidents/a.log' (3 lines)"},
      {"panic_range", KP_ERR_FORMAT, "panic_range/labels.csv:2: panic_line: line 9 is beyond the end of 'incidents/a.log' (3 lines)"},
      {"not_number", KP_ERR_FORMAT, "not_number/labels.csv:2: root_cause_lines: 'x7' is not a line number"},
      {"empty_label", KP_ERR_FORMAT, "empty_label/labels.csv:2: empty label"},
      {"duplicate", KP_ERR_FORMAT, "duplicate/labels.csv:3: file 'incidents/a.log' is listed twice (first on line 2)"},
      {"escape", KP_ERR_FORMAT, "escape/labels.csv:2: file '../escape/incidents/a.log' leaves the directory"},
      {"absolute", KP_ERR_FORMAT, "absolute/labels.csv:2: file '/etc/hostname' is an absolute path"},
      {"dir_as_file", KP_ERR_FORMAT, "dir_as_file/labels.csv:2: file 'incidents' is not a regular file"},
      {"no_label_column", KP_ERR_FORMAT, "no_label_column/labels.csv:1: missing column 'label' (required: file, label; found: file, category)"},
      {"unterminated", KP_ERR_FORMAT, "unterminated/labels.csv:2:17: unterminated quoted field"},
      {"header_only", KP_ERR_FORMAT, "header_only/labels.csv: no incidents listed (empty input)"},
      {"empty_csv", KP_ERR_FORMAT, "empty_csv/labels.csv: empty file (expected a header row)"},
      {"no_labels", KP_ERR_IO, "no_labels/labels.csv: cannot open"},
      {"does_not_exist", KP_ERR_IO, "does_not_exist: cannot open"},
      {"many", KP_ERR_FORMAT, "many/labels.csv:2: empty label (and 2 more problems in labels.csv)"},
  };
  for (auto &c : cases) EXPECT_HAS(incident_error(c.dir, c.s), c.msg);
  kp_incident_dir *d = nullptr;
  EXPECT_EQ(kp_incident_open((kInc + "ok/labels.csv").c_str(), nullptr, &d), KP_ERR_INVALID);
  EXPECT_HAS(kp_last_error(), "ok/labels.csv: not a directory");
}
