/* The exact SSA kernel (Gillespie's direct method over a binary sum tree) in C.
 *
 * A line-by-line port of run_batch / _run_row / start_row in _ssa_kernel.py, built
 * ahead of time by `pip install` (setup.py, an optional extension), so that the first
 * SSA call of a fresh process neither imports numba nor loads or compiles its kernel.
 * nn2crn.simulate.ssa calls it through ctypes (which releases the GIL) on every
 * `stride`-th batch row from `first`, one call per thread. Same arithmetic in the same
 * order, same xoshiro256** streams: the trajectories are bit-identical to the numba
 * kernel's (tests/simulate/test_ssa_native.py). Compiled with -ffp-contract=off so that no
 * fused multiply-add changes a rounding.
 */
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_LIMIT ((int64_t)1 << 62)
/* nn2crn.simulate.base.Status */
#define T_END 0
#define EXHAUSTED 1
#define MAX_EVENTS 4
#define OVERFLOW 5

static inline uint64_t next_u64(uint64_t *s) {
    uint64_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    uint64_t x = s1 * 5u;
    uint64_t result = ((x << 7) | (x >> 57)) * 9u;
    uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 45) | (s3 >> 19);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
}

static inline double uniform(uint64_t *s) { return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0); }

static inline double propensity(int64_t r, const int64_t *counts, const double *rate, const int64_t *react_ptr,
                                const int64_t *react_idx, const int64_t *react_pow) {
    double a = rate[r];
    for (int64_t j = react_ptr[r]; j < react_ptr[r + 1]; j++) {
        int64_t x = counts[react_idx[j]];
        int64_t n = react_pow[j];
        if (x < n) return 0.0;
        if (n == 1) {
            a *= (double)x;
        } else {
            for (int64_t m = 0; m < n; m++) a *= (double)(x - m);
        }
    }
    return a;
}

static int64_t leader(const int64_t *outputs, int64_t n_outputs) {
    int64_t best = -1;
    int tie = 0;
    for (int64_t k = 0; k < n_outputs; k++) {
        if (best < 0 || outputs[k] > outputs[best]) {
            best = k;
            tie = 0;
        } else if (outputs[k] == outputs[best]) {
            tie = 1;
        }
    }
    return tie ? -1 : best;
}

typedef struct {
    const double *rate;
    int64_t n_reactions;
    const int64_t *react_ptr, *react_idx, *react_pow;
    const int64_t *delta_ptr, *delta_idx, *delta_val;
    const int64_t *dep_ptr, *dep_idx;
    const int64_t *out_ptr, *out_idx, *out_val;
    const int64_t *out_matrix; /* (n_outputs, n_species) */
    int64_t n_outputs;
} Plan;

typedef struct {
    double t_end;
    const double *sample_times;
    int64_t n_times;
    const int64_t *columns;
    int64_t n_columns;
    double volume;
    int64_t max_events;
} Settings;

/* One batch row in place; returns the status and fills events, t_last, t_leader. */
static int64_t run_row(int64_t *counts, uint64_t *state, double *record, int64_t *outputs, const Plan *p,
                       const Settings *st, int64_t size, double *tree, int64_t *nodes, int64_t *events_out,
                       double *t_last_out, double *t_leader_out) {
    const int64_t n_reactions = p->n_reactions;
    memset(tree, 0, sizeof(double) * 2 * size);
    for (int64_t r = 0; r < n_reactions; r++)
        tree[size + r] = propensity(r, counts, p->rate, p->react_ptr, p->react_idx, p->react_pow);
    for (int64_t i = size - 1; i > 0; i--) tree[i] = tree[2 * i] + tree[2 * i + 1];

    double t = 0.0, t_last = 0.0, t_leader = 0.0;
    int64_t events = 0, sample = 0;
    int64_t lead = leader(outputs, p->n_outputs);
    int64_t status = T_END;
    for (;;) {
        double total = tree[1];
        if (!(total > 0.0)) {
            status = EXHAUSTED;
            break;
        }
        double t_next = t - log(1.0 - uniform(state)) / total;
        while (sample < st->n_times && st->sample_times[sample] < t_next) {
            for (int64_t c = 0; c < st->n_columns; c++)
                record[sample * st->n_columns + c] = (double)counts[st->columns[c]] / st->volume;
            sample++;
        }
        if (t_next > st->t_end) {
            status = T_END;
            break;
        }
        if (events >= st->max_events) {
            status = MAX_EVENTS;
            break;
        }
        int64_t r = -1;
        while (r < 0) {
            double target = uniform(state) * total;
            int64_t i = 1;
            while (i < size) {
                double left = tree[2 * i];
                if (target < left) {
                    i = 2 * i;
                } else {
                    target -= left;
                    i = 2 * i + 1;
                }
            }
            if (tree[i] > 0.0) r = i - size;
        }
        int overflow = 0;
        for (int64_t j = p->delta_ptr[r]; j < p->delta_ptr[r + 1]; j++) {
            int64_t s = p->delta_idx[j];
            counts[s] += p->delta_val[j];
            if (counts[s] > COUNT_LIMIT) overflow = 1;
        }
        t = t_next;
        t_last = t_next;
        events++;
        if (overflow) {
            status = OVERFLOW;
            break;
        }
        int64_t m = 0, last = -1;
        for (int64_t j = p->dep_ptr[r]; j < p->dep_ptr[r + 1]; j++) {
            int64_t q = p->dep_idx[j];
            tree[size + q] = propensity(q, counts, p->rate, p->react_ptr, p->react_idx, p->react_pow);
            int64_t parent = (size + q) >> 1;
            if (parent != last) {
                nodes[m++] = parent;
                last = parent;
            }
        }
        while (m > 0) {
            int64_t k = 0;
            last = -1;
            for (int64_t i = 0; i < m; i++) {
                int64_t node = nodes[i];
                tree[node] = tree[2 * node] + tree[2 * node + 1];
                if (node > 1) {
                    int64_t parent = node >> 1;
                    if (parent != last) {
                        nodes[k++] = parent;
                        last = parent;
                    }
                }
            }
            m = k;
        }
        if (p->out_ptr[r] < p->out_ptr[r + 1]) {
            for (int64_t j = p->out_ptr[r]; j < p->out_ptr[r + 1]; j++) outputs[p->out_idx[j]] += p->out_val[j];
            int64_t now = leader(outputs, p->n_outputs);
            if (now != lead) {
                lead = now;
                t_leader = t;
            }
        }
    }
    while (sample < st->n_times) {
        for (int64_t c = 0; c < st->n_columns; c++)
            record[sample * st->n_columns + c] = (double)counts[st->columns[c]] / st->volume;
        sample++;
    }
    *events_out = events;
    *t_last_out = t_last;
    *t_leader_out = t_leader;
    return status;
}

/* Simulate batch rows first, first + stride, ... < n_batch. Returns 0, or -1 when out of memory. */
int nn2crn_ssa_rows(int64_t first, int64_t stride, int64_t n_batch,
                    /* BatchStart */
                    const int64_t *base, const double *fraction, int64_t n_species, const int64_t *input_rows,
                    uint64_t *rng_states,
                    /* SsaPlan */
                    const double *rate, int64_t n_reactions, const int64_t *react_ptr, const int64_t *react_idx,
                    const int64_t *react_pow, const int64_t *delta_ptr, const int64_t *delta_idx,
                    const int64_t *delta_val, const int64_t *dep_ptr, const int64_t *dep_idx,
                    const int64_t *out_ptr, const int64_t *out_idx, const int64_t *out_val,
                    const int64_t *out_matrix, int64_t n_outputs,
                    /* BatchSettings */
                    double t_end, const double *sample_times, int64_t n_times, const int64_t *columns,
                    int64_t n_columns, double volume, int64_t max_events,
                    /* BatchOutput */
                    double *records, int64_t *final_counts, int64_t *status, int64_t *events, double *t_last,
                    double *t_leader) {
    Plan p = {rate,      n_reactions, react_ptr, react_idx, react_pow, delta_ptr, delta_idx, delta_val,
              dep_ptr,   dep_idx,     out_ptr,   out_idx,   out_val,   out_matrix, n_outputs};
    Settings st = {t_end, sample_times, n_times, columns, n_columns, volume, max_events};
    int64_t size = 1;
    while (size < n_reactions) size *= 2;
    double *tree = malloc(sizeof(double) * 2 * size);
    int64_t *nodes = malloc(sizeof(int64_t) * size);
    int64_t *counts = malloc(sizeof(int64_t) * (n_species > 0 ? n_species : 1));
    int64_t *outputs = malloc(sizeof(int64_t) * (n_outputs > 0 ? n_outputs : 1));
    if (!tree || !nodes || !counts || !outputs) {
        free(tree);
        free(nodes);
        free(counts);
        free(outputs);
        return -1;
    }
    for (int64_t b = first; b < n_batch; b += stride) {
        uint64_t *rng = rng_states + 4 * b;
        const int64_t *row_base = base + n_species * input_rows[b];
        const double *row_fraction = fraction + n_species * input_rows[b];
        for (int64_t s = 0; s < n_species; s++) {
            counts[s] = row_base[s];
            if (row_fraction[s] > 0.0 && uniform(rng) < row_fraction[s]) counts[s] += 1;
        }
        for (int64_t k = 0; k < n_outputs; k++) {
            int64_t value = 0;
            for (int64_t s = 0; s < n_species; s++) value += out_matrix[k * n_species + s] * counts[s];
            outputs[k] = value;
        }
        status[b] = run_row(counts, rng, records + b * n_times * n_columns, outputs, &p, &st, size, tree, nodes,
                            &events[b], &t_last[b], &t_leader[b]);
        memcpy(final_counts + b * n_species, counts, sizeof(int64_t) * n_species);
    }
    free(tree);
    free(nodes);
    free(counts);
    free(outputs);
    return 0;
}

/* A real (empty) extension module, so that the file is importable and found by importlib. */
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ssa_ckernel",
                                    "The exact SSA kernel in C; called through ctypes (nn2crn.simulate.ssa).", -1,
                                    NULL};

PyMODINIT_FUNC PyInit__ssa_ckernel(void) { return PyModule_Create(&module); }
