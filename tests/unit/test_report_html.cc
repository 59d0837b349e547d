// report.html from a run directory built in the test: plots present inline and as files, every SVG
// well-formed XML, counts and escaped label names in place, ROC/PR for a binary task, a crashed run
// reported with notes, and the comparison of runs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include "eval/report_html_internal.h"
#include "kprca/report_html.h"
#include "kprca/svg.h"

namespace {

std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void spit(const std::string &path, const std::string &text) { std::ofstream(path, std::ios::binary) << text; }
bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}
size_t count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) n++;
  return n;
}

// Temporary directories, removed when the tests end.
std::vector<std::string> &tmp_dirs() {
  static std::vector<std::string> v;
  return v;
}
struct TmpCleanup : ::testing::Environment {
  void TearDown() override {
    for (auto &d : tmp_dirs()) std::system(("rm -rf '" + d + "'").c_str());
  }
};
const auto *kCleanup = ::testing::AddGlobalTestEnvironment(new TmpCleanup);

std::string make_tmp() {
  char t[] = "/tmp/kprca_report_XXXXXX";
  if (!mkdtemp(t)) throw std::runtime_error("mkdtemp");
  tmp_dirs().push_back(t);
  return t;
}

// A small XML well-formedness check (what a browser's XML parser would refuse): tags nest and close with
// the same name, attribute values are quoted, '<' never appears in text, '&' only starts a known entity.
// Returns "" when fine, else the problem with its offset.
std::string xml_problem(const std::string &s) {
  std::vector<std::string> stack;
  size_t i = 0, n = s.size();
  bool root_seen = false;
  auto entity_ok = [&](size_t p) {
    static const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (auto e : ents)
      if (s.compare(p, strlen(e), e) == 0) return true;
    if (s.compare(p, 2, "&#") == 0) {
      size_t q = p + 2;
      while (q < n && isdigit((unsigned char)s[q])) q++;
      return q > p + 2 && q < n && s[q] == ';';
    }
    return false;
  };
  while (i < n) {
    if (s[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (s[i] == '>' ) return "stray '>' at " + std::to_string(i);
    if (s[i] != '<') {
      i++;
      continue;
    }
    if (s.compare(i, 5, "<?xml") == 0) {
      size_t e = s.find("?>", i);
      if (e == std::string::npos) return "unclosed declaration";
      i = e + 2;
      continue;
    }
    size_t e = i + 1;
    char quote = 0;
    for (; e < n; e++) {
      if (quote) {
        if (s[e] == quote) quote = 0;
        else if (s[e] == '<') return "'<' in an attribute at " + std::to_string(e);
        else if (s[e] == '&' && !entity_ok(e)) return "bad entity in an attribute at " + std::to_string(e);
      } else if (s[e] == '"' || s[e] == '\'') {
        if (s[e - 1] != '=') return "unquoted or broken attribute at " + std::to_string(e);
        quote = s[e];
      } else if (s[e] == '=' && s[e + 1] != '"' && s[e + 1] != '\'') {
        return "unquoted attribute value at " + std::to_string(e);
      } else if (s[e] == '<') {
        return "'<' inside a tag at " + std::to_string(e);
      } else if (s[e] == '>') {
        break;
      }
    }
    if (e >= n) return "unclosed tag at " + std::to_string(i);
    std::string tag = s.substr(i + 1, e - i - 1);
    i = e + 1;
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "</" + name + "> does not close <" +
                                                          (stack.empty() ? "" : stack.back()) + ">";
      stack.pop_back();
      continue;
    }
    bool self = tag.back() == '/';
    std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (name.empty()) return "empty tag name";
    if (stack.empty()) {
      if (root_seen) return "second root element <" + name + ">";
      root_seen = true;
    }
    if (!self) stack.push_back(name);
  }
  if (!stack.empty()) return "<" + stack.back() + "> never closed";
  return root_seen ? "" : "no element";
}

// The SVG elements of an HTML page, in order.
std::vector<std::string> svgs_in(const std::string &html) {
  std::vector<std::string> out;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) {
    size_t e = html.find("</svg>", p);
    if (e == std::string::npos) break;
    out.push_back(html.substr(p, e + 6 - p));
  }
  return out;
}

const char *kConfig =
    "# Resolved config written by kprca 0.1.0. Read from: tiny.yaml, then command-line overrides.\n"
    "train:\n  seed: 1234\n  epochs: 3\n";
// A binary task whose class names need escaping; the last log line was cut by a crash.
const char *kLog =
    "{\"epoch\":1,\"step\":4,\"lr\":0.001,\"train_loss\":0.9,\"val_loss\":0.8,\"val_accuracy\":0.5,"
    "\"val_macro_f1\":0.4,\"best_epoch\":1,\"time_s\":0.1}\n"
    "{\"epoch\":2,\"step\":8,\"lr\":0.0008,\"train_loss\":0.6,\"val_loss\":0.7,\"val_accuracy\":0.625,"
    "\"val_macro_f1\":0.6,\"best_epoch\":2,\"time_s\":0.1}\n"
    "{\"epoch\":3,\"step\":12,\"lr\":0.0005,\"train_loss\":0.4,\"val_loss\":0.75,\"val_accur";

std::string split_json(const char *name, int tn, int fp, int fn, int tp) {
  double acc = double(tn + tp) / (tn + fp + fn + tp);
  std::ostringstream o;
  o << "\"" << name << "\": {\"n\": " << tn + fp + fn + tp
    << ", \"labels\": [\"ok<&>\", \"panic \\\"oom\\\"\"], \"accuracy\": " << acc
    << ", \"balanced_accuracy\": 0.5, \"macro_f1\": 0.55, \"weighted_f1\": 0.6, \"loss\": 0.7,"
    << " \"per_class\": {\"ok<&>\": {\"precision\": 0.8, \"recall\": 0.75, \"f1\": 0.774, \"support\": " << tn + fp
    << "}, \"panic \\\"oom\\\"\": {\"precision\": 0.5, \"recall\": 0.6, \"f1\": 0.545, \"support\": " << fn + tp
    << "}}, \"confusion_matrix\": [[" << tn << ", " << fp << "], [" << fn << ", " << tp << "]]}";
  return o.str();
}

std::string metrics_json() {
  return "{" + split_json("val", 3, 1, 1, 3) + ", " + split_json("test", 97, 13, 29, 61) +
         ", \"best_epoch\": 2, \"epochs_run\": 3, \"early_stopped\": false, \"train_time_s\": 1.5,"
         " \"num_params\": 1000, \"model\": \"gcn\", \"task\": \"graph\", \"device\": \"cpu\"}";
}

// Test predictions: 4 items with known ROC points.
const char *kPred =
    "id,split,true,pred,p_ok<&>,\"p_panic \"\"oom\"\"\"\n"
    "0,test,\"panic \"\"oom\"\"\",\"panic \"\"oom\"\"\",0.1,0.9\n"
    "1,test,ok<&>,\"panic \"\"oom\"\"\",0.2,0.8\n"
    "2,test,\"panic \"\"oom\"\"\",\"panic \"\"oom\"\"\",0.3,0.7\n"
    "3,test,ok<&>,ok<&>,0.4,0.6\n"
    "4,val,ok<&>,ok<&>,0.9,0.1\n"
    "5,val,\"panic \"\"oom\"\"\",\"panic \"\"oom\"\"\",0.2,0.8\n";

std::string full_run() {
  std::string d = make_tmp();
  spit(d + "/config.yaml", kConfig);
  spit(d + "/metrics.jsonl", kLog);
  spit(d + "/metrics.json", metrics_json());
  spit(d + "/predictions.csv", kPred);
  return d;
}

TEST(ReportHtml, FullRunHasEveryPlotInlineAndAsFiles) {
  std::string d = full_run();
  ASSERT_EQ(kp_report_html_write(d.c_str()), KP_OK) << kp_last_error();
  std::string html = slurp(d + "/report.html");
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  for (const char *ref : {"href=", "src=", "url(", "@import"})
    EXPECT_EQ(html.find(ref), std::string::npos) << "no external references: " << ref;
  const char *plots[] = {"loss", "metrics", "lr", "confusion_val", "confusion_test", "f1_val", "f1_test",
                         "roc_test", "pr_test", "roc_val", "pr_val"};
  for (const char *p : plots) {
    EXPECT_NE(html.find(std::string("id=\"plot-") + p + "\""), std::string::npos) << p;
    std::string svg = slurp(d + "/plots/" + p + ".svg");
    ASSERT_FALSE(svg.empty()) << p;
    EXPECT_EQ(xml_problem(svg), "") << p;
  }
  auto svgs = svgs_in(html);
  EXPECT_EQ(svgs.size(), sizeof plots / sizeof plots[0]);
  for (auto &s : svgs) EXPECT_EQ(xml_problem(s), "") << s.substr(0, 120);
  // the page's body (after the head) is balanced too, apart from HTML's void <meta>
  std::string body = html.substr(html.find("<body>"));
  body = body.substr(0, body.rfind("</body>") + 7);
  EXPECT_EQ(xml_problem(body), "");
}

TEST(ReportHtml, LabelsEscapedAndCountsShown) {
  std::string d = full_run();
  ASSERT_EQ(kp_report_html_write(d.c_str()), KP_OK) << kp_last_error();
  std::string html = slurp(d + "/report.html"), cm = slurp(d + "/plots/confusion_test.svg");
  EXPECT_EQ(html.find("ok<&>"), std::string::npos);
  EXPECT_EQ(html.find("panic \"oom\""), std::string::npos);
  EXPECT_NE(cm.find("ok&lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(cm.find("panic &quot;oom&quot;"), std::string::npos);
  for (const char *k : {">97</text>", ">13</text>", ">29</text>", ">61</text>"})
    EXPECT_NE(cm.find(k), std::string::npos) << k;
  // row-normalised colour: 97/110 of row 0 is darker than 61/90 of row 1, both darker than 13/110
  auto fill_of = [&](const char *count) {
    size_t t = cm.find(count), r = cm.find("fill=\"#", cm.rfind("<rect", t));
    return cm.substr(r + 7, 6);
  };
  auto darkness = [](const std::string &hex) { return 255 * 3 - (std::stoi(hex.substr(0, 2), nullptr, 16) +
                                                           std::stoi(hex.substr(2, 2), nullptr, 16) +
                                                           std::stoi(hex.substr(4, 2), nullptr, 16)); };
  EXPECT_GT(darkness(fill_of(">97</text>")), darkness(fill_of(">61</text>")));
  EXPECT_GT(darkness(fill_of(">61</text>")), darkness(fill_of(">29</text>")));
  EXPECT_GT(darkness(fill_of(">29</text>")), darkness(fill_of(">13</text>")));
  EXPECT_NE(html.find("1234"), std::string::npos) << "seed";
  EXPECT_NE(html.find("kprca 0.1.0"), std::string::npos);
  // the cut log line is reported, the two whole ones are plotted
  EXPECT_NE(html.find("metrics.jsonl: 1 line(s) are not JSON objects (first: line 3)"), std::string::npos);
}

TEST(ReportHtml, RocAndPrCurvesFromScores) {
  kp_run run;
  std::string d = full_run();
  ASSERT_EQ(kp_run_load(d.c_str(), &run), KP_OK) << kp_last_error();
  const kp_run_split *t = kp_run_split_named(&run, "test");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->n_scored, 4);
  EXPECT_FLOAT_EQ(t->pos_score[0], 0.9f);
  EXPECT_EQ(t->pos_y[0], 1);
  EXPECT_EQ(t->pos_y[1], 0);
  kp_curve roc, pr;
  ASSERT_TRUE(kp_binary_curves(t->pos_score, t->pos_y, t->n_scored, &roc, &pr));
  std::vector<double> rx(roc.x, roc.x + roc.n), ry(roc.y, roc.y + roc.n), px(pr.x, pr.x + pr.n), py(pr.y, pr.y + pr.n);
  EXPECT_EQ(rx, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
  EXPECT_EQ(ry, (std::vector<double>{0, 0.5, 0.5, 1, 1}));
  EXPECT_EQ(px, (std::vector<double>{0, 0.5, 0.5, 1, 1}));
  EXPECT_EQ(py, (std::vector<double>{1, 1, 0.5, 2.0 / 3, 0.5}));
  kp_curve_free(&roc);
  kp_curve_free(&pr);
  // tied scores make one point
  float s[] = {0.5f, 0.5f, 0.5f};
  int32_t y[] = {1, 0, 1};
  ASSERT_TRUE(kp_binary_curves(s, y, 3, &roc, &pr));
  EXPECT_EQ(roc.n, 2);
  kp_curve_free(&roc);
  kp_curve_free(&pr);
  int32_t one[] = {1, 1, 1};
  EXPECT_FALSE(kp_binary_curves(s, one, 3, &roc, &pr));
  kp_run_free(&run);
  ASSERT_EQ(kp_report_html_write(d.c_str()), KP_OK);
  std::string html = slurp(d + "/report.html");
  EXPECT_NE(html.find("ROC-AUC 0.7500"), std::string::npos);  // pairs ranked right: 3 of 4
}

TEST(ReportHtml, CrashedRunReportsWhatItHas) {
  std::string d = make_tmp();
  spit(d + "/config.yaml", kConfig);
  spit(d + "/metrics.jsonl", kLog);
  ASSERT_EQ(kp_report_html_write(d.c_str()), KP_OK) << kp_last_error();
  std::string html = slurp(d + "/report.html");
  EXPECT_NE(html.find("metrics.json is missing"), std::string::npos);
  EXPECT_NE(html.find("predictions.csv is missing"), std::string::npos);
  EXPECT_NE(html.find("2 epoch(s) logged; no final evaluation"), std::string::npos);
  EXPECT_TRUE(exists(d + "/plots/loss.svg"));
  EXPECT_FALSE(exists(d + "/plots/confusion_test.svg"));
  EXPECT_EQ(html.find("id=\"plot-confusion"), std::string::npos);
}

TEST(ReportHtml, NotARunDirectory) {
  std::string d = make_tmp();
  EXPECT_EQ(kp_report_html_write(d.c_str()), KP_ERR_FORMAT);
  EXPECT_NE(std::string(kp_last_error()).find("not a run directory"), std::string::npos);
  EXPECT_FALSE(exists(d + "/report.html"));
  EXPECT_EQ(kp_report_html_write((d + "/nope").c_str()), KP_ERR_IO);
}

TEST(ReportHtml, DamagedMetricsJsonIsANote) {
  std::string d = full_run();
  spit(d + "/metrics.json", "{\"test\": {\"n\": 3, ");
  ASSERT_EQ(kp_report_html_write(d.c_str()), KP_OK) << kp_last_error();
  std::string html = slurp(d + "/report.html");
  EXPECT_NE(html.find("metrics.json is not a JSON object"), std::string::npos);
  EXPECT_TRUE(exists(d + "/plots/loss.svg"));
}

TEST(ReportHtml, CompareRuns) {
  std::string a = full_run(), b = make_tmp();
  spit(b + "/metrics.jsonl", kLog);
  kp_run runs[2];
  ASSERT_EQ(kp_run_load(a.c_str(), &runs[0]), KP_OK);
  ASSERT_EQ(kp_run_load(b.c_str(), &runs[1]), KP_OK);
  char *text = kp_report_compare_text(runs, 2);
  ASSERT_NE(text, nullptr);
  std::string t = text;
  free(text);
  EXPECT_NE(t.find("0.7900"), std::string::npos) << t;  // test accuracy of run a: 158/200
  EXPECT_NE(t.find("2 (log)"), std::string::npos) << t;
  std::istringstream lines(t);
  std::string line;
  std::getline(lines, line);
  EXPECT_NE(line.find(a.substr(1)), std::string::npos) << "header names the runs";
  std::string out = make_tmp() + "/compare.html";
  ASSERT_EQ(kp_report_compare_html(runs, 2, out.c_str()), KP_OK) << kp_last_error();
  std::string html = slurp(out);
  EXPECT_NE(html.find("id=\"plot-val_loss\""), std::string::npos);
  for (auto &s : svgs_in(html)) EXPECT_EQ(xml_problem(s), "");
  EXPECT_EQ(count(html, "<polyline"), 2u * 4) << "2 runs x 4 overlays";
  kp_run_free(&runs[0]);
  kp_run_free(&runs[1]);
}

TEST(Svg, EscapeAndChecker) {
  char *e = kp_xml_escape("a<b & \"c\" 'd'\x01>");
  EXPECT_STREQ(e, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  free(e);
  EXPECT_EQ(xml_problem("<svg><g></svg>"), "</svg> does not close <g>");
  EXPECT_NE(xml_problem("<svg><text>a<b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg x=1/>"), "");
  EXPECT_NE(xml_problem("<svg><text>R&D</text></svg>"), "");
  EXPECT_EQ(xml_problem("<svg a=\"1\"><text>R&amp;D &#39;</text><g/></svg>"), "");
}

}  // namespace
