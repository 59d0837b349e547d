/* kprca-demo: a small, real training run on built-in data, on the CPU or a GPU.
 *
 * Data: a synthetic "incident similarity" graph generated from the seed: N incidents in C
 * root-cause classes; incidents of one class are linked more often (a stochastic block
 * model) and carry noisy class-dependent features. Model: a 2-layer GCN with PyG's GCNConv
 * semantics (out = D^-1/2 (A+I) D^-1/2 X W + b), ReLU, dropout; Adam; cross-entropy on the
 * training nodes. Every op runs through the kprca op API, so the same code runs on either
 * backend. It prints the loss curve, accuracy per split and the test confusion matrix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/kprca.h"

#define CHECK(expr)                                                           \
  do {                                                                        \
    kp_status s_ = (expr);                                                    \
    if (s_ != KP_OK) {                                                        \
      fprintf(stderr, "kprca-demo: %s\n", kp_last_error());                  \
      exit(s_ == KP_ERR_INVALID || s_ == KP_ERR_NO_DEVICE ? 2 : 1);          \
    }                                                                         \
  } while (0)

typedef struct {
  int nodes, classes, features, hidden, epochs;
  float lr, weight_decay, dropout;
  uint64_t seed;
  const char *device;
} demo_opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: kprca-demo [--device auto|cpu|cuda|cuda:N] [--epochs N] [--seed S] [--nodes N]\n"
          "Trains a 2-layer GCN on a built-in synthetic incident graph and prints its accuracy.\n");
}

static int parse_int(const char *flag, const char *v, int lo, int hi) {
  char *end = NULL;
  long x = v ? strtol(v, &end, 10) : 0;
  if (!v || *end || x < lo || x > hi) {
    fprintf(stderr, "kprca-demo: %s expects an integer in [%d, %d], got '%s'\n", flag, lo, hi, v ? v : "");
    exit(2);
  }
  return (int)x;
}

static void parse_args(int argc, char **argv, demo_opts *o) {
  *o = (demo_opts){.nodes = 1200, .classes = 4, .features = 32, .hidden = 16, .epochs = 200, .lr = 0.01f,
                   .weight_decay = 5e-4f, .dropout = 0.5f, .seed = 7, .device = "auto"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--device") && v) {
      o->device = v, i++;
    } else if (!strcmp(a, "--epochs")) {
      o->epochs = parse_int(a, v, 1, 100000), i++;
    } else if (!strcmp(a, "--seed")) {
      o->seed = (uint64_t)parse_int(a, v, 0, 2147483647), i++;
    } else if (!strcmp(a, "--nodes")) {
      o->nodes = parse_int(a, v, 8 * 4, 1000000), i++;
    } else {
      fprintf(stderr, "kprca-demo: unknown or incomplete argument '%s'\n", a);
      usage(stderr);
      exit(2);
    }
  }
}

/* The synthetic graph: labels, features [N, F], symmetric edges with GCN weights incl. self loops. */
typedef struct {
  int n, c, f;
  int32_t *label;
  float *x;
  int32_t *indptr, *indices;
  float *w;
  int8_t *split; /* 0 train, 1 val, 2 test */
} demo_graph;

static void make_graph(const demo_opts *o, demo_graph *g) {
  kp_rng r = kp_rng_make(o->seed);
  int n = o->nodes, c = o->classes, f = o->features;
  g->n = n, g->c = c, g->f = f;
  g->label = malloc(sizeof(int32_t) * n);
  g->split = malloc((size_t)n);
  g->x = malloc(sizeof(float) * (size_t)n * f);
  float *centre = malloc(sizeof(float) * (size_t)c * f);
  for (int i = 0; i < c * f; i++) centre[i] = kp_rng_normal(&r);
  for (int i = 0; i < n; i++) {
    g->label[i] = (int32_t)kp_rng_below(&r, (uint64_t)c);
    float u = kp_rng_uniform(&r);
    g->split[i] = u < 0.3f ? 0 : (u < 0.5f ? 1 : 2);
    for (int j = 0; j < f; j++) /* weak signal, strong noise: the graph must help */
      g->x[(size_t)i * f + j] = 0.35f * centre[g->label[i] * f + j] + kp_rng_normal(&r);
  }
  free(centre);
  /* stochastic block model: expected 5 same-class and 1.5 other-class neighbours per node */
  double p_in = 5.0 * c / n, p_out = 1.5 * c / ((double)n * (c - 1));
  int cap = n * 16, m = 0;
  int32_t *src = malloc(sizeof(int32_t) * cap), *dst = malloc(sizeof(int32_t) * cap);
  for (int i = 0; i < n; i++) {
    src[m] = dst[m] = i, m++; /* self loop (GCN's A + I) */
    for (int j = i + 1; j < n; j++) {
      double p = g->label[i] == g->label[j] ? p_in : p_out;
      if (kp_rng_uniform(&r) < p && m + 2 <= cap) {
        src[m] = i, dst[m] = j, m++;
        src[m] = j, dst[m] = i, m++;
      }
    }
  }
  /* CSR by destination */
  g->indptr = calloc((size_t)n + 1, sizeof(int32_t));
  g->indices = malloc(sizeof(int32_t) * m);
  g->w = malloc(sizeof(float) * m);
  int32_t *deg = calloc((size_t)n, sizeof(int32_t)), *fill = malloc(sizeof(int32_t) * n);
  for (int e = 0; e < m; e++) deg[dst[e]]++;
  for (int i = 0; i < n; i++) g->indptr[i + 1] = g->indptr[i] + deg[i];
  memcpy(fill, g->indptr, sizeof(int32_t) * n);
  for (int e = 0; e < m; e++) g->indices[fill[dst[e]]++] = src[e];
  for (int i = 0; i < n; i++)
    for (int e = g->indptr[i]; e < g->indptr[i + 1]; e++)
      g->w[e] = 1.0f / sqrtf((float)deg[i] * (float)deg[g->indices[e]]);
  free(src), free(dst), free(deg), free(fill);
}

/* Parameters in one flat buffer (DESIGN.md: flat parameter buffers); views into it. */
typedef struct {
  kp_tensor flat, w1, b1, w2, b2;
} params;

static void param_views(params *p, int f, int h, int c) {
  float *base = p->flat.data;
  int64_t s_w1[2] = {h, f}, s_b1[1] = {h}, s_w2[2] = {c, h}, s_b2[1] = {c};
  kp_device d = p->flat.device;
  p->w1 = kp_tensor_wrap(base, KP_F32, d, 2, s_w1);
  p->b1 = kp_tensor_wrap(base + h * f, KP_F32, d, 1, s_b1);
  p->w2 = kp_tensor_wrap(base + h * f + h, KP_F32, d, 2, s_w2);
  p->b2 = kp_tensor_wrap(base + h * f + h + c * h, KP_F32, d, 1, s_b2);
}

static int argmax_row(const float *row, int c) {
  int best = 0;
  for (int k = 1; k < c; k++)
    if (row[k] > row[best]) best = k;
  return best;
}

int main(int argc, char **argv) {
  demo_opts o;
  parse_args(argc, argv, &o);
  kp_device dev;
  CHECK(kp_device_parse(o.device, &dev));
  char dname[32];
  kp_device_str(dev, dname, sizeof dname);

  demo_graph g;
  make_graph(&o, &g);
  int n = g.n, c = g.c, f = g.f, h = o.hidden;
  int64_t nnz = g.indptr[n];
  printf("kprca-demo: 2-layer GCN on a synthetic incident graph: %d incidents, %lld edges (incl. self loops), "
         "%d features, %d root-cause classes; device %s; seed %llu\n",
         n, (long long)nnz, f, c, dname, (unsigned long long)o.seed);

  /* data on the device */
  kp_csr adj;
  CHECK(kp_csr_init(&adj, dev, n, n, g.indptr, g.indices));
  kp_tensor x, w, y_train;
  int64_t s_x[2] = {n, f}, s_w[1] = {nnz}, s_n[1] = {n};
  CHECK(kp_tensor_alloc(&x, KP_F32, dev, 2, s_x));
  CHECK(kp_tensor_alloc(&w, KP_F32, dev, 1, s_w));
  CHECK(kp_tensor_alloc(&y_train, KP_I32, dev, 1, s_n));
  kp_tensor hx = kp_tensor_wrap(g.x, KP_F32, kp_cpu(), 2, s_x), hw = kp_tensor_wrap(g.w, KP_F32, kp_cpu(), 1, s_w);
  CHECK(kp_tensor_copy(&x, &hx));
  CHECK(kp_tensor_copy(&w, &hw));
  int32_t *yt = malloc(sizeof(int32_t) * n);
  for (int i = 0; i < n; i++) yt[i] = g.split[i] == 0 ? g.label[i] : -100; /* ignore_index outside train */
  kp_tensor hy = kp_tensor_wrap(yt, KP_I32, kp_cpu(), 1, s_n);
  CHECK(kp_tensor_copy(&y_train, &hy));

  /* parameters, gradients, Adam moments: four mirrors of one layout */
  int64_t np = (int64_t)h * f + h + (int64_t)c * h + c;
  params P, G;
  kp_tensor m, v;
  CHECK(kp_tensor_zeros(&P.flat, KP_F32, dev, 1, &np));
  CHECK(kp_tensor_zeros(&G.flat, KP_F32, dev, 1, &np));
  CHECK(kp_tensor_zeros(&m, KP_F32, dev, 1, &np));
  CHECK(kp_tensor_zeros(&v, KP_F32, dev, 1, &np));
  param_views(&P, f, h, c);
  param_views(&G, f, h, c);
  kp_rng r = kp_rng_make(o.seed ^ 0x9e3779b97f4a7c15ULL);
  float a1 = sqrtf(6.0f / (float)(f + h)), a2 = sqrtf(6.0f / (float)(h + c)); /* glorot, as PyG */
  CHECK(kp_rng_fill_uniform(&P.w1, &r, -a1, a1));
  CHECK(kp_rng_fill_uniform(&P.w2, &r, -a2, a2));

  /* activations, allocated once and reused every epoch */
  kp_tensor xw1, z1, r1, d1, hw2, logits, probs, loss;
  kp_tensor dz1, dr1, dd1, dhw2, dlogits, dxw1;
  int64_t s_h[2] = {n, h}, s_c[2] = {n, c}, one = 1;
  kp_tensor *nh[] = {&xw1, &z1, &r1, &d1, &dz1, &dr1, &dd1, &dxw1};
  kp_tensor *nc[] = {&hw2, &logits, &probs, &dhw2, &dlogits};
  for (size_t i = 0; i < sizeof nh / sizeof *nh; i++) CHECK(kp_tensor_alloc(nh[i], KP_F32, dev, 2, s_h));
  for (size_t i = 0; i < sizeof nc / sizeof *nc; i++) CHECK(kp_tensor_alloc(nc[i], KP_F32, dev, 2, s_c));
  CHECK(kp_tensor_alloc(&loss, KP_F32, dev, 1, &one));

  kp_adam_hparams adam = {.lr = o.lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                          .weight_decay = o.weight_decay, .decoupled = false};
  float *hlogits = malloc(sizeof(float) * (size_t)n * c);
  uint64_t drop_offset = 0;
  double acc[3] = {0, 0, 0};
  float last_loss = 0.0f;
  for (int epoch = 1; epoch <= o.epochs; epoch++) {
    /* forward (training mode) */
    CHECK(kp_linear_fwd(&xw1, NULL, &x, &P.w1, NULL, KP_ACT_NONE, 0.0f));
    CHECK(kp_spmm_fwd(&z1, &adj, &w, &xw1, KP_REDUCE_SUM));
    CHECK(kp_bias_add_fwd(&z1, &z1, &P.b1));
    CHECK(kp_act_fwd(&r1, &z1, KP_ACT_RELU, 0.0f));
    CHECK(kp_dropout_fwd(&d1, &r1, o.dropout, o.seed, drop_offset));
    CHECK(kp_linear_fwd(&hw2, NULL, &d1, &P.w2, NULL, KP_ACT_NONE, 0.0f));
    CHECK(kp_spmm_fwd(&logits, &adj, &w, &hw2, KP_REDUCE_SUM));
    CHECK(kp_bias_add_fwd(&logits, &logits, &P.b2));
    CHECK(kp_cross_entropy_fwd(&loss, &probs, &logits, &y_train, NULL, 0.0f, -100));
    /* backward */
    CHECK(kp_tensor_fill(&G.flat, 0.0));
    kp_tensor *zero[] = {&dlogits, &dhw2, &dd1, &dr1, &dz1, &dxw1};
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++) CHECK(kp_tensor_fill(zero[i], 0.0));
    CHECK(kp_cross_entropy_bwd(&dlogits, &probs, &y_train, NULL, 0.0f, -100, 1.0f));
    CHECK(kp_bias_add_bwd(NULL, &G.b2, &dlogits));
    CHECK(kp_spmm_bwd(&dhw2, NULL, &dlogits, &adj, &w, &hw2, KP_REDUCE_SUM));
    CHECK(kp_linear_bwd(&dd1, &G.w2, NULL, &dhw2, NULL, &d1, &P.w2, KP_ACT_NONE, 0.0f));
    CHECK(kp_dropout_bwd(&dr1, &dd1, o.dropout, o.seed, drop_offset));
    CHECK(kp_act_bwd(&dz1, &dr1, &z1, KP_ACT_RELU, 0.0f));
    CHECK(kp_bias_add_bwd(NULL, &G.b1, &dz1));
    CHECK(kp_spmm_bwd(&dxw1, NULL, &dz1, &adj, &w, &xw1, KP_REDUCE_SUM));
    CHECK(kp_linear_bwd(NULL, &G.w1, NULL, &dxw1, NULL, &x, &P.w1, KP_ACT_NONE, 0.0f));
    CHECK(kp_adam_step(&P.flat, &G.flat, &m, &v, &adam, epoch));
    drop_offset += kp_philox_blocks((uint64_t)n * h);

    bool report = epoch == 1 || epoch % 20 == 0 || epoch == o.epochs;
    if (report) {
      /* evaluation mode: no dropout */
      CHECK(kp_linear_fwd(&xw1, NULL, &x, &P.w1, NULL, KP_ACT_NONE, 0.0f));
      CHECK(kp_spmm_fwd(&z1, &adj, &w, &xw1, KP_REDUCE_SUM));
      CHECK(kp_bias_add_fwd(&z1, &z1, &P.b1));
      CHECK(kp_act_fwd(&r1, &z1, KP_ACT_RELU, 0.0f));
      CHECK(kp_linear_fwd(&hw2, NULL, &r1, &P.w2, NULL, KP_ACT_NONE, 0.0f));
      CHECK(kp_spmm_fwd(&logits, &adj, &w, &hw2, KP_REDUCE_SUM));
      CHECK(kp_bias_add_fwd(&logits, &logits, &P.b2));
      kp_tensor hl = kp_tensor_wrap(hlogits, KP_F32, kp_cpu(), 2, s_c), hloss = kp_tensor_wrap(&last_loss, KP_F32, kp_cpu(), 1, &one);
      CHECK(kp_tensor_copy(&hl, &logits));
      CHECK(kp_tensor_copy(&hloss, &loss));
      int correct[3] = {0, 0, 0}, total[3] = {0, 0, 0};
      for (int i = 0; i < n; i++) {
        total[g.split[i]]++;
        correct[g.split[i]] += argmax_row(hlogits + (size_t)i * c, c) == g.label[i];
      }
      for (int s = 0; s < 3; s++) acc[s] = total[s] ? (double)correct[s] / total[s] : 0.0;
      printf("epoch %4d  train loss %.4f  train acc %.3f  val acc %.3f\n", epoch, last_loss, acc[0], acc[1]);
    }
  }
  /* final report on the test split, from the last evaluation */
  int *cm = calloc((size_t)c * c, sizeof(int));
  for (int i = 0; i < n; i++)
    if (g.split[i] == 2) cm[g.label[i] * c + argmax_row(hlogits + (size_t)i * c, c)]++;
  printf("\ntest accuracy %.4f (validation %.4f)\nconfusion matrix (rows true, columns predicted):\n", acc[2], acc[1]);
  printf("            ");
  for (int k = 0; k < c; k++) printf("  cause%-2d", k);
  printf("\n");
  for (int t = 0; t < c; t++) {
    printf("  cause%-4d ", t);
    for (int k = 0; k < c; k++) printf(" %8d", cm[t * c + k]);
    printf("\n");
  }
  kp_pool_stats ps;
  kp_pool_get_stats(dev, &ps);
  printf("memory: %.1f KiB peak in use, %llu system allocations\n", ps.peak_in_use / 1024.0,
         (unsigned long long)ps.system_allocs);
  free(cm), free(hlogits), free(yt);
  free(g.label), free(g.split), free(g.x), free(g.indptr), free(g.indices), free(g.w);
  kp_csr_free(&adj);
  return 0;
}
