/* Sparse graph ops on a CSR adjacency whose rows are destination nodes and whose entries
 * are the incoming edges (source = column), as in PyG's aggregation at the target node.
 * Edge values are laid out [nnz, H] (H heads; H = 1 may be given as [nnz]); node features
 * [nodes, H*D] are H blocks of D. Backward functions accumulate (+=). */
#ifndef KPRCA_SPARSE_H
#define KPRCA_SPARSE_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/reduce.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_csr {
  int64_t nrows, ncols, nnz;
  kp_device device;
  kp_tensor indptr;    /* i32 [nrows+1] */
  kp_tensor indices;   /* i32 [nnz]: source (column) of each edge */
  kp_tensor rows;      /* i32 [nnz]: destination (row) of each edge */
  kp_tensor t_indptr;  /* i32 [ncols+1]: the transpose, for race-free backward passes */
  kp_tensor t_rows;    /* i32 [nnz]: row of each transposed entry */
  kp_tensor t_edge;    /* i32 [nnz]: edge id (position in indices) of each transposed entry */
  void *backend_cache; /* backend descriptors (cuSPARSE), released by kp_csr_free */
} kp_csr;

/** Builds a CSR on dev from host arrays, checking indptr (starts at 0, non-decreasing, ends at nnz) and every index < ncols. */
kp_status kp_csr_init(kp_csr *g, kp_device dev, int64_t nrows, int64_t ncols, const int32_t *indptr,
                      const int32_t *indices);
/** Frees g's arrays and backend cache. */
void kp_csr_free(kp_csr *g);

/** y[i, h, :] = reduce_{e in row i} w[e, h] * x[col(e), h, :] with reduce SUM or MEAN (MEAN divides by the row's degree;
 *  empty rows give 0). x [ncols, H*D], y [nrows, H*D], w NULL (all ones), [nnz] or [nnz, H]. */
kp_status kp_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r);
/** dx += A^T dy (with the same weights and reduction); dw[e, h] += <dy[row(e), h, :], x[col(e), h, :]> (scaled for MEAN). */
kp_status kp_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w,
                      const kp_tensor *x, kp_reduce r);
/** SDDMM out[e, h] = <a[row(e), h, :], b[col(e), h, :]> with a [nrows, H*D], b [ncols, H*D], out [nnz, H] (or [nnz]). */
kp_status kp_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b);
/** da[row(e)] += dout[e] * b[col(e)]; db[col(e)] += dout[e] * a[row(e)] (per head; either may be NULL). */
kp_status kp_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a,
                       const kp_tensor *b);
/** out[e, h] = softmax over the edges e of each row (a node's incoming edges) of scores[:, h]; [nnz, H] or [nnz]. */
kp_status kp_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores);
/** dscores[e] += out[e] * (dout[e] - sum_{e' in row(e)} dout[e'] out[e']) per head. */
kp_status kp_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out);

/* ---- A sparse matrix times a dense Linear weight (bag-of-words inputs) -------------------------
 * Here g is the non-zero pattern of a matrix X [nrows, ncols] (a row's columns ascending for the fastest
 * dropout) and v [nnz] holds X's values in g's entry order. */

/** Dropout of X's values x0 [nnz] into v [nnz] with the masks of the dense X: bit for bit what
 *  kp_dropout_fwd(X, p, seed, offset) gives at element row(e) * ncols + col(e), drawing only the Philox blocks that
 *  hold an entry (p = 0: a copy). */
kp_status kp_csr_dropout(kp_tensor *v, const kp_csr *g, const kp_tensor *x0, float p, uint64_t seed, uint64_t offset);
/** y [nrows, M] = X w^T for a Linear weight w [M, ncols]; wt [ncols, M] is scratch that receives w^T. Each row of y
 *  sums its entries in g's order (zero values skipped). */
kp_status kp_csr_linear_fwd(kp_tensor *y, kp_tensor *wt, const kp_csr *g, const kp_tensor *v, const kp_tensor *w);
/** dw [M, ncols] += dy^T X for dy [nrows, M]: each column of X sums its entries in row order through g's transpose
 *  (no atomics, one order whatever the threads). */
kp_status kp_csr_linear_bwd(kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *v);
/** True when dev's backend implements kp_csr_dropout, kp_csr_linear_fwd and kp_csr_linear_bwd. */
bool kp_csr_linear_supported(kp_device dev);

#ifdef __cplusplus
}
#endif
#endif
