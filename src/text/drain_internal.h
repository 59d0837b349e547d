/* Drain's internal structures, shared by drain.c (mining) and drain_state.c (JSON save/load). */
#ifndef KPRCA_TEXT_DRAIN_INTERNAL_H
#define KPRCA_TEXT_DRAIN_INTERNAL_H
#include "kprca/drain.h"

#define KP_WILD "<*>"

typedef struct kp_dtok { /* a message token (scratch, points into the message) */
  const char *s;
  uint32_t len;
  bool digit;
  uint64_t h;
} kp_dtok;

typedef struct kp_cluster {
  int64_t id;
  uint32_t ntok, npar;   /* tokens; how many of them are "<*>" */
  uint32_t npath;        /* leading tokens of the first message, the path it took in the tree */
  uint64_t size;
  uint64_t *th;          /* template token hashes, 0 for "<*>" */
  const char **ts;       /* template token text (arena) */
  uint32_t *tl;
  const char **ps;       /* path tokens (arena) */
  uint32_t *pl;
  char *text;            /* cached template text */
  bool dirty;
} kp_cluster;

typedef struct kp_dnode {
  uint32_t nchild;
  int32_t wild;          /* the "<*>" child, -1 if none */
  uint32_t *leaf, nleaf, capleaf;
} kp_dnode;

typedef struct kp_dedge { /* open-addressing entry: (parent, token) -> child */
  int32_t parent, child;
  uint32_t len;
  uint64_t h;
  const char *s;
} kp_dedge;

typedef struct kp_arena_chunk kp_arena_chunk;

struct kp_drain {
  kp_drain_params p;
  int dep2;                         /* depth - 2, Drain.py's self.depth */
  kp_cluster *cl;
  size_t ncl, capcl;
  kp_dnode *nodes;
  size_t nnodes, capnodes;
  int32_t *bylen;                   /* token count -> first-level node, -1 if none */
  size_t nbylen;
  kp_dedge *edges;
  size_t nedges, capedges;          /* capedges: power of two */
  int32_t *shortmap;                /* open addressing over short clusters (fewer than dep2 tokens) */
  uint64_t *shorth;
  size_t nshort, capshort;
  kp_arena_chunk *arena;
  kp_dtok *tok;                     /* tokens of the current message */
  uint64_t *mh;
  size_t captok;
  bool collided;                    /* the last search met a token hash collision */
  int64_t next_id;
};

/** Creates cluster number d->ncl from tokens (copied), with its tree path; used by add and load. */
kp_status kp_drain_create_cluster(kp_drain *d, const kp_dtok *t, uint32_t n, int64_t id, const kp_dtok *path,
                                  uint32_t npath, int32_t *index);
/** Token hash as used everywhere (never 0). */
uint64_t kp_drain_hash(const char *s, size_t n);

#endif
