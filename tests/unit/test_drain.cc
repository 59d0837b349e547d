// Drain: the tree rules (digits, max children, depth, short messages), similarity and templates,
// a line-by-line oracle written from Drain.py's algorithm, stable ids through save/load, bad states.
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "testutil.h"
#include "kprca/drain.h"

namespace {
using Strs = std::vector<std::string>;

struct Miner {
  kp_drain *d = nullptr;
  explicit Miner(double sim = 0.5, int depth = 4, int maxc = 100) {
    kp_drain_params p{sim, depth, maxc};
    if (kp_drain_new(&p, &d) != KP_OK) throw std::runtime_error(kp_last_error());
  }
  explicit Miner(kp_drain *x) : d(x) {}
  ~Miner() { kp_drain_free(d); }
  int add(const std::string &m, bool *created = nullptr) {
    int32_t c;
    bool cr;
    if (kp_drain_add(d, m.data(), m.size(), &c, &cr) != KP_OK) throw std::runtime_error(kp_last_error());
    if (created) *created = cr;
    return c;
  }
  std::string tpl(int i) { return kp_drain_template(d, (size_t)i); }
  size_t count() const { return kp_drain_count(d); }
};

Strs split(const std::string &s) {
  std::istringstream is(s);
  Strs v;
  for (std::string t; is >> t;) v.push_back(t);
  return v;
}

// An oracle written straight from the algorithm of logparser's Drain.py (treeSearch,
// addSeqToPrefixTree, seqDist, fastMatch, getTemplate), with plain maps and vectors.
struct Oracle {
  struct Node {
    std::map<std::string, std::unique_ptr<Node>> kids;
    std::vector<int> leaf;
    bool is_leaf = false;
  };
  int depth;  // Drain.py's self.depth = depth - 2
  double st;
  size_t maxc;
  Node root;
  std::map<size_t, std::unique_ptr<Node>> bylen;
  std::vector<Strs> tpl;
  Oracle(double sim, int d, int m) : depth(d - 2), st(sim), maxc((size_t)m) {}
  static bool digits(const std::string &t) {
    for (char c : t)
      if (c >= '0' && c <= '9') return true;
    return false;
  }
  int search(const Strs &seq) {
    auto it = bylen.find(seq.size());
    if (it == bylen.end()) return -1;
    Node *p = it->second.get();
    int cur = 1;
    for (auto &tok : seq) {
      if (cur >= depth || cur > (int)seq.size()) break;
      if (p->kids.count(tok)) p = p->kids[tok].get();
      else if (p->kids.count("<*>")) p = p->kids["<*>"].get();
      else return -1;
      cur++;
    }
    if (!p->is_leaf) return -1;  // Drain.py iterates over a dict of children: never a match
    int best = -1;
    double bsim = -1;
    int bpar = -1;
    for (int c : p->leaf) {
      int eq = 0, par = 0;
      for (size_t i = 0; i < seq.size(); i++) {
        if (tpl[c][i] == "<*>") par++;
        else if (tpl[c][i] == seq[i]) eq++;
      }
      double s = (double)eq / (double)seq.size();
      if (s > bsim || (s == bsim && par > bpar)) best = c, bsim = s, bpar = par;
    }
    return bsim >= st ? best : -1;
  }
  void insert(int c) {
    const Strs &seq = tpl[c];
    auto &first = bylen[seq.size()];
    if (!first) first.reset(new Node);
    Node *p = first.get();
    int cur = 1;
    for (auto &tok : seq) {
      if (cur >= depth || cur > (int)seq.size()) {
        p->is_leaf = true;
        p->leaf.push_back(c);
        break;
      }
      if (!p->kids.count(tok)) {
        if (!digits(tok)) {
          if (p->kids.count("<*>")) {
            if (p->kids.size() < maxc) p->kids[tok].reset(new Node), p = p->kids[tok].get();
            else p = p->kids["<*>"].get();
          } else {
            if (p->kids.size() + 1 < maxc) p->kids[tok].reset(new Node), p = p->kids[tok].get();
            else p->kids["<*>"].reset(new Node), p = p->kids["<*>"].get();
          }
        } else {
          if (!p->kids.count("<*>")) p->kids["<*>"].reset(new Node);
          p = p->kids["<*>"].get();
        }
      } else {
        p = p->kids[tok].get();
      }
      cur++;
    }
  }
  int add(const std::string &m) {
    Strs seq = split(m);
    int c = seq.empty() ? -1 : search(seq);
    if (c < 0) {
      tpl.push_back(seq);
      c = (int)tpl.size() - 1;
      insert(c);
    } else {
      for (size_t i = 0; i < seq.size(); i++)
        if (tpl[c][i] != seq[i]) tpl[c][i] = "<*>";
    }
    return c;
  }
  std::string text(int c) {
    std::string s;
    for (size_t i = 0; i < tpl[c].size(); i++) s += (i ? " " : "") + tpl[c][i];
    return s;
  }
};

// Random messages over a small vocabulary: shared words, numbers, masks, varied lengths (0 too).
std::string random_message(std::mt19937 &g) {
  static const Strs words = {"usb", "device", "eth0", "link", "up", "down", "error", "<*>", "sda", "new",
                             "found", "on", "port", "1", "22", "x1y", "alpha", "beta", "gamma", "delta"};
  std::uniform_int_distribution<int> len(0, 7), w(0, (int)words.size() - 1), coin(0, 9);
  int n = len(g);
  std::string m = coin(g) == 0 ? "  " : "";
  for (int i = 0; i < n; i++) m += (i ? (coin(g) == 0 ? "\t " : " ") : "") + words[w(g)];
  return m;
}
}  // namespace

TEST(Drain, MergesSimilarMessagesIntoATemplate) {
  Miner m;
  bool created;
  int a = m.add("Connection closed by 10.0.0.1 port 22", &created);
  EXPECT_TRUE(created);
  int b = m.add("Connection closed by 10.0.0.2 port 22", &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(a, b);
  EXPECT_EQ(m.tpl(a), "Connection closed by <*> port 22");
  EXPECT_EQ(kp_drain_cluster_size(m.d, (size_t)a), 2u);
  EXPECT_EQ(kp_drain_cluster_id(m.d, (size_t)a), 1);
  int c = m.add("Accepted password for root from 10.0.0.3", &created);
  EXPECT_TRUE(created);
  EXPECT_NE(a, c);
  EXPECT_EQ(m.count(), 2u);
  // tokens are split on any run of whitespace, as Python's str.split()
  EXPECT_EQ(m.add("  Connection   closed\tby 10.0.0.9 port 22 "), a);
}

TEST(Drain, SplitsLikePythonStrSplit) {
  Miner m(1.0, 3);
  // ASCII whitespace, \x1c-\x1f, NBSP, U+3000 and U+2003 separate tokens; other non-ASCII text does not
  int a = m.add("a\x1c" "b\xc2\xa0" "c\xe3\x80\x80" "d\xe2\x80\x83" "\xc3\xa9t\xc3\xa9 \t\r\n\v\f z");
  EXPECT_EQ(m.tpl(a), "a b c d \xc3\xa9t\xc3\xa9 z");
  // the same token hashes alike whether it is read eight bytes at a time or byte by byte (near the end)
  int b = m.add("foo abcdefghij");
  EXPECT_EQ(m.add("foo abcdefghij         "), b);
  EXPECT_EQ(m.add("foo\tabcdefghij"), b);
  int c = m.add("x \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 y");
  EXPECT_EQ(m.add("x \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 y         "), c);
  // tokens of exactly 8 and 16 bytes, digits anywhere
  int e = m.add("abcdefgh 0123456789abcdef end");
  EXPECT_EQ(m.add("abcdefgh 0123456789abcdef end"), e);
  EXPECT_EQ(m.tpl(e), "abcdefgh 0123456789abcdef end");
}

TEST(Drain, ThresholdIsInclusiveAndWildcardsDoNotCount) {
  {
    Miner m(0.5);
    int a = m.add("a b c d");
    EXPECT_EQ(m.add("a b x y"), a);  // 2 of 4 equal: 0.5 >= 0.5
    EXPECT_EQ(m.tpl(a), "a b <*> <*>");
    // now only "a" and "b" count; a message equal in 2 of 4 positions still joins
    EXPECT_EQ(m.add("a b z w"), a);
  }
  {
    Miner m(0.6);
    int a = m.add("a b c d e");
    EXPECT_EQ(m.add("a b c x y"), a);  // 3/5 = 0.6
    EXPECT_EQ(m.tpl(a), "a b c <*> <*>");
    // "<*>" in the template does not count as equal, even against a "<*>" token: 3/5 only
    EXPECT_EQ(m.add("a b c <*> <*>"), a);
    // 2 of 5 equal (a, b) is below 0.6: a new cluster, although "<*>" positions would "match"
    bool created;
    m.add("a b q <*> <*>", &created);
    EXPECT_TRUE(created);
  }
}

TEST(Drain, TokensWithDigitsShareTheWildcardBranch) {
  Miner m(0.5, 4);  // one token level
  int k = m.add("kworker idle now");
  int a = m.add("1234 started worker");
  // "5678" has digits too: same "<*>" branch, same leaf, similar enough
  EXPECT_EQ(m.add("5678 started worker"), a);
  EXPECT_EQ(m.tpl(a), "<*> started worker");
  // a first token with no child of its own falls back to the "<*>" branch
  EXPECT_EQ(m.add("systemd started worker"), a);
  // but a token that has a child goes there, and only there: no match in that leaf
  bool created;
  int c = m.add("kworker started worker", &created);
  EXPECT_TRUE(created);
  EXPECT_NE(c, k);
}

TEST(Drain, MaxChildrenSendsFurtherTokensToTheWildcardChild) {
  Miner m(0.5, 4, 3);
  int a = m.add("alpha x y"), b = m.add("beta x y");
  EXPECT_NE(a, b);  // own children (2 of 3 places)
  int c = m.add("gamma x y");  // the last place goes to "<*>"
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  int d = m.add("delta x y");  // no room: "<*>" branch, where gamma's cluster lives
  EXPECT_EQ(d, c);
  EXPECT_EQ(m.tpl(c), "<*> x y");
  EXPECT_EQ(m.add("alpha x z"), a);  // existing children still work
}

TEST(Drain, ShortMessagesAreExactClusters) {
  // depth 5: messages of fewer than 3 tokens never reach a leaf in Drain.py
  Miner m(0.1, 5);
  int a = m.add("disk full"), b = m.add("disk empty");
  EXPECT_NE(a, b);
  EXPECT_EQ(m.add("disk  full"), a);
  EXPECT_EQ(m.tpl(a), "disk full");
  int e1 = m.add(""), e2 = m.add("   ");
  EXPECT_EQ(e1, e2);  // all empty messages: one cluster
  EXPECT_EQ(m.tpl(e1), "");
  // three tokens reach a leaf (after two token levels) and merge as usual
  int c = m.add("disk full now");
  EXPECT_EQ(m.add("disk full later"), c);
  EXPECT_EQ(m.tpl(c), "disk full <*>");
}

TEST(Drain, TieBreaksPreferMoreWildcardsThenTheOlder) {
  Miner m(0.4, 3);  // depth 3: every cluster of a length in one leaf
  int a = m.add("a b c d e");
  int b = m.add("v w x y z");
  EXPECT_EQ(m.add("a b p q r"), a);  // a -> "a b <*> <*> <*>"
  EXPECT_EQ(m.tpl(a), "a b <*> <*> <*>");
  // equal to a in 2 positions and to b in 2: tie, a has more "<*>"
  EXPECT_EQ(m.add("a b x y k"), a);
  // a newer cluster with as many wildcards as a, and a tie again: the older (a) wins
  int c = m.add("m n o k l");
  EXPECT_EQ(m.add("s t u k l"), c);
  EXPECT_EQ(m.tpl(c), "<*> <*> <*> k l");
  EXPECT_EQ(m.add("a b z k l"), a);
  EXPECT_NE(b, c);
}

TEST(Drain, MatchDoesNotChangeTheState) {
  Miner m;
  int a = m.add("Starting service nginx now");
  int32_t c;
  KP_ASSERT_OK(kp_drain_match(m.d, "Starting service mysql now", 26, &c));
  EXPECT_EQ(c, a);
  EXPECT_EQ(m.tpl(a), "Starting service nginx now");
  KP_ASSERT_OK(kp_drain_match(m.d, "Unrelated", 9, &c));
  EXPECT_EQ(c, -1);
  EXPECT_EQ(m.count(), 1u);
  EXPECT_EQ(kp_drain_cluster_size(m.d, 0), 1u);
}

TEST(Drain, AgreesWithTheDrainPyOracle) {
  std::mt19937 g(7);
  struct P {
    double sim;
    int depth, maxc;
  } ps[] = {{0.5, 4, 100}, {0.4, 3, 2}, {0.2, 5, 3}, {0.7, 6, 4}, {0.39, 6, 100}, {0.6, 5, 1}, {0.0, 4, 2}, {1.0, 4, 5}};
  for (auto p : ps) {
    Miner m(p.sim, p.depth, p.maxc);
    Oracle o(p.sim, p.depth, p.maxc);
    std::vector<int> mine, ref;
    std::vector<std::string> msgs;
    for (int i = 0; i < 3000; i++) {
      msgs.push_back(random_message(g));
      mine.push_back(m.add(msgs.back()));
      ref.push_back(o.add(msgs.back()));
    }
    // Drain.py makes a new cluster per short or empty message and merges equal templates at the
    // end (ids are the md5 of the template); compare the resulting groupings and templates.
    std::map<std::string, std::set<int>> by_tpl_ref, by_tpl_mine;
    for (size_t i = 0; i < msgs.size(); i++) {
      by_tpl_ref[o.text(ref[i])].insert((int)i);
      by_tpl_mine[m.tpl(mine[i])].insert((int)i);
    }
    EXPECT_EQ(by_tpl_mine, by_tpl_ref) << "sim " << p.sim << " depth " << p.depth << " max_children " << p.maxc;
  }
}

TEST(Drain, EventOfMergesEqualTemplates) {
  Miner m(0.5, 4);
  // "<*>" in a template never counts as equal, so a message that is mostly "<*>" does not join
  // even an identical cluster (as in Drain.py: loghub's HDFS has such "BLOCK* ask <*> to delete" lines)
  int a = m.add("ask <*> to <*> <*> <*> <*>");
  int b = m.add("ask <*> to <*> <*> <*> <*>");
  EXPECT_NE(a, b);
  int c = m.add("Verification succeeded for <*>");
  std::vector<int32_t> ev(m.count());
  KP_ASSERT_OK(kp_drain_event_of(m.d, ev.data()));
  EXPECT_EQ(ev[(size_t)a], a);
  EXPECT_EQ(ev[(size_t)b], a);  // one event, under the older cluster
  EXPECT_EQ(ev[(size_t)c], c);
}

namespace {
std::string tmpfile_path(const char *tag) {
  return std::string(KPRCA_BINARY_DIR) + "/tests/drain_" + tag + "_" + std::to_string(getpid()) + ".json";
}
std::string slurp(const std::string &p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

TEST(DrainState, SaveLoadKeepsIdsTemplatesAndTheTree) {
  std::mt19937 g(3);
  std::vector<std::string> first, second;
  for (int i = 0; i < 1500; i++) first.push_back(random_message(g));
  for (int i = 0; i < 1500; i++) second.push_back(random_message(g));
  for (auto p : {std::make_tuple(0.5, 4, 3), std::make_tuple(0.3, 6, 100), std::make_tuple(0.6, 3, 2)}) {
    Miner whole(std::get<0>(p), std::get<1>(p), std::get<2>(p));
    std::vector<int> ids_whole;
    for (auto &s : first) whole.add(s);
    for (auto &s : second) ids_whole.push_back((int)kp_drain_cluster_id(whole.d, (size_t)whole.add(s)));

    Miner part(std::get<0>(p), std::get<1>(p), std::get<2>(p));
    for (auto &s : first) part.add(s);
    std::string path = tmpfile_path("state");
    const char *masks[] = {"blk_-?\\d+", "@kernel-defaults/1"};
    KP_ASSERT_OK(kp_drain_save(part.d, path.c_str(), masks, 2));
    kp_drain *loaded;
    char **lm;
    size_t nlm;
    KP_ASSERT_OK(kp_drain_load(path.c_str(), &loaded, &lm, &nlm));
    ASSERT_EQ(nlm, 2u);
    EXPECT_STREQ(lm[0], masks[0]);
    EXPECT_STREQ(lm[1], masks[1]);
    kp_drain_free_masks(lm, nlm);
    Miner again(loaded);
    kp_drain_params q = kp_drain_get_params(again.d);
    EXPECT_EQ(q.sim, std::get<0>(p));
    EXPECT_EQ(q.depth, std::get<1>(p));
    EXPECT_EQ(q.max_children, std::get<2>(p));
    ASSERT_EQ(again.count(), part.count());
    for (size_t i = 0; i < part.count(); i++) {
      EXPECT_EQ(again.tpl((int)i), part.tpl((int)i));
      EXPECT_EQ(kp_drain_cluster_size(again.d, i), kp_drain_cluster_size(part.d, i));
    }
    std::vector<int> ids_again;
    for (auto &s : second) ids_again.push_back((int)kp_drain_cluster_id(again.d, (size_t)again.add(s)));
    EXPECT_EQ(ids_again, ids_whole);  // the reloaded miner continues exactly as an uninterrupted one
    ASSERT_EQ(again.count(), whole.count());
    for (size_t i = 0; i < whole.count(); i++) EXPECT_EQ(again.tpl((int)i), whole.tpl((int)i));
    // saving again gives the same file as saving the uninterrupted miner
    std::string p2 = tmpfile_path("again"), p3 = tmpfile_path("whole");
    KP_ASSERT_OK(kp_drain_save(again.d, p2.c_str(), masks, 2));
    KP_ASSERT_OK(kp_drain_save(whole.d, p3.c_str(), masks, 2));
    EXPECT_EQ(slurp(p2), slurp(p3));
    std::remove(path.c_str()), std::remove(p2.c_str()), std::remove(p3.c_str());
  }
}

TEST(DrainState, BadFilesAreRefusedWithTheReason) {
  kp_drain *d = nullptr;
  EXPECT_EQ(kp_drain_load("/nonexistent/state.json", &d, nullptr, nullptr), KP_ERR_IO);
  EXPECT_NE(std::string(kp_last_error()).find("/nonexistent/state.json"), std::string::npos);
  struct Case {
    const char *text, *needle;
  } cases[] = {
      {"{\"format\": \"kprca-drain-state\",\n \"version\": 1,\n oops}", ":3: not valid JSON"},
      {"{\"format\": \"something-else\"}", "not a Drain state file"},
      {"{\"format\":\"kprca-drain-state\",\"version\":2}", "unsupported Drain state version"},
      {"{\"format\":\"kprca-drain-state\",\"version\":1,\"params\":{\"sim\":0.5,\"depth\":2,\"max_children\":3},"
       "\"next_id\":1,\"masks\":[],\"clusters\":[]}",
       "depth (3..64)"},
      {"{\"format\":\"kprca-drain-state\",\"version\":1,\"params\":{\"sim\":0.5,\"depth\":4,\"max_children\":3},"
       "\"next_id\":3,\"masks\":[],\"clusters\":[{\"id\":2,\"size\":1,\"template\":[\"a\",\"b\"],\"path\":[\"a\"]},"
       "{\"id\":1,\"size\":1,\"template\":[\"c\",\"d\"],\"path\":[\"c\"]}]}",
       "ids must increase"},
      {"{\"format\":\"kprca-drain-state\",\"version\":1,\"params\":{\"sim\":0.5,\"depth\":4,\"max_children\":3},"
       "\"next_id\":3,\"masks\":[],\"clusters\":[{\"id\":1,\"size\":1,\"template\":[\"a\",\"b\"],\"path\":[\"z\"]}]}",
       "path token 0 differs"},
      {"{\"format\":\"kprca-drain-state\",\"version\":1,\"params\":{\"sim\":0.5,\"depth\":4,\"max_children\":3},"
       "\"next_id\":3,\"masks\":[],\"clusters\":[{\"id\":1,\"size\":1,\"template\":[\"a b\"],\"path\":[]}]}",
       "without spaces"},
  };
  for (auto &c : cases) {
    std::string path = tmpfile_path("bad");
    {
      std::ofstream f(path);
      f << c.text;
    }
    kp_drain *x = nullptr;
    EXPECT_EQ(kp_drain_load(path.c_str(), &x, nullptr, nullptr), KP_ERR_FORMAT) << c.text;
    EXPECT_EQ(x, nullptr);
    EXPECT_NE(std::string(kp_last_error()).find(c.needle), std::string::npos) << kp_last_error();
    std::remove(path.c_str());
  }
}

TEST(Drain, RejectsBadParameters) {
  kp_drain *d = nullptr;
  kp_drain_params p{1.5, 4, 100};
  EXPECT_EQ(kp_drain_new(&p, &d), KP_ERR_INVALID);
  p = {0.5, 2, 100};
  EXPECT_EQ(kp_drain_new(&p, &d), KP_ERR_INVALID);
  p = {0.5, 4, 0};
  EXPECT_EQ(kp_drain_new(&p, &d), KP_ERR_INVALID);
  EXPECT_NE(std::string(kp_last_error()).find("max_children"), std::string::npos);
}
