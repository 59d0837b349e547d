/* Drain template mining (He et al., ICWS 2017), with the exact behaviour of logpai/logparser's
 * Drain.py that the loghub benchmark figures come from: a fixed-depth prefix tree keyed by token
 * count and then the leading tokens, leaf lists of clusters, token-wise similarity, and templates
 * that turn differing tokens into "<*>". The mined state (clusters, ids, templates, sizes,
 * parameters) is saved to and loaded from JSON, so later runs keep the old template ids. */
#ifndef KPRCA_DRAIN_H
#define KPRCA_DRAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_drain_params {
  double sim;       /* similarity threshold st in [0, 1]: a message joins the best cluster of its leaf when sim >= st */
  int depth;        /* tree depth >= 3, counting the root, the token-count level and the leaves: depth-3 token levels */
  int max_children; /* >= 1: children per inner node; further tokens share the "<*>" child */
} kp_drain_params;

/** sim 0.5, depth 4, max_children 100. */
kp_drain_params kp_drain_default_params(void);

typedef struct kp_drain kp_drain;

/** A new, empty miner; fails with KP_ERR_INVALID when a parameter is out of range. */
kp_status kp_drain_new(const kp_drain_params *p, kp_drain **out);
/** Frees d; NULL is ignored. */
void kp_drain_free(kp_drain *d);
kp_drain_params kp_drain_get_params(const kp_drain *d);

/** Mines one message (already masked; tokens are split on whitespace). *cluster receives the index
 * of the cluster it joined (0-based, in creation order, never reused) and *created whether that
 * cluster is new. Semantics (those of logparser's Drain.py):
 *  - search: the token count selects the first level; then the first depth-3 tokens choose
 *    children (the token itself, else the "<*>" child, else no match); in the leaf, the cluster
 *    with the highest similarity = (positions where the template token is not "<*>" and equals the
 *    message token) / token count wins, ties going to the one with more "<*>" tokens, then the
 *    oldest; it is taken when similarity >= sim;
 *  - insert: a token holding a digit always goes to the "<*>" child; another token gets a child of
 *    its own while the node has room (max_children, the "<*>" child included), else "<*>";
 *  - a message with fewer than depth-2 tokens never reaches a leaf in Drain.py, so each distinct
 *    such message (token for token) is a cluster of its own.
 *  - joining a cluster replaces each template token that differs from the message by "<*>". */
kp_status kp_drain_add(kp_drain *d, const char *msg, size_t len, int32_t *cluster, bool *created);
/** The cluster msg would join, without changing anything; -1 when it would start a new one. */
kp_status kp_drain_match(kp_drain *d, const char *msg, size_t len, int32_t *cluster);

/** Number of clusters. */
size_t kp_drain_count(const kp_drain *d);
/** Stable id of cluster i (1, 2, ... in creation order; kept across save/load). */
int64_t kp_drain_cluster_id(const kp_drain *d, size_t i);
/** Messages that ever joined cluster i (saved with the state). */
uint64_t kp_drain_cluster_size(const kp_drain *d, size_t i);
/** Template of cluster i, tokens joined by one space; valid until the next add or load. */
const char *kp_drain_template(kp_drain *d, size_t i);

/** For each cluster i, ev[i] = the index of the oldest cluster whose template equals cluster i's
 * (clusters whose templates became identical are one event, as loghub's template-keyed ids make
 * them). ev holds kp_drain_count(d) entries. */
kp_status kp_drain_event_of(kp_drain *d, int32_t *ev);

/** Writes the state as JSON to path (via a temporary file renamed into place). masks lists the
 * masking passes the messages went through (kept so a later run can check it uses the same). */
kp_status kp_drain_save(const kp_drain *d, const char *path, const char *const *masks, size_t nmasks);
/** Reads a state written by kp_drain_save; *masks (nmasks strings, free with kp_drain_free_masks)
 * receives the saved mask list when masks is not NULL. Bad files fail with KP_ERR_FORMAT naming
 * the file and the problem. */
kp_status kp_drain_load(const char *path, kp_drain **out, char ***masks, size_t *nmasks);
void kp_drain_free_masks(char **masks, size_t nmasks);
/** The state kp_drain_save writes, as a new malloc'd JSON text in *json (for storing inside another file). */
kp_status kp_drain_to_json(const kp_drain *d, const char *const *masks, size_t nmasks, char **json);
/** Reads a state from len bytes of JSON text as kp_drain_load does; name is used in messages. */
kp_status kp_drain_from_json(const char *json, size_t len, const char *name, kp_drain **out, char ***masks,
                             size_t *nmasks);

#ifdef __cplusplus
}
#endif
#endif
