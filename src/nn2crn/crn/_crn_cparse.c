/* One pass over the reaction lines of a `.crn` file as format_crn writes them.
 *
 * The grammar is the one the vectorized reader in text.py (`_parse_regular`) accepts: lines
 * split on '\n'; empty lines and lines starting with '#' are skipped; a line holding "->" is
 *
 *     [side " "] "->" [" " side] " [k = " number "]"      (not both sides empty)
 *     side = [term (" + " term)*],  term = [count " "] name
 *     count = [1-9][0-9]{0,14},  name = [A-Za-z_][A-Za-z0-9_]*
 *
 * and every other line is handed back (line index and byte span) for the per-line reader.
 * Species are numbered in order of first appearance (reactants before products, line by
 * line) through a hash table on the name bytes; distinct rate texts likewise, and Python
 * converts those few texts with float() itself, so the rates are exactly what the other
 * paths give. Anything else returns IRREGULAR and Python falls back to the other readers,
 * which give the same CRN or word the error. Built ahead of time by `pip install`
 * (setup.py, an optional extension); called through ctypes, which releases the GIL.
 */
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OK 0
#define IRREGULAR 1
#define NO_MEMORY 2
#define MAX_COUNT_DIGITS 15 /* below MAX_COEFFICIENT = 2**53, exact in a double */
#define MAX_NUMBER_CHARS 100 /* nn2crn._limits.MAX_NUMBER_CHARS */

enum { NAME_START = 1, NAME_CHAR = 2, DIGIT = 4, NUMBER_CHAR = 8, BAD = 16 };

/* Filled per call (256 bytes), so that concurrent calls share no mutable state. */
static void init_classes(unsigned char *classes) {
    for (int c = 0; c < 256; c++) {
        unsigned char k = 0;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') k |= NAME_START | NAME_CHAR;
        if (c >= '0' && c <= '9') k |= NAME_CHAR | DIGIT | NUMBER_CHAR;
        if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') k |= NUMBER_CHAR;
        /* Line breaks of str.splitlines other than '\n', and non-ASCII bytes: the other
           readers split lines there, so a file holding one is left to them. */
        if (c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e) || c >= 0x80) k |= BAD;
        classes[c] = k;
    }
}

/* Open addressing over name bytes copied into one arena (kept small and in cache). */
typedef struct {
    uint64_t hash;
    int64_t key; /* offset in the arena; -1: empty slot */
    int64_t length;
    int64_t id;
} Slot;

typedef struct {
    Slot *slots;
    int64_t mask;
    int64_t used;
    unsigned char *arena;
    int64_t arena_used, arena_size;
    int64_t *spans; /* (start in text, length) of each key's first occurrence */
    int64_t capacity;
} Table;

static int table_init(Table *t, int64_t *spans, int64_t capacity) {
    t->mask = 1023;
    t->used = 0;
    t->slots = malloc(sizeof(Slot) * (size_t)(t->mask + 1));
    t->arena_size = 1 << 16;
    t->arena_used = 0;
    t->arena = malloc((size_t)t->arena_size);
    t->spans = spans;
    t->capacity = capacity;
    if (!t->slots || !t->arena) return NO_MEMORY;
    for (int64_t i = 0; i <= t->mask; i++) t->slots[i].key = -1;
    return OK;
}

static void table_free(Table *t) {
    free(t->slots);
    free(t->arena);
}

static inline uint64_t spread(uint64_t h) { return h ^ (h >> 29) ^ (h >> 47); }

static int table_grow(Table *t) {
    int64_t mask = t->mask * 2 + 1;
    Slot *slots = malloc(sizeof(Slot) * (size_t)(mask + 1));
    if (!slots) return NO_MEMORY;
    for (int64_t i = 0; i <= mask; i++) slots[i].key = -1;
    for (int64_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].key < 0) continue;
        int64_t j = (int64_t)(spread(t->slots[i].hash) & (uint64_t)mask);
        while (slots[j].key >= 0) j = (j + 1) & mask;
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return OK;
}

/* The id of the key `bytes[0:length]` (at `start` in the text), numbered on first sight; -1 on failure. */
static int64_t table_id(Table *t, const unsigned char *bytes, int64_t length, uint64_t hash, int64_t start) {
    int64_t j = (int64_t)(spread(hash) & (uint64_t)t->mask);
    for (;;) {
        Slot *slot = &t->slots[j];
        if (slot->key < 0) break;
        if (slot->hash == hash && slot->length == length && memcmp(t->arena + slot->key, bytes, (size_t)length) == 0)
            return slot->id;
        j = (j + 1) & t->mask;
    }
    if (t->used >= t->capacity) return -1;
    if (t->arena_used + length > t->arena_size) {
        int64_t size = t->arena_size;
        while (t->arena_used + length > size) size *= 2;
        unsigned char *arena = realloc(t->arena, (size_t)size);
        if (!arena) return -1;
        t->arena = arena;
        t->arena_size = size;
    }
    memcpy(t->arena + t->arena_used, bytes, (size_t)length);
    Slot *slot = &t->slots[j];
    slot->hash = hash;
    slot->key = t->arena_used;
    slot->length = length;
    slot->id = t->used;
    t->arena_used += length;
    t->spans[2 * t->used] = start;
    t->spans[2 * t->used + 1] = length;
    t->used++;
    if (2 * t->used > t->mask && table_grow(t) != OK) return -1;
    return t->used - 1;
}

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

typedef struct {
    int32_t *species;
    int64_t *counts;
    int64_t *indptr;
    int64_t n, capacity;
} Side;

/* The terms of one side, text[p:e]. The byte at e is always a space (before "->" or
   " [k = "), so the digit and name loops stop there without a bounds check. */
static int parse_side(const unsigned char *classes, const unsigned char *text, const unsigned char *p,
                      const unsigned char *e, Side *side, Table *names) {
    if (p == e) return OK;
    for (;;) {
        uint64_t count = 1; /* unsigned: a long run of digits wraps (and is refused) instead of overflowing */
        if (*p >= '1' && *p <= '9') {
            const unsigned char *digits = p;
            count = 0;
            while (classes[*p] & DIGIT) count = count * 10 + (uint64_t)(*p++ - '0');
            if (p - digits > MAX_COUNT_DIGITS || p == e || *p != ' ') return IRREGULAR;
            p++;
        }
        if (p >= e || !(classes[*p] & NAME_START)) return IRREGULAR;
        const unsigned char *name = p;
        uint64_t hash = FNV_OFFSET;
        do {
            hash = (hash ^ *p) * FNV_PRIME;
            p++;
        } while (classes[*p] & NAME_CHAR);
        if (p > e) return IRREGULAR;
        int64_t id = table_id(names, name, p - name, hash, name - text);
        if (id < 0 || side->n >= side->capacity) return NO_MEMORY;
        side->species[side->n] = (int32_t)id;
        side->counts[side->n] = (int64_t)count;
        side->n++;
        if (p == e) return OK;
        /* " + " and at least one more byte for the next term */
        if (e - p < 4 || p[0] != ' ' || p[1] != '+' || p[2] != ' ') return IRREGULAR;
        p += 3;
    }
}

/* text.py's _NUMBER: [0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)? | \.[0-9]+([eE][+-]?[0-9]+)? */
static int is_number(const unsigned char *classes, const unsigned char *p, const unsigned char *e) {
    int64_t digits = 0;
    while (p < e && (classes[*p] & DIGIT)) p++, digits++;
    if (p < e && *p == '.') {
        p++;
        while (p < e && (classes[*p] & DIGIT)) p++, digits++;
    }
    if (digits == 0) return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        const unsigned char *exponent = p;
        while (p < e && (classes[*p] & DIGIT)) p++;
        if (p == exponent) return 0;
    }
    return p == e;
}

static int clean(const unsigned char *classes, const unsigned char *p, const unsigned char *e) {
    for (; p < e; p++)
        if (classes[*p] & BAD) return 0;
    return 1;
}

static int scan(const unsigned char *classes, const unsigned char *text, int64_t size, int64_t line_limit,
                Side *reactants, Side *products, int64_t reaction_capacity, int32_t *rate_index, Table *names,
                Table *rates, int64_t *other_lines, int64_t line_capacity, int64_t *sizes) {
    static const unsigned char rate_mark[] = " [k = ";
    const unsigned char *p = text, *end = text + size;
    int64_t line = 0, n_reactions = 0, n_other = 0;
    reactants->indptr[0] = products->indptr[0] = 0;
    for (; p < end; line++) {
        const unsigned char *eol = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *start = p;
        if (!eol) eol = end;
        p = eol < end ? eol + 1 : end;
        if (eol - start > line_limit) return IRREGULAR; /* read_text_file words that error */
        if (eol == start) continue;
        const unsigned char *arrow = NULL;
        if (*start != '#') {
            for (const unsigned char *s = start; (s = memchr(s, '-', (size_t)(eol - s))) != NULL; s++) {
                if (s + 1 < eol && s[1] == '>') {
                    arrow = s;
                    break;
                }
            }
        }
        if (!arrow) {
            if (!clean(classes, start, eol)) return IRREGULAR;
            if (*start == '#') continue;
            if (n_other >= line_capacity) return NO_MEMORY;
            other_lines[3 * n_other] = line;
            other_lines[3 * n_other + 1] = start - text;
            other_lines[3 * n_other + 2] = eol - text;
            n_other++;
            continue;
        }
        /* The rate: number characters back from the final ']', after " [k = ". */
        const unsigned char *right = arrow + 2;
        if (eol - right < 8 || eol[-1] != ']') return IRREGULAR;
        const unsigned char *rate_end = eol - 1, *rate = rate_end;
        while (rate > right && (classes[rate[-1]] & NUMBER_CHAR)) rate--;
        if (rate - right < 6 || memcmp(rate - 6, rate_mark, 6) != 0) return IRREGULAR;
        if (rate_end - rate > MAX_NUMBER_CHARS || !is_number(classes, rate, rate_end)) return IRREGULAR;
        const unsigned char *left_end = arrow, *right_start = right, *right_end = rate - 6;
        if (arrow > start) {
            if (arrow[-1] != ' ') return IRREGULAR;
            left_end = arrow - 1;
        }
        if (right_end > right) {
            if (*right != ' ') return IRREGULAR;
            right_start = right + 1;
        }
        if (left_end == start && right_end == right_start) return IRREGULAR;
        if (n_reactions >= reaction_capacity) return NO_MEMORY;
        int status = parse_side(classes, text, start, left_end, reactants, names);
        if (status != OK) return status;
        status = parse_side(classes, text, right_start, right_end, products, names);
        if (status != OK) return status;
        uint64_t hash = FNV_OFFSET;
        for (const unsigned char *c = rate; c < rate_end; c++) hash = (hash ^ *c) * FNV_PRIME;
        int64_t id = table_id(rates, rate, rate_end - rate, hash, rate - text);
        if (id < 0) return NO_MEMORY;
        rate_index[n_reactions] = (int32_t)id;
        n_reactions++;
        reactants->indptr[n_reactions] = reactants->n;
        products->indptr[n_reactions] = products->n;
    }
    sizes[0] = n_reactions;
    sizes[1] = reactants->n;
    sizes[2] = products->n;
    sizes[3] = names->used;
    sizes[4] = rates->used;
    sizes[5] = n_other;
    return OK;
}

/* The bounds the output buffers of nn2crn_crn_scan need: out[0] = '\n' bytes, out[1] = '+' bytes.
   Eight bytes at a time: a byte of `word ^ pattern` is zero where the text has that byte. */
static inline int64_t zero_bytes(uint64_t x) {
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t high = ~(((x & low7) + low7) | x | low7); /* 0x80 in each zero byte */
    return (int64_t)(((high >> 7) * 0x0101010101010101ull) >> 56);
}

void nn2crn_crn_count(const unsigned char *text, int64_t size, int64_t *out) {
    const uint64_t newlines = 0x0a0a0a0a0a0a0a0aull, pluses = 0x2b2b2b2b2b2b2b2bull;
    int64_t n_newline = 0, n_plus = 0, i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        n_newline += zero_bytes(word ^ newlines);
        n_plus += zero_bytes(word ^ pluses);
    }
    for (; i < size; i++) {
        n_newline += text[i] == '\n';
        n_plus += text[i] == '+';
    }
    out[0] = n_newline;
    out[1] = n_plus;
}

/* Returns OK, IRREGULAR (the other readers decide) or NO_MEMORY. capacity: terms per side,
   reactions (the indptr arrays hold one more), species, distinct rates, other lines.
   A line longer than line_limit bytes is IRREGULAR.
   sizes (out): reactions, reactant terms, product terms, species, distinct rates, other lines. */
int nn2crn_crn_scan(const unsigned char *text, int64_t size, int64_t line_limit, const int64_t *capacity, int32_t *reactant_species,
                    int64_t *reactant_counts, int64_t *reactant_indptr, int32_t *product_species,
                    int64_t *product_counts, int64_t *product_indptr, int32_t *rate_index, int64_t *name_spans,
                    int64_t *rate_spans, int64_t *other_lines, int64_t *sizes) {
    unsigned char classes[256];
    init_classes(classes);
    Side reactants = {reactant_species, reactant_counts, reactant_indptr, 0, capacity[0]};
    Side products = {product_species, product_counts, product_indptr, 0, capacity[0]};
    Table names, rates;
    int status = table_init(&names, name_spans, capacity[2]);
    if (table_init(&rates, rate_spans, capacity[3]) != OK) status = NO_MEMORY;
    if (status == OK)
        status = scan(classes, text, size, line_limit, &reactants, &products, capacity[1], rate_index, &names, &rates, other_lines,
                      capacity[4], sizes);
    table_free(&names);
    table_free(&rates);
    return status;
}

/* One side's terms in the final species order: columns[t] = remap[species[t]] (text order,
   for the Reaction tuples), and the canonical CSR (columns increasing in each row) as
   indices/data. Rows already in order are copied; otherwise the terms are transposed to
   columns and back (two counting sorts, linear in the terms). Returns OK, IRREGULAR when a
   row names a species twice (Reaction adds those up: the per-line reader decides) or
   NO_MEMORY. n_columns bounds the remapped ids. */
int nn2crn_crn_csr(int64_t n_rows, int64_t n_columns, const int64_t *indptr, const int32_t *species,
                   const int64_t *counts, const int64_t *remap, int64_t *columns, int64_t *indices, double *data) {
    int sorted = 1;
    for (int64_t r = 0; r < n_rows; r++) {
        int64_t previous = -1;
        for (int64_t t = indptr[r]; t < indptr[r + 1]; t++) {
            int64_t c = remap[species[t]];
            columns[t] = c;
            if (c <= previous) sorted = 0;
            previous = c;
        }
    }
    int64_t nnz = indptr[n_rows];
    if (sorted) {
        memcpy(indices, columns, sizeof(int64_t) * (size_t)nnz);
        for (int64_t t = 0; t < nnz; t++) data[t] = (double)counts[t];
        return OK;
    }
    int64_t *column_next = calloc((size_t)n_columns + 1, sizeof(int64_t));
    int64_t *row_next = malloc(sizeof(int64_t) * (size_t)(n_rows + 1));
    int32_t *by_column_row = malloc(sizeof(int32_t) * (size_t)(nnz + 1));
    double *by_column_data = malloc(sizeof(double) * (size_t)(nnz + 1));
    int status = OK;
    if (!column_next || !row_next || !by_column_row || !by_column_data) {
        status = NO_MEMORY;
        goto done;
    }
    for (int64_t t = 0; t < nnz; t++) column_next[columns[t] + 1]++;
    for (int64_t c = 0; c < n_columns; c++) column_next[c + 1] += column_next[c];
    for (int64_t r = 0; r < n_rows; r++) {
        for (int64_t t = indptr[r]; t < indptr[r + 1]; t++) {
            int64_t k = column_next[columns[t]]++;
            by_column_row[k] = (int32_t)r;
            by_column_data[k] = (double)counts[t];
        }
    }
    /* column_next[c] is now the end of column c, the start of column c + 1 */
    memcpy(row_next, indptr, sizeof(int64_t) * (size_t)n_rows);
    for (int64_t c = 0, k = 0; c < n_columns; c++) {
        for (; k < column_next[c]; k++) {
            int64_t slot = row_next[by_column_row[k]]++;
            indices[slot] = c;
            data[slot] = by_column_data[k];
        }
    }
    for (int64_t r = 0; r < n_rows && status == OK; r++)
        for (int64_t t = indptr[r] + 1; t < indptr[r + 1]; t++)
            if (indices[t] == indices[t - 1]) {
                status = IRREGULAR;
                break;
            }
done:
    free(column_next);
    free(row_next);
    free(by_column_row);
    free(by_column_data);
    return status;
}

/* A real (empty) extension module, so that the file is importable and found by importlib. */
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_crn_cparse",
                                    "The .crn reaction-line scanner in C; called through ctypes (nn2crn.crn.text).",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__crn_cparse(void) { return PyModule_Create(&module); }
