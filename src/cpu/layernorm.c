/* CPU layer normalisation (PyTorch semantics: biased variance, eps inside the square root). */
#include <math.h>
#include "cpu/cpu.h"

#define KP_LN_PAR_MIN 16384 /* elements below which a loop runs on one thread */

kp_status kp_cpu_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x,
                               const kp_tensor *gamma, const kp_tensor *beta, float eps) {
  int64_t R = kp_tensor_rows(x), C = kp_tensor_cols(x);
  const float *px = x->data, *pg = gamma->data, *pb = beta->data;
  float *py = y->data, *pmean = mean ? mean->data : NULL, *prstd = rstd ? rstd->data : NULL;
#pragma omp parallel for if (R * C > KP_LN_PAR_MIN)
  for (int64_t r = 0; r < R; r++) {
    const float *xr = px + r * C;
    float *yr = py + r * C; /* may alias xr: the statistics are taken before any write */
    /* Two passes in double: exact enough for rows whose mean is large against their spread. */
    double s = 0.0;
    for (int64_t j = 0; j < C; j++) s += xr[j];
    double mu = s / (double)C, v = 0.0;
    for (int64_t j = 0; j < C; j++) {
      double d = xr[j] - mu;
      v += d * d;
    }
    float rs = (float)(1.0 / sqrt(v / (double)C + (double)eps));
    for (int64_t j = 0; j < C; j++) yr[j] = (float)(xr[j] - mu) * rs * pg[j] + pb[j];
    if (pmean) pmean[r] = (float)mu;
    if (prstd) prstd[r] = rs;
  }
  return KP_OK;
}

/* The saved f32 mean is rounded (by up to half an ulp of |mean|, which matters when |mean| >> std):
 * corr[r] = mean_j (x[r,j] - mean[r]) in double restores the exact centre, so xhat = (x - mean - corr) rstd. */
static void mean_corrections(float *corr, const float *px, const float *pm, int64_t R, int64_t C) {
#pragma omp parallel for if (R * C > KP_LN_PAR_MIN)
  for (int64_t r = 0; r < R; r++) {
    double s = 0.0;
    for (int64_t j = 0; j < C; j++) s += (double)px[r * C + j] - (double)pm[r];
    corr[r] = (float)(s / (double)C);
  }
}

/* dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma; dgamma = sum_r dy xhat; dbeta = sum_r dy. */
kp_status kp_cpu_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy,
                               const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd,
                               const kp_tensor *gamma) {
  int64_t R = kp_tensor_rows(x), C = kp_tensor_cols(x);
  if (R == 0 || C == 0) return KP_OK;
  const float *px = x->data, *g = dy->data, *pm = mean->data, *prs = rstd->data, *pg = gamma->data;
  kp_tensor ct;
  KP_TRY(kp_tensor_alloc(&ct, KP_F32, x->device, 1, &R));
  float *corr = ct.data;
  mean_corrections(corr, px, pm, R, C);
  if (dx) {
    float *pdx = dx->data;
#pragma omp parallel for if (R * C > KP_LN_PAR_MIN)
    for (int64_t r = 0; r < R; r++) {
      const float *xr = px + r * C, *gr = g + r * C;
      float m = pm[r], c = corr[r], rs = prs[r], sg = 0.0f, sgx = 0.0f;
      for (int64_t j = 0; j < C; j++) {
        float gj = gr[j] * pg[j];
        sg += gj;
        sgx += gj * ((xr[j] - m) - c) * rs;
      }
      float mg = sg / (float)C, mgx = sgx / (float)C;
      float *dr = pdx + r * C;
      for (int64_t j = 0; j < C; j++) dr[j] += rs * (gr[j] * pg[j] - mg - ((xr[j] - m) - c) * rs * mgx);
    }
  }
  float *pdg = dgamma ? dgamma->data : NULL, *pdb = dbeta ? dbeta->data : NULL;
  if (pdg || pdb) {
    /* Column blocks of 16, each summed over the rows in order by one thread: deterministic. */
    int64_t nblk = (C + 15) / 16;
#pragma omp parallel for if (R * C > KP_LN_PAR_MIN)
    for (int64_t k = 0; k < nblk; k++) {
      int64_t j0 = k * 16, j1 = j0 + 16 < C ? j0 + 16 : C;
      float ag[16] = {0}, ab[16] = {0};
      for (int64_t r = 0; r < R; r++) {
        const float *xr = px + r * C, *gr = g + r * C;
        float m = pm[r], c = corr[r], rs = prs[r];
        for (int64_t j = j0; j < j1; j++) {
          ag[j - j0] += gr[j] * ((xr[j] - m) - c) * rs;
          ab[j - j0] += gr[j];
        }
      }
      for (int64_t j = j0; j < j1; j++) {
        if (pdg) pdg[j] += ag[j - j0];
        if (pdb) pdb[j] += ab[j - j0];
      }
    }
  }
  kp_tensor_free(&ct);
  return KP_OK;
}
