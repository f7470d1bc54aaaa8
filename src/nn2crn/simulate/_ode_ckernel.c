/* The Rosenbrock ODE kernel (RODAS5P / RODAS4, as data) for a chunk of rows sharing one step size, in C.
 *
 * A line-by-line port of integrate_chunk in _ode_numba.py (with _rhs, _time_derivative,
 * _jacobian, _factor, _solve, _write_samples and the controller of _ode_control.py) for a
 * whole system: no driven species, no layered stages, no dense-output tape. Built ahead of
 * time by `pip install` (setup.py, an optional extension) so that a fresh `nn2crn simulate`
 * neither imports numba nor loads its cached kernel; _ode_native.py calls it through ctypes,
 * which releases the GIL, so chunks of rows run on parallel Python threads.
 *
 * Same arithmetic in the same order as the numba kernel, compiled with -ffp-contract=off so
 * that no fused multiply-add changes a rounding: numba's `x ** n` for a run-time integer n is
 * exponentiation by squaring (ipow below), `x ** 2` for a literal 2 is `x * x`, Python's
 * max(a, b) is `b > a ? b : a`. tests/simulate/test_ode_native.py compares the two kernels.
 *
 * Arrays are laid out (rows, n_chunk): every inner loop runs over the chunk's rows, contiguous.
 *
 * The file also holds a linear-time strongly connected components routine (iterative Tarjan),
 * used by _ode_plan.py instead of scipy.sparse.csgraph when the extension is built.
 */
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* nn2crn.simulate.base.Status */
#define T_END 0
#define STEP_COLLAPSE 2
#define MAX_STEPS 3
#define OUT_OF_MEMORY -1

/* nn2crn.simulate.ode.CHUNK_ROWS */
#define FULL_CHUNK 64
#define INLINE inline __attribute__((always_inline))
/* The row loops are SIMD loops: on x86-64 Linux the kernel is compiled once per vector
 * width and picked at load time (an ifunc: glibc), as numba compiles for the host CPU. Without
 * contraction (-ffp-contract=off) every width rounds the same way. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* _ode_control.py */
#define EPS 2.220446049250313e-16
#define SINGULAR_FACTOR 0.25

/* The order of the array pointers passed by _ode_native.py (its _ARRAYS). */
enum {
    A_Y, A_COEF, A_TIMES, A_STORE_IDX, A_OUT,
    A_RATE, A_REACT_PTR, A_REACT_IDX, A_REACT_POW, A_STOICH_PTR, A_STOICH_IDX, A_STOICH_VAL,
    A_GROUP_RATE, A_FORCE_GROUP, A_FORCE_TARGET,
    A_VAR_SLOT, A_VAR_SLOT_REACTION, A_VAR_PTR, A_VAR_POS, A_VAR_VAL,
    A_BLOCK_START, A_LOWERC_PTR, A_LOWERC_COL, A_LOWERC_VAL, A_LOWERV_PTR, A_LOWERV_COL, A_LOWERV_IDX,
    A_LOWERV_CONST, A_INBLOCK_PTR, A_INBLOCK_ROW, A_INBLOCK_COL, A_INBLOCK_VAR, A_INBLOCK_CONST, A_LU_OFFSET,
    A_TAB_A, A_TAB_C_COUPLING, A_TAB_C, A_TAB_D, A_TAB_DENSE,
    N_ARRAYS
};
/* ... of the sizes */
enum {
    D_N_CHUNK, D_N_TIMES, D_N_STORE, D_N_REACTIONS, D_N_GROUPS, D_N_FORCE, D_N_VAR_SLOTS, D_N_JAC_VAR,
    D_N_BLOCKS, D_N_STAGES, D_N_DENSE, D_RATE_LAW, D_MAX_STEPS,
    N_DIMS
};
/* ... of the real parameters */
enum { P_KAPPA, P_GAMMA, P_RTOL, P_ATOL, P_EXPONENT, P_SAFETY, P_FACTOR_MIN, P_FACTOR_MAX, N_PARAMS };
/* ... and of the results */
enum { S_STATUS, S_WORST, S_STEPS, S_REJECTED, S_RHS, N_ISTATS };
enum { S_T, S_MAX_CLIP, N_FSTATS };

typedef struct {
    int64_t n_dyn, n_reactions, n_groups, n_force, n_var_slots, n_jac_var, n_blocks;
    int64_t rate_law;
    double kappa;
    const double *rate, *stoich_val, *group_rate, *var_val, *lowerc_val, *lowerv_const, *inblock_const;
    const int64_t *react_ptr, *react_idx, *react_pow, *stoich_ptr, *stoich_idx;
    const int64_t *force_group, *force_target;
    const int64_t *var_slot, *var_slot_reaction, *var_ptr, *var_pos;
    const int64_t *block_start, *lowerc_ptr, *lowerc_col, *lowerv_ptr, *lowerv_col, *lowerv_idx;
    const int64_t *inblock_ptr, *inblock_row, *inblock_col, *inblock_var, *lu_offset;
} Plan;

static inline double py_max(double a, double b) { return b > a ? b : a; }
static inline double py_min(double a, double b) { return b < a ? b : a; }

/* numba's float ** int64 for a run-time exponent >= 0 (exponentiation by squaring). */
static inline double ipow(double a, int64_t exp) {
    double r = 1.0;
    if (exp > 0x10000) return pow(a, (double)exp);
    while (exp != 0) {
        if (exp & 1) r *= a;
        exp >>= 1;
        a *= a;
    }
    return r;
}

static inline int finite_nonzero(double x) { return fabs(x) > 0.0 && fabs(x) < INFINITY; }

/* out[target] += coef * group weight for each inflow entry (the exponential inflow, or its time derivative). */
static INLINE void add_inflow(const Plan *p, const int64_t n_chunk, const double *restrict gexp, const double *restrict coef,
                              double *restrict out) {
    for (int64_t e = 0; e < p->n_force; e++) {
        double *restrict fj = out + p->force_target[e] * n_chunk;
        const double *restrict ce = coef + e * n_chunk;
        double w = gexp[p->force_group[e]];
        for (int64_t c = 0; c < n_chunk; c++) fj[c] += ce[c] * w;
    }
}

/* v *= one reactant's factor of the rate law (x^n, or (x / (kappa + |x|))^n when saturating). */
static INLINE void multiply_rate_factor(const Plan *p, const int64_t n_chunk, const double *restrict x, int64_t n,
                                        double *restrict v) {
    if (p->rate_law == 0) {
        if (n == 1) {
            for (int64_t c = 0; c < n_chunk; c++) v[c] *= x[c];
        } else {
            for (int64_t c = 0; c < n_chunk; c++) v[c] *= ipow(x[c], n);
        }
    } else {
        double kappa = p->kappa;
        for (int64_t c = 0; c < n_chunk; c++) v[c] *= ipow(x[c] / (kappa + fabs(x[c])), n);
    }
}

static INLINE void rhs(const Plan *p, const int64_t n_chunk, double t, const double *restrict u, double *restrict f, const double *restrict coef,
                double *restrict gexp, double *restrict v, int accumulate) {
    if (!accumulate) memset(f, 0, sizeof(double) * p->n_dyn * n_chunk);
    for (int64_t g = 0; g < p->n_groups; g++) gexp[g] = exp(-p->group_rate[g] * t);
    add_inflow(p, n_chunk, gexp, coef, f);
    for (int64_t r = 0; r < p->n_reactions; r++) {
        double k = p->rate[r];
        for (int64_t c = 0; c < n_chunk; c++) v[c] = k;
        for (int64_t q = p->react_ptr[r]; q < p->react_ptr[r + 1]; q++)
            multiply_rate_factor(p, n_chunk, u + p->react_idx[q] * n_chunk, p->react_pow[q], v);
        for (int64_t e = p->stoich_ptr[r]; e < p->stoich_ptr[r + 1]; e++) {
            double *restrict fj = f + p->stoich_idx[e] * n_chunk;
            double s = p->stoich_val[e];
            for (int64_t c = 0; c < n_chunk; c++) fj[c] += s * v[c];
        }
    }
}

static INLINE void time_derivative(const Plan *p, const int64_t n_chunk, double t, double *restrict ft, const double *restrict coef,
                            double *restrict gexp) {
    memset(ft, 0, sizeof(double) * p->n_dyn * n_chunk);
    for (int64_t g = 0; g < p->n_groups; g++) gexp[g] = -p->group_rate[g] * exp(-p->group_rate[g] * t);
    add_inflow(p, n_chunk, gexp, coef, ft);
}

static INLINE void jacobian(const Plan *p, const int64_t n_chunk, const double *restrict y, double *restrict jac, double *restrict dv) {
    memset(jac, 0, sizeof(double) * p->n_jac_var * n_chunk);
    for (int64_t s = 0; s < p->n_var_slots; s++) {
        int64_t q = p->var_slot[s];
        int64_t r = p->var_slot_reaction[s];
        double k = p->rate[r];
        for (int64_t c = 0; c < n_chunk; c++) dv[c] = k;
        for (int64_t q2 = p->react_ptr[r]; q2 < p->react_ptr[r + 1]; q2++) {
            const double *restrict yi = y + p->react_idx[q2] * n_chunk;
            int64_t n = p->react_pow[q2];
            if (q2 != q) {
                multiply_rate_factor(p, n_chunk, yi, n, dv);
            } else if (p->rate_law == 0) { /* d(x^n)/dx */
                if (n != 1) {
                    double nf = (double)n;
                    for (int64_t c = 0; c < n_chunk; c++) dv[c] *= nf * ipow(yi[c], n - 1);
                }
            } else { /* d((x / (kappa + |x|))^n)/dx */
                double kappa = p->kappa, nf = (double)n;
                for (int64_t c = 0; c < n_chunk; c++) {
                    double d = kappa + fabs(yi[c]);
                    dv[c] *= nf * ipow(yi[c] / d, n - 1) * kappa / (d * d);
                }
            }
        }
        for (int64_t e = p->var_ptr[s]; e < p->var_ptr[s + 1]; e++) {
            double *restrict jp = jac + p->var_pos[e] * n_chunk;
            double w = p->var_val[e];
            for (int64_t c = 0; c < n_chunk; c++) jp[c] += w * dv[c];
        }
    }
}

/* Fill and factor the diagonal blocks of a I - J; 0 if one is singular. */
static INLINE int factor(const Plan *p, const int64_t n_chunk, double a, const double *restrict jac, double *restrict lu, int64_t *restrict piv) {
    int64_t bad = 0;
    for (int64_t b = 0; b < p->n_blocks; b++) {
        int64_t s0 = p->block_start[b];
        int64_t size = p->block_start[b + 1] - s0;
        double *restrict blk = lu + p->lu_offset[b] * n_chunk;
        if (size == 1) { /* the common case, without zero-filling */
            double w = a;
            int64_t vi = -1;
            for (int64_t e = p->inblock_ptr[b]; e < p->inblock_ptr[b + 1]; e++) {
                w -= p->inblock_const[e];
                vi = p->inblock_var[e];
            }
            if (vi >= 0) {
                const double *restrict jv = jac + vi * n_chunk;
                for (int64_t c = 0; c < n_chunk; c++) {
                    double d = w - jv[c];
                    bad += !finite_nonzero(d);
                    blk[c] = 1.0 / d;
                }
            } else {
                if (!finite_nonzero(w)) return 0;
                for (int64_t c = 0; c < n_chunk; c++) blk[c] = 1.0 / w;
            }
            continue;
        }
        memset(blk, 0, sizeof(double) * size * size * n_chunk);
        for (int64_t r = 0; r < size; r++)
            for (int64_t c = 0; c < n_chunk; c++) blk[(r * size + r) * n_chunk + c] = a;
        for (int64_t e = p->inblock_ptr[b]; e < p->inblock_ptr[b + 1]; e++) {
            double *restrict lp = blk + (p->inblock_row[e] * size + p->inblock_col[e]) * n_chunk;
            double w = p->inblock_const[e];
            int64_t vi = p->inblock_var[e];
            if (vi >= 0) {
                const double *restrict jv = jac + vi * n_chunk;
                for (int64_t c = 0; c < n_chunk; c++) lp[c] -= w + jv[c];
            } else {
                for (int64_t c = 0; c < n_chunk; c++) lp[c] -= w;
            }
        }
        if (size == 2) {
            for (int64_t c = 0; c < n_chunk; c++) {
                double a00 = blk[c], a01 = blk[n_chunk + c], a10 = blk[2 * n_chunk + c], a11 = blk[3 * n_chunk + c];
                double det = a00 * a11 - a01 * a10;
                bad += !finite_nonzero(det);
                double inv = 1.0 / det;
                blk[c] = a11 * inv;
                blk[n_chunk + c] = -a01 * inv;
                blk[2 * n_chunk + c] = -a10 * inv;
                blk[3 * n_chunk + c] = a00 * inv;
            }
        } else {
#define LU(i, j) blk[((i) * size + (j)) * n_chunk + c]
            for (int64_t c = 0; c < n_chunk; c++) {
                for (int64_t k = 0; k < size; k++) {
                    int64_t best = k;
                    double big = fabs(LU(k, k));
                    for (int64_t i = k + 1; i < size; i++) {
                        double value = fabs(LU(i, k));
                        if (value > big) {
                            best = i;
                            big = value;
                        }
                    }
                    if (!(big > 0.0 && big < INFINITY)) return 0;
                    piv[(s0 + k) * n_chunk + c] = best;
                    if (best != k) {
                        for (int64_t col = 0; col < size; col++) {
                            double tmp = LU(k, col);
                            LU(k, col) = LU(best, col);
                            LU(best, col) = tmp;
                        }
                    }
                    double pivot = LU(k, k);
                    for (int64_t i = k + 1; i < size; i++) {
                        double f = LU(i, k) / pivot;
                        LU(i, k) = f;
                        if (f != 0.0) {
                            for (int64_t col = k + 1; col < size; col++) LU(i, col) -= f * LU(k, col);
                        }
                    }
                }
            }
#undef LU
        }
    }
    return bad == 0;
}

/* Overwrite x with (a I - J)^-1 x by forward substitution over the blocks. */
static INLINE void solve(const Plan *p, const int64_t n_chunk, double *restrict x, const double *restrict jac, const double *restrict lu,
                  const int64_t *restrict piv) {
    for (int64_t b = 0; b < p->n_blocks; b++) {
        int64_t s0 = p->block_start[b];
        int64_t size = p->block_start[b + 1] - s0;
        const double *restrict blk = lu + p->lu_offset[b] * n_chunk;
        for (int64_t j = s0; j < s0 + size; j++) {
            double *restrict xj = x + j * n_chunk;
            for (int64_t e = p->lowerc_ptr[j]; e < p->lowerc_ptr[j + 1]; e++) {
                const double *restrict xi = x + p->lowerc_col[e] * n_chunk;
                double w = p->lowerc_val[e];
                for (int64_t c = 0; c < n_chunk; c++) xj[c] += w * xi[c];
            }
            for (int64_t e = p->lowerv_ptr[j]; e < p->lowerv_ptr[j + 1]; e++) {
                const double *restrict xi = x + p->lowerv_col[e] * n_chunk;
                const double *restrict jv = jac + p->lowerv_idx[e] * n_chunk;
                double w = p->lowerv_const[e];
                for (int64_t c = 0; c < n_chunk; c++) xj[c] += (w + jv[c]) * xi[c];
            }
        }
        double *restrict xs = x + s0 * n_chunk;
        if (size == 1) {
            for (int64_t c = 0; c < n_chunk; c++) xs[c] *= blk[c];
        } else if (size == 2) {
            double *restrict xs1 = xs + n_chunk;
            for (int64_t c = 0; c < n_chunk; c++) {
                double b0 = xs[c], b1 = xs1[c];
                xs[c] = blk[c] * b0 + blk[n_chunk + c] * b1;
                xs1[c] = blk[2 * n_chunk + c] * b0 + blk[3 * n_chunk + c] * b1;
            }
        } else {
#define LU(i, j) blk[((i) * size + (j)) * n_chunk + c]
#define X(i) xs[(i) * n_chunk + c]
            for (int64_t c = 0; c < n_chunk; c++) {
                for (int64_t k = 0; k < size; k++) {
                    int64_t pk = piv[(s0 + k) * n_chunk + c];
                    if (pk != k) {
                        double tmp = X(k);
                        X(k) = X(pk);
                        X(pk) = tmp;
                    }
                }
                for (int64_t i = 0; i < size; i++) {
                    double acc = X(i);
                    for (int64_t k = 0; k < i; k++) acc -= LU(i, k) * X(k);
                    X(i) = acc;
                }
                for (int64_t i = size - 1; i >= 0; i--) {
                    double acc = X(i);
                    for (int64_t k = i + 1; k < size; k++) acc -= LU(i, k) * X(k);
                    X(i) = acc / LU(i, i);
                }
            }
#undef X
#undef LU
        }
    }
}

/* Dense output for every sample time in (t, t_stop]; returns the next sample index. */
static INLINE int64_t write_samples(double *restrict out, int64_t k_out, const double *restrict times, int64_t n_times,
                             double t, double h, const double *restrict y, const double *restrict ynew,
                             const double *restrict ks, const double *restrict dense, int64_t n_dense,
                             int64_t n_stages, const int64_t *restrict store_idx, int64_t n_store, int64_t n_dyn,
                             int64_t n_chunk, double t_stop) {
    while (k_out < n_times && times[k_out] <= t_stop) {
        double theta = (times[k_out] - t) / h;
        if (theta > 1.0) theta = 1.0;
        double one = 1.0 - theta;
        for (int64_t q = 0; q < n_store; q++) {
            int64_t j = store_idx[q];
            for (int64_t c = 0; c < n_chunk; c++) {
                double inner = 0.0;
                for (int64_t r = n_dense - 1; r >= 0; r--) {
                    double row = 0.0;
                    for (int64_t i = 0; i < n_stages; i++) row += dense[r * n_stages + i] * ks[(i * n_dyn + j) * n_chunk + c];
                    inner = row + theta * inner;
                }
                double value = one * y[j * n_chunk + c] + theta * (ynew[j * n_chunk + c] + one * inner);
                out[(c * n_times + k_out) * n_store + q] = value > 0.0 ? value : 0.0;
            }
        }
        k_out++;
    }
    return k_out;
}

static inline double initial_step(double d0, double d1, double t_end) {
    double h = d0 > 1e-5 && d1 > 1e-5 ? 0.01 * d0 / d1 : 1e-6;
    return py_min(h, t_end);
}

static inline int step_collapsed(double h, double t, double t_end) {
    return h <= 10.0 * EPS * py_max(fabs(t), 1e-6 * t_end);
}

static inline int reaches_end(double t, double h, double t_end) { return t + h >= t_end * (1.0 - 4.0 * EPS); }

static double next_step(double h, double err, int rejected_before, const double *params) {
    double factor;
    if (err <= 1.0) {
        if (err == 0.0) {
            factor = params[P_FACTOR_MAX];
        } else {
            factor = py_min(params[P_FACTOR_MAX],
                            py_max(params[P_FACTOR_MIN], params[P_SAFETY] * pow(err, -params[P_EXPONENT])));
        }
        if (rejected_before) factor = py_min(factor, 1.0);
    } else if (err < INFINITY) {
        factor = py_max(params[P_FACTOR_MIN], params[P_SAFETY] * pow(err, -params[P_EXPONENT]));
    } else {
        factor = params[P_FACTOR_MIN];
    }
    return h * factor;
}

static INLINE int integrate(void *const *arrays, const int64_t *dims, const double *params, int64_t *istats,
                            double *fstats, const int64_t n_chunk) {
    Plan p;
    p.n_reactions = dims[D_N_REACTIONS];
    p.n_groups = dims[D_N_GROUPS];
    p.n_force = dims[D_N_FORCE];
    p.n_var_slots = dims[D_N_VAR_SLOTS];
    p.n_jac_var = dims[D_N_JAC_VAR];
    p.n_blocks = dims[D_N_BLOCKS];
    p.rate_law = dims[D_RATE_LAW];
    p.kappa = params[P_KAPPA];
    p.rate = arrays[A_RATE];
    p.react_ptr = arrays[A_REACT_PTR];
    p.react_idx = arrays[A_REACT_IDX];
    p.react_pow = arrays[A_REACT_POW];
    p.stoich_ptr = arrays[A_STOICH_PTR];
    p.stoich_idx = arrays[A_STOICH_IDX];
    p.stoich_val = arrays[A_STOICH_VAL];
    p.group_rate = arrays[A_GROUP_RATE];
    p.force_group = arrays[A_FORCE_GROUP];
    p.force_target = arrays[A_FORCE_TARGET];
    p.var_slot = arrays[A_VAR_SLOT];
    p.var_slot_reaction = arrays[A_VAR_SLOT_REACTION];
    p.var_ptr = arrays[A_VAR_PTR];
    p.var_pos = arrays[A_VAR_POS];
    p.var_val = arrays[A_VAR_VAL];
    p.block_start = arrays[A_BLOCK_START];
    p.lowerc_ptr = arrays[A_LOWERC_PTR];
    p.lowerc_col = arrays[A_LOWERC_COL];
    p.lowerc_val = arrays[A_LOWERC_VAL];
    p.lowerv_ptr = arrays[A_LOWERV_PTR];
    p.lowerv_col = arrays[A_LOWERV_COL];
    p.lowerv_idx = arrays[A_LOWERV_IDX];
    p.lowerv_const = arrays[A_LOWERV_CONST];
    p.inblock_ptr = arrays[A_INBLOCK_PTR];
    p.inblock_row = arrays[A_INBLOCK_ROW];
    p.inblock_col = arrays[A_INBLOCK_COL];
    p.inblock_var = arrays[A_INBLOCK_VAR];
    p.inblock_const = arrays[A_INBLOCK_CONST];
    p.lu_offset = arrays[A_LU_OFFSET];
    p.n_dyn = p.block_start[p.n_blocks];

    double *y = arrays[A_Y];
    const double *coef = arrays[A_COEF];
    const double *times = arrays[A_TIMES];
    const int64_t *store_idx = arrays[A_STORE_IDX];
    double *out = arrays[A_OUT];
    const double *a_mat = arrays[A_TAB_A], *c_mat = arrays[A_TAB_C_COUPLING];
    const double *c_time = arrays[A_TAB_C], *d_time = arrays[A_TAB_D], *dense = arrays[A_TAB_DENSE];
    const int64_t n_times = dims[D_N_TIMES], n_store = dims[D_N_STORE], n_stages = dims[D_N_STAGES];
    const int64_t n_dense = dims[D_N_DENSE], max_steps = dims[D_MAX_STEPS];
    const double gamma = params[P_GAMMA], rtol = params[P_RTOL], atol = params[P_ATOL];
    const int64_t n_dyn = p.n_dyn;
    const int64_t plane = n_dyn * n_chunk;
    const int64_t n_lu = p.lu_offset[p.n_blocks];

    /* one allocation for the scratch arrays (calloc: ft, piv and err_row start at zero) */
    size_t n_doubles = (size_t)(plane * (4 + n_stages) + p.n_jac_var * n_chunk + n_lu * n_chunk + 2 * n_chunk +
                                p.n_groups + n_stages) + 1;
    double *scratch = calloc(n_doubles, sizeof(double));
    int64_t *piv = calloc((size_t)plane + 1, sizeof(int64_t));
    if (scratch == NULL || piv == NULL) {
        free(scratch);
        free(piv);
        return OUT_OF_MEMORY;
    }
    double *ynew = scratch;
    double *u = ynew + plane;
    double *f0 = u + plane;
    double *ft = f0 + plane;
    double *ks = ft + plane;
    double *jac = ks + n_stages * plane;
    double *lu = jac + p.n_jac_var * n_chunk;
    double *v = lu + n_lu * n_chunk;
    double *err_row = v + n_chunk;
    double *gexp = err_row + n_chunk;
    double *coupling = gexp + p.n_groups;
    const int has_time = p.n_force > 0;

    double t_end = times[n_times - 1];
    double t = 0.0;
    int64_t k_out = 0;
    while (k_out < n_times && times[k_out] <= 0.0) {
        for (int64_t q = 0; q < n_store; q++)
            for (int64_t c = 0; c < n_chunk; c++) out[(c * n_times + k_out) * n_store + q] = y[store_idx[q] * n_chunk + c];
        k_out++;
    }

    rhs(&p, n_chunk, t, y, f0, coef, gexp, v, 0);
    int64_t n_rhs = 1;
    double d0 = 0.0, d1 = 0.0;
    double n_norm = (double)(n_dyn > 1 ? n_dyn : 1);
    for (int64_t c = 0; c < n_chunk; c++) {
        double s0 = 0.0, s1 = 0.0;
        for (int64_t j = 0; j < n_dyn; j++) {
            double yj = y[j * n_chunk + c];
            double scale = atol + rtol * fabs(yj);
            double q0 = yj / scale, q1 = f0[j * n_chunk + c] / scale;
            s0 += q0 * q0;
            s1 += q1 * q1;
        }
        d0 = py_max(d0, sqrt(s0 / n_norm));
        d1 = py_max(d1, sqrt(s1 / n_norm));
    }
    double h = initial_step(d0, d1, t_end);

    int64_t n_accepted = 0, n_rejected = 0, status = T_END, worst = 0;
    int rejected_before = 0, fresh = 1; /* f0 belongs to the current (t, y) */
    double max_clip = 0.0;
    const int64_t last_stage = n_stages - 1;
    while (t < t_end) {
        if (n_accepted + n_rejected >= max_steps) {
            status = MAX_STEPS;
            break;
        }
        if (step_collapsed(h, t, t_end)) {
            status = STEP_COLLAPSE;
            break;
        }
        int last = 0;
        if (reaches_end(t, h, t_end)) {
            h = t_end - t;
            last = 1;
        }
        if (!fresh) {
            rhs(&p, n_chunk, t, y, f0, coef, gexp, v, 0);
            n_rhs++;
        }
        jacobian(&p, n_chunk, y, jac, v);
        if (has_time) time_derivative(&p, n_chunk, t, ft, coef, gexp);
        fresh = 1;
        if (!factor(&p, n_chunk, 1.0 / (h * gamma), jac, lu, piv)) {
            n_rejected++;
            h *= SINGULAR_FACTOR;
            rejected_before = 1;
            continue;
        }
        for (int64_t i = 0; i < n_stages; i++) {
            double hd = h * d_time[i];
            double *restrict ki = ks + i * plane;
            if (i == 0) {
                for (int64_t e = 0; e < plane; e++) ki[e] = f0[e] + hd * ft[e];
            } else {
                /* One pass over the earlier increments builds both the stage point u and the
                 * coupling terms; the right-hand side is then added into ks[i]. */
                for (int64_t q = 0; q < i; q++) coupling[q] = c_mat[i * n_stages + q] / h;
                for (int64_t j = 0; j < n_dyn; j++) {
                    double *restrict uj = u + j * n_chunk;
                    double *restrict kij = ki + j * n_chunk;
                    const double *restrict yj = y + j * n_chunk;
                    const double *restrict ftj = ft + j * n_chunk;
                    for (int64_t c = 0; c < n_chunk; c++) {
                        uj[c] = yj[c];
                        kij[c] = hd * ftj[c];
                    }
                    for (int64_t q = 0; q < i; q++) {
                        double a_iq = a_mat[i * n_stages + q];
                        double c_iq = coupling[q];
                        const double *restrict kqj = ks + q * plane + j * n_chunk;
                        for (int64_t c = 0; c < n_chunk; c++) {
                            double kp = kqj[c];
                            uj[c] += a_iq * kp;
                            kij[c] += c_iq * kp;
                        }
                    }
                }
                rhs(&p, n_chunk, t + c_time[i] * h, u, ki, coef, gexp, v, 1);
                n_rhs++;
            }
            solve(&p, n_chunk, ki, jac, lu, piv);
        }
        /* error estimate: weighted RMS of the last increment per row; the worst row decides */
        const double *restrict k = ks + last_stage * plane;
        for (int64_t c = 0; c < n_chunk; c++) err_row[c] = 0.0;
        for (int64_t j = 0; j < n_dyn; j++) {
            for (int64_t c = 0; c < n_chunk; c++) {
                int64_t e = j * n_chunk + c;
                double value = u[e] + k[e];
                ynew[e] = value;
                double scale = atol + rtol * py_max(fabs(y[e]), fabs(value));
                double q = k[e] / scale;
                err_row[c] += q * q;
            }
        }
        double err = 0.0;
        int finite = 1;
        for (int64_t c = 0; c < n_chunk; c++) {
            double e = sqrt(err_row[c] / n_norm);
            if (!(e < INFINITY)) {
                finite = 0;
                worst = c;
            } else if (finite && e > err) {
                err = e;
                worst = c;
            }
        }
        if (!finite) err = INFINITY;
        int accepted = err <= 1.0;
        if (accepted) {
            double t_next = last ? t_end : t + h;
            k_out = write_samples(out, k_out, times, n_times, t, h, y, ynew, ks, dense, n_dense, n_stages, store_idx,
                                  n_store, n_dyn, n_chunk, t_next);
            for (int64_t e = 0; e < plane; e++) {
                double value = ynew[e];
                if (value < 0.0) {
                    if (-value > max_clip) max_clip = -value;
                    value = 0.0;
                }
                y[e] = value;
            }
            t = t_next;
            n_accepted++;
            fresh = 0;
        } else {
            n_rejected++;
        }
        h = next_step(h, err, rejected_before, params);
        rejected_before = !accepted;
    }
    free(scratch);
    free(piv);
    istats[S_STATUS] = status;
    istats[S_WORST] = worst;
    istats[S_STEPS] = n_accepted;
    istats[S_REJECTED] = n_rejected;
    istats[S_RHS] = n_rhs;
    fstats[S_T] = t;
    fstats[S_MAX_CLIP] = max_clip;
    return 0;
}

/* Integrate y (n_dyn, n_chunk), overwritten with the final state, from 0 to times[-1].
 * Returns 0, or OUT_OF_MEMORY; the outcome (a Status) and counts go to istats / fstats.
 * Full chunks get their own copy of the kernel with n_chunk a constant: the compiler then
 * unrolls and vectorizes the row loops completely (the arithmetic per row is unchanged). */
VECTOR_CLONES int nn2crn_ode_chunk(void *const *arrays, const int64_t *dims, const double *params,
                                   int64_t *istats, double *fstats) {
    int64_t n_chunk = dims[D_N_CHUNK];
    if (n_chunk == FULL_CHUNK) return integrate(arrays, dims, params, istats, fstats, FULL_CHUNK);
    return integrate(arrays, dims, params, istats, fstats, n_chunk);
}

/* Strongly connected components of the graph with CSR adjacency (indptr, indices) over
 * n nodes, by an iterative Tarjan: labels[v] is v's component, numbered in the order in
 * which the components complete. A depth-first search from nodes 0, 1, ... that follows
 * each node's edges last to first, as scipy.sparse.csgraph.connected_components (Pearce's
 * algorithm, a stack of successors) does: the labels are the same as scipy's. Linear in
 * nodes plus edges. Returns the number of components, or -1 when out of memory. */
int64_t nn2crn_scc(int64_t n, const int64_t *indptr, const int64_t *indices, int64_t *labels) {
    int64_t *index = malloc(sizeof(int64_t) * (size_t)(n + 1));
    int64_t *low = malloc(sizeof(int64_t) * (size_t)(n + 1));
    int64_t *stack = malloc(sizeof(int64_t) * (size_t)(n + 1));    /* Tarjan's stack */
    int64_t *call = malloc(sizeof(int64_t) * (size_t)(n + 1));     /* DFS path */
    int64_t *next_edge = malloc(sizeof(int64_t) * (size_t)(n + 1)); /* per node: edges left to follow */
    char *on_stack = calloc((size_t)n + 1, 1);
    if (!index || !low || !stack || !call || !next_edge || !on_stack) {
        free(index);
        free(low);
        free(stack);
        free(call);
        free(next_edge);
        free(on_stack);
        return -1;
    }
    for (int64_t v = 0; v < n; v++) index[v] = -1;
    int64_t counter = 0, top = 0, n_components = 0;
    for (int64_t root = 0; root < n; root++) {
        if (index[root] >= 0) continue;
        int64_t depth = 0;
        call[0] = root;
        next_edge[root] = indptr[root + 1];
        index[root] = low[root] = counter++;
        stack[top++] = root;
        on_stack[root] = 1;
        while (depth >= 0) {
            int64_t v = call[depth];
            if (next_edge[v] > indptr[v]) {
                int64_t w = indices[--next_edge[v]];
                if (index[w] < 0) {
                    index[w] = low[w] = counter++;
                    stack[top++] = w;
                    on_stack[w] = 1;
                    next_edge[w] = indptr[w + 1];
                    call[++depth] = w;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                int64_t w;
                do {
                    w = stack[--top];
                    on_stack[w] = 0;
                    labels[w] = n_components;
                } while (w != v);
                n_components++;
            }
            depth--;
            if (depth >= 0) {
                int64_t parent = call[depth];
                if (low[v] < low[parent]) low[parent] = low[v];
            }
        }
    }
    free(index);
    free(low);
    free(stack);
    free(call);
    free(next_edge);
    free(on_stack);
    return n_components;
}

/* CSR adjacency of the edges sources[e] -> targets[e] over n nodes, each row's targets in
 * increasing order (repeats kept): two stable counting sorts, by target then by source.
 * Linear in nodes plus edges. Returns 0, or -1 when out of memory. */
int64_t nn2crn_csr_of_edges(int64_t n, int64_t n_edges, const int64_t *sources, const int64_t *targets,
                            int64_t *indptr, int64_t *indices) {
    int64_t *count = calloc((size_t)n + 1, sizeof(int64_t));
    int64_t *by_target = malloc(sizeof(int64_t) * (size_t)(n_edges + 1));
    if (count == NULL || by_target == NULL) {
        free(count);
        free(by_target);
        return -1;
    }
    for (int64_t e = 0; e < n_edges; e++) count[targets[e] + 1]++;
    for (int64_t v = 0; v < n; v++) count[v + 1] += count[v];
    for (int64_t e = 0; e < n_edges; e++) by_target[count[targets[e]]++] = e;
    memset(indptr, 0, sizeof(int64_t) * (size_t)(n + 1));
    for (int64_t e = 0; e < n_edges; e++) indptr[sources[e] + 1]++;
    for (int64_t v = 0; v < n; v++) indptr[v + 1] += indptr[v];
    memcpy(count, indptr, sizeof(int64_t) * (size_t)n);
    for (int64_t k = 0; k < n_edges; k++) {
        int64_t e = by_target[k];
        indices[count[sources[e]]++] = targets[e];
    }
    free(count);
    free(by_target);
    return 0;
}

/* coef (n_force, n_batch) += the inflow matrix's entries (rows[e], cols[e], vals[e]) times
 * x0t (n_species, n_batch), entry by entry in the given (row-major) order: each coefficient
 * sums its sources in species order, as scipy's CSC product force_matrix.T @ x0.T does. */
void nn2crn_ode_inflow(int64_t n_entries, const int64_t *rows, const int64_t *cols, const double *vals,
                       const double *x0t, int64_t n_batch, double *coef) {
    for (int64_t e = 0; e < n_entries; e++) {
        const double *restrict x = x0t + rows[e] * n_batch;
        double *restrict out = coef + cols[e] * n_batch;
        double w = vals[e];
        for (int64_t b = 0; b < n_batch; b++) out[b] += w * x[b];
    }
}

/* A real (empty) extension module, so that the file is importable and found by importlib. */
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ode_ckernel",
                                    "The Rosenbrock ODE kernel in C; called through ctypes (nn2crn.simulate.ode).",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__ode_ckernel(void) { return PyModule_Create(&module); }
