/* metrics_polytopes (oracle O6): feature dimensionality of exact polytopes, scale invariance, sum D_i <= m.
 * Each polytope's vertices are the rows of W; a tight frame of k unit vectors in d dims gives D_i = d/k for all. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "metrics/metrics.h"

enum { MAXN = 32, MAXM = 8 };
static const double PI = 3.14159265358979323846;
static const double TOL = 2e-6; /* float32 vertices: D is exact up to a few ulps of float */

typedef struct {
  int n, m;
  float W[MAXN * MAXM]; /* (N, M) */
} poly;

static void add_row(poly *p, const double *v) {
  double nn = 0.0;
  for (int k = 0; k < p->m; k++) nn += v[k] * v[k];
  for (int k = 0; k < p->m; k++) p->W[p->n * p->m + k] = (float)(v[k] / sqrt(nn)); /* unit vertices */
  p->n++;
}

static poly kgon(int k) {
  poly p = {0, 2, {0}};
  for (int j = 0; j < k; j++) {
    double v[2] = {cos(2 * PI * j / k), sin(2 * PI * j / k)};
    add_row(&p, v);
  }
  return p;
}

static poly simplex(int d) { /* d+1 vertices e_i - centroid in R^(d+1): a regular simplex spanning d dims */
  poly p = {0, d + 1, {0}};
  for (int i = 0; i <= d; i++) {
    double v[MAXM];
    for (int k = 0; k <= d; k++) v[k] = (k == i) - 1.0 / (d + 1);
    add_row(&p, v);
  }
  return p;
}

static poly antiprism(double z) { /* square antiprism: squares at +-z, twisted by 45 degrees, vertices on the sphere */
  poly p = {0, 3, {0}};
  double r = sqrt(1 - z * z);
  for (int j = 0; j < 4; j++) {
    double a = 2 * PI * j / 4, c = a + PI / 4;
    double top[3] = {r * cos(a), r * sin(a), z}, bot[3] = {r * cos(c), r * sin(c), -z};
    add_row(&p, top);
    add_row(&p, bot);
  }
  return p;
}

/* Every member of p has dimensionality want[i] (or want[0] for all if uniform). */
static void check_D(const char *name, const poly *p, const double *want, int uniform) {
  double D[MAXN];
  CHECK(tms_metric_dimensionality(D, p->W, p->n, p->m) == TMS_OK, "%s: status", name);
  double worst = 0.0;
  int at = 0;
  for (int i = 0; i < p->n; i++) {
    double w = uniform ? want[0] : want[i];
    if (!(fabs(D[i] - w) <= worst)) { worst = fabs(D[i] - w); at = i; }
  }
  char what[96];
  snprintf(what, sizeof what, "%s: D of vertex %d (worst of %d)", name, at, p->n);
  CHECK_CLOSE(what, D[at], uniform ? want[0] : want[at], TOL);
  double sum = 0.0;
  for (int i = 0; i < p->n; i++) sum += D[i];
  CHECK(sum <= p->m + 1e-9, "%s: sum D_i = %.9g exceeds m = %d by %.3g", name, sum, p->m, sum - p->m);
}

static void check_uniform(const char *name, const poly *p, double want) { check_D(name, p, &want, 1); }

/* Scale invariance (on the bipyramid bip): D_i unchanged, D* ~ 1/scale^2. A non-uniform polytope so a wrong formula cannot hide. */
static void check_scaling(const poly *bip_in) {
  const poly bip = *bip_in;
  const double scale = 3.0;
  poly big = bip;
  for (int k = 0; k < big.n * big.m; k++) big.W[k] = (float)(scale * bip.W[k]);
  double D1[MAXN], D2[MAXN];
  tms_metric_dimensionality(D1, bip.W, bip.n, bip.m);
  tms_metric_dimensionality(D2, big.W, big.n, big.m);
  for (int i = 0; i < bip.n; i++) CHECK_CLOSE("D_i after scaling W by 3", D2[i], D1[i], 1e-12);
  double d1 = tms_metric_dstar(bip.W, bip.n, bip.m), d2 = tms_metric_dstar(big.W, big.n, big.m);
  CHECK_CLOSE("D* of the bipyramid (m / ||W||_F^2 = 3/5)", d1, 3.0 / 5.0, 1e-6);
  CHECK_CLOSE("D* after scaling by 3, times 9", d2 * scale * scale, d1, 1e-6);
}

/* sum D_i <= m on unstructured W (pseudo-random, fixed): the leverage-score bound of analysis/SCIENCE.md 4.5. */
static void check_random_bound(void) {
  poly r = {24, 5, {0}};
  unsigned long long z = 12345;
  for (int k = 0; k < r.n * r.m; k++) {
    z = z * 6364136223846793005ULL + 1442695040888963407ULL;
    r.W[k] = (float)((double)(z >> 11) / 9007199254740992.0 * 2 - 1);
  }
  double D[MAXN], sum = 0.0;
  tms_metric_dimensionality(D, r.W, r.n, r.m);
  for (int i = 0; i < r.n; i++) {
    CHECK(D[i] >= 0 && D[i] <= 1, "random W: D_%d = %.9g outside [0, 1]", i, D[i]);
    sum += D[i];
  }
  CHECK(sum <= r.m + 1e-9, "random W: sum D_i = %.9g exceeds m = %d by %.3g", sum, r.m, sum - r.m);
}

int main(void) {
  for (int k = 2; k <= 7; k++) {
    char name[32];
    snprintf(name, sizeof name, "regular %d-gon", k);
    poly p = kgon(k);
    /* k = 2 is the digon: an antipodal pair spans 1 dim, so d/k = 1/2 (analysis/SCIENCE.md O6), not 2/k = 1. */
    check_uniform(name, &p, k == 2 ? 1.0 / 2.0 : 2.0 / k);
  }

  poly tet = {0, 3, {0}};
  double tv[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
  for (int i = 0; i < 4; i++) add_row(&tet, tv[i]);
  check_uniform("tetrahedron", &tet, 3.0 / 4.0);

  poly oct = {0, 3, {0}};
  for (int a = 0; a < 3; a++)
    for (int s = -1; s <= 1; s += 2) {
      double v[3] = {0, 0, 0};
      v[a] = s;
      add_row(&oct, v);
    }
  check_uniform("octahedron", &oct, 1.0 / 2.0);

  poly cube = {0, 3, {0}};
  for (int c = 0; c < 8; c++) {
    double v[3] = {c & 1 ? 1 : -1, c & 2 ? 1 : -1, c & 4 ? 1 : -1};
    add_row(&cube, v);
  }
  check_uniform("cube", &cube, 3.0 / 8.0);

  poly tight = antiprism(1 / sqrt(3.0));
  check_uniform("square antiprism, tight frame z = 1/sqrt(3)", &tight, 3.0 / 8.0);
  /* z = 0.5: frame operator diag(3, 3, 2), each vertex sees 3*0.75 + 2*0.25 = 2.75, so D = 4/11 */
  poly loose = antiprism(0.5);
  check_uniform("square antiprism, z = 0.5", &loose, 4.0 / 11.0);
  CHECK(fabs(4.0 / 11.0 - 0.3636) < 1e-4, "4/11 is the 0.3636 of analysis/SCIENCE.md O6");

  const double phi = (1 + sqrt(5.0)) / 2;
  poly ico = {0, 3, {0}};
  for (int c = 0; c < 3; c++) /* cyclic permutations of (0, +-1, +-phi) */
    for (int s = 0; s < 4; s++) {
      double base[3] = {0, s & 1 ? 1 : -1, s & 2 ? phi : -phi}, v[3];
      for (int k = 0; k < 3; k++) v[(k + c) % 3] = base[k];
      add_row(&ico, v);
    }
  check_uniform("icosahedron", &ico, 1.0 / 4.0);

  poly dod = {0, 3, {0}};
  for (int c = 0; c < 8; c++) {
    double v[3] = {c & 1 ? 1 : -1, c & 2 ? 1 : -1, c & 4 ? 1 : -1};
    add_row(&dod, v);
  }
  for (int c = 0; c < 3; c++) /* cyclic permutations of (0, +-1/phi, +-phi) */
    for (int s = 0; s < 4; s++) {
      double base[3] = {0, s & 1 ? 1 / phi : -1 / phi, s & 2 ? phi : -phi}, v[3];
      for (int k = 0; k < 3; k++) v[(k + c) % 3] = base[k];
      add_row(&dod, v);
    }
  CHECK(dod.n == 20, "dodecahedron has 20 vertices, built %d", dod.n);
  check_uniform("dodecahedron", &dod, 3.0 / 20.0);

  poly s4 = simplex(4), s5 = simplex(5);
  check_uniform("4-simplex", &s4, 4.0 / 5.0);
  check_uniform("5-simplex", &s5, 5.0 / 6.0);

  poly bip = {0, 3, {0}};
  for (int j = 0; j < 3; j++) {
    double v[3] = {cos(2 * PI * j / 3), sin(2 * PI * j / 3), 0};
    add_row(&bip, v);
  }
  double up[3] = {0, 0, 1}, down[3] = {0, 0, -1};
  add_row(&bip, up);
  add_row(&bip, down);
  double bip_want[5] = {2.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 2, 1.0 / 2};
  check_D("triangular bipyramid (tegum factors)", &bip, bip_want, 0);

  check_scaling(&bip);
  check_random_bound();
  return tms_check_finish("metrics_polytopes");
}
