/* One pass over the data lines of a plain numeric CSV (the inputs of `nn2crn eval` and kin).
 *
 * The caller (nn2crn/_csv_native.py) has read the header; this scans the lines after it:
 *
 *     line   = field ("," field)* ["\r"] "\n"       (the last line may lack "\n")
 *     field  = blank* number blank*                  (a numeric column)
 *            | text                                  (a label column: ASCII, no '"', no control byte)
 *     number = [+-] (digit+ ["." digit*] | "." digit+) [[eE] [+-] digit+]
 *     blank  = " " | "\t"
 *
 * and writes each number, converted exactly as Python's float() converts it, to its target
 * column of a float64 row-major table, and each label's byte span (blanks stripped).
 * Trailing lines holding only blanks and commas end the table (as the general reader drops
 * them). Anything else - quotes, NUL, any byte >= 0x80, a lone "\r", a blank line among the
 * data, a wrong field count, nan/inf, hex floats, "1_0", a number that overflows, a line
 * longer than the limit - returns IRREGULAR, and Python's general reader takes the file
 * and gives its value or its message (file:line).
 *
 * Conversion: digits (at most 19 of them, leading zeros included) of value at most 2**53
 * times a power of ten of at most 22 is one IEEE multiply or divide of two exact doubles,
 * so correctly rounded (Clinger's fast path); anything else goes to strtod in the C locale,
 * which is correctly rounded in glibc and Apple's libc; elsewhere such a cell is IRREGULAR.
 *
 * The second half of the file writes float rows as repr() does (`nn2crn eval`'s output).
 * Built ahead of time by `pip install` (setup.py, optional); called through ctypes, which
 * releases the GIL for the scanner and keeps it for the formatter (it may call CPython).
 */
#include <Python.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__APPLE__)
#include <xlocale.h>
#endif

#define OK 0
#define IRREGULAR 1
#define MAX_NUMBER_CHARS 100 /* nn2crn._limits.MAX_NUMBER_CHARS */
#define LABEL (-1)           /* target of the label column: its span is recorded */
#define SKIP (-2)            /* target of a further 'label' column: text, not kept */

#if defined(__GLIBC__) || defined(__APPLE__)
#define HAVE_STRTOD_L 1
#endif
/* x87 arithmetic (FLT_EVAL_METHOD 2) rounds twice: no fast path there. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define FAST_PATH 1
#endif

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

typedef struct {
#ifdef HAVE_STRTOD_L
    locale_t c_locale;
#else
    int unused;
#endif
} Converter;

static int is_blank(unsigned char c) { return c == ' ' || c == '\t'; }

/* The number at *cursor (blanks around it skipped); the cursor moves past the trailing blanks. */
static int number(const Converter *conv, const unsigned char **cursor, const unsigned char *end, double *out) {
    const unsigned char *p = *cursor;
    while (p < end && is_blank(*p)) p++;
    const unsigned char *start = p;
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    /* Up to 19 digits (leading zeros included) cannot overflow: more go to strtod. */
    uint64_t mantissa = 0;
    int64_t exponent = 0;
    const unsigned char *digits_start = p;
    while (p < end && (unsigned)(*p - '0') < 10) mantissa = mantissa * 10 + (uint64_t)(*p++ - '0');
    int64_t digits = p - digits_start;
    if (p < end && *p == '.') {
        const unsigned char *fraction = ++p;
        while (p < end && (unsigned)(*p - '0') < 10) mantissa = mantissa * 10 + (uint64_t)(*p++ - '0');
        exponent = -(int64_t)(p - fraction);
        digits += p - fraction;
    }
    int dropped = digits > 19;
    if (!digits) return IRREGULAR;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int exponent_negative = 0;
        if (p < end && (*p == '+' || *p == '-')) exponent_negative = *p++ == '-';
        if (!(p < end && *p >= '0' && *p <= '9')) return IRREGULAR;
        int64_t written = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (written < 1000000) written = written * 10 + (*p - '0');
            p++;
        }
        exponent += exponent_negative ? -written : written;
    }
    const unsigned char *stop = p;
    while (p < end && is_blank(*p)) p++;
    *cursor = p;
    double value;
    if (!dropped && mantissa == 0) {
        value = 0.0;
    }
#ifdef FAST_PATH
    else if (!dropped && mantissa <= ((uint64_t)1 << 53) && exponent >= -22 && exponent <= 22) {
        value = (double)mantissa;
        value = exponent >= 0 ? value * POW10[exponent] : value / POW10[-exponent];
    }
#endif
    else {
#ifdef HAVE_STRTOD_L
        char text[MAX_NUMBER_CHARS + 1];
        size_t length = (size_t)(stop - start);
        if (length > MAX_NUMBER_CHARS) return IRREGULAR;
        memcpy(text, start, length);
        text[length] = '\0';
        char *after;
        value = strtod_l(text, &after, conv->c_locale);
        if (after != text + length) return IRREGULAR;
        *out = value;
        /* overflow: Python's message says "not a finite number" */
        return value - value == 0.0 ? OK : IRREGULAR;
#else
        (void)conv;
        (void)stop;
        return IRREGULAR;
#endif
    }
    *out = negative ? -value : value;
    return OK;
}

/* A text field; *cursor moves to the delimiter after it. Its span, blanks stripped. */
static int text_field(const unsigned char **cursor, const unsigned char *end, int64_t limit, int64_t *span,
                      const unsigned char *base) {
    const unsigned char *p = *cursor;
    const unsigned char *start = p;
    while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
        unsigned char c = *p;
        if (c == '"' || c >= 0x7f || (c < 0x20 && c != '\t')) return IRREGULAR;
        p++;
    }
    if (p - start > limit) return IRREGULAR; /* csv.field_size_limit() */
    const unsigned char *stop = p;
    while (start < stop && is_blank(*start)) start++;
    while (stop > start && is_blank(stop[-1])) stop--;
    if (span) {
        span[0] = start - base;
        span[1] = stop - base;
    }
    *cursor = p;
    return OK;
}

/* True when [p, end) holds only blanks, commas and line ends (a "\r" only before "\n"). */
static int blank_tail(const unsigned char *p, const unsigned char *end) {
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c == '\r' && (p + 1 == end || p[1] != '\n')) return 0;
        if (!(c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r')) return 0;
    }
    return 1;
}

/* The number of "\n" in data[start:size] (memchr: faster than bytes.count for one byte). */
int64_t nn2crn_csv_count_lines(const char *data, int64_t start, int64_t size) {
    int64_t count = 0;
    const char *p = data + start, *end = data + size;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

/* Parse the lines of data[start:size]. targets[f]: the column of field f (or LABEL, SKIP).
 * Writes values[row * n_columns + column], label_spans[2 * row + (0, 1)] (offsets in data)
 * and sizes[0] = rows. Lines of blanks and commas may end the piece (rows stops before them). */
int nn2crn_csv_parse(const char *data, int64_t start, int64_t size, int64_t n_fields, const int64_t *targets, int64_t n_columns,
                     int64_t max_rows, int64_t max_line, int64_t max_text, double *values,
                     int64_t *label_spans, int64_t *sizes) {
    const unsigned char *base = (const unsigned char *)data;
    const unsigned char *p = base + start, *end = base + size;
    int status = OK;
    int64_t row = 0;
    Converter conv;
#ifdef HAVE_STRTOD_L
    conv.c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (conv.c_locale == (locale_t)0) return IRREGULAR;
#endif
    while (p < end) {
        const unsigned char *line = p;
        /* A line of blanks and commas: the end of the table, if only such lines follow. */
        const unsigned char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == ',')) q++;
        if (q == end || *q == '\n' || *q == '\r') {
            status = blank_tail(p, end) ? OK : IRREGULAR;
            break;
        }
        if (row >= max_rows) {
            status = IRREGULAR;
            break;
        }
        double *out = values + row * n_columns;
        for (int64_t field = 0; field < n_fields && status == OK; field++) {
            int64_t target = targets[field];
            if (target >= 0) {
                status = number(&conv, &p, end, out + target);
            } else {
                status = text_field(&p, end, max_text, target == LABEL ? label_spans + 2 * row : NULL, base);
            }
            if (status != OK) break;
            if (field + 1 < n_fields) {
                if (p < end && *p == ',') {
                    p++;
                } else {
                    status = IRREGULAR;
                }
            }
        }
        if (status != OK) break;
        if (p < end) {
            if (*p == '\r') p++;
            if (p >= end || *p != '\n') {
                status = IRREGULAR;
                break;
            }
            if (p - line > max_line) {
                status = IRREGULAR;
                break;
            }
            p++;
        } else if (p - line > max_line) {
            status = IRREGULAR;
            break;
        }
        row++;
    }
#ifdef HAVE_STRTOD_L
    freelocale(conv.c_locale);
#endif
    sizes[0] = row;
    return status;
}

/* ---- Output: each float as Python's repr() writes it ----------------------------------
 *
 * repr(x) is the shortest decimal string that reads back as x (round half to even: the
 * interval's ends count when x's mantissa is even), the one nearest x when several are that
 * short, the even one on a tie; laid out as format_float_short does ('1.0', '0.0001',
 * '1e-05', '1e+16', '-0.0'). For 1e-5 <= |x| < 2**55 the search is exact integer arithmetic
 * in 128 bits: x = X / 2**k with X = 4m, its rounding interval [X - gap, X + 2], and the
 * candidates c * 10**j for the j of 17 down to 1 digit compared in units of 2**-k 10**-t.
 * Any other value (and any build without 128-bit integers) is formatted by CPython's own
 * PyOS_double_to_string, the function repr() calls: this part runs with the GIL held. */
#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 u128;

static const uint64_t POW10_U64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* 10**n for 0 <= n <= 38 */
static u128 pow10_u128(int n) { return n < 20 ? POW10_U64[n] : (u128)POW10_U64[19] * POW10_U64[n - 19]; }

typedef struct {
    int inclusive; /* the interval's ends read back as x (x's mantissa is even) */
    int k;         /* x = X / 2**k */
} Scaled;

/* At decimal exponent j: 0 when no c * 10**j lies in x's interval, else 1 and the nearest
   such c (even c on a tie). */
static int candidate(const Scaled *base, uint64_t m_times_4, uint64_t gap, int j, uint64_t *digits) {
    int t = j < 0 ? -j : 0;
    u128 scale = pow10_u128(t);
    u128 x = (u128)m_times_4 * scale, low = (u128)(m_times_4 - gap) * scale, high = (u128)(m_times_4 + 2) * scale;
    u128 step = (j >= 0 ? pow10_u128(j) : 1) << base->k;
    u128 c = j < 0 ? x >> base->k : (u128)((uint64_t)(x >> base->k) / (uint64_t)pow10_u128(j));
    u128 below = c * step, above = below + step;
    int in_below = base->inclusive ? below >= low : below > low;
    int in_above = base->inclusive ? above <= high : above < high;
    if (!in_below && !in_above) return 0;
    if (in_below && in_above) {
        u128 d_below = x - below, d_above = above - x;
        if (d_above < d_below || (d_above == d_below && (c & 1))) c += 1;
    } else if (in_above) {
        c += 1;
    }
    *digits = (uint64_t)c;
    return 1;
}

/* The shortest digits and decimal exponent of x > 0, or 0 outside the exact range. */
static int shortest(double x, uint64_t *digits, int *exponent10) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int biased = (int)((bits >> 52) & 0x7ff);
    uint64_t fraction = bits & (((uint64_t)1 << 52) - 1);
    if (biased == 0 || biased == 0x7ff) return 0;
    int e = biased - 1075; /* x = m * 2**e */
    if (e > 2 || e < -69) return 0;
    uint64_t m = fraction | ((uint64_t)1 << 52);
    Scaled base;
    base.inclusive = (m & 1) == 0;
    base.k = 2 - e;
    /* the predecessor of a power of two is half as far away (except at the bottom) */
    uint64_t gap = fraction == 0 && biased > 1 ? 1 : 2;
    uint64_t X = 4 * m;
    /* d = floor(log10 x), exactly: x >= 10**d <=> X * 10**-d >= 2**k (d < 0) or X >= 10**d 2**k */
    int d = (int)floor(log10(x)); /* off by at most one near a power of ten */
    for (int pass = 0;; pass++) {
        if (d < -21 || d > 17 || pass == 3) return 0;
        int below = d < 0 ? (u128)X * pow10_u128(-d) < ((u128)1 << base.k) : (u128)X < (pow10_u128(d) << base.k);
        int above = d + 1 < 0 ? (u128)X * pow10_u128(-(d + 1)) >= ((u128)1 << base.k)
                              : (u128)X >= (pow10_u128(d + 1) << base.k);
        if (!below && !above) break;
        d += below ? -1 : 1;
    }
    int lowest = d - 16; /* 17 significant digits always read back */
    if (lowest < -21) return 0;
    uint64_t c;
    if (!candidate(&base, X, gap, lowest, &c)) return 0;
    /* Candidates exist at j exactly when at any smaller j: find the largest, stepping up
       twice first (most values need 16 or 17 digits), then bisecting. */
    int lo = lowest, hi = d + 2;
    while (hi - lo > 1 && lo < lowest + 2) {
        uint64_t trial;
        if (!candidate(&base, X, gap, lo + 1, &trial)) {
            hi = lo + 1;
            break;
        }
        lo++;
        c = trial;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        uint64_t trial;
        if (candidate(&base, X, gap, mid, &trial)) {
            lo = mid;
            c = trial;
        } else {
            hi = mid;
        }
    }
    while (c && c % 10 == 0) {
        c /= 10;
        lo++;
    }
    if (!c) return 0;
    *digits = c;
    *exponent10 = lo;
    return 1;
}

/* Python's layout of digits * 10**exponent10 (format_float_short, repr mode). */
static char *layout(char *out, uint64_t digits, int exponent10) {
    static const char PAIRS[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char buffer[24];
    char *text = buffer + sizeof buffer; /* digits written backwards, two at a time */
    uint64_t v = digits;
    while (v >= 100) {
        text -= 2;
        memcpy(text, PAIRS + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        text -= 2;
        memcpy(text, PAIRS + 2 * v, 2);
    } else {
        *--text = (char)('0' + v);
    }
    int n = (int)(buffer + sizeof buffer - text);
    int point = n + exponent10; /* value = 0.d1d2... * 10**point */
    if (point > 16 || point < -3) {
        *out++ = text[0];
        if (n > 1) {
            *out++ = '.';
            memcpy(out, text + 1, (size_t)(n - 1));
            out += n - 1;
        }
        int exponent = point - 1;
        *out++ = 'e';
        *out++ = exponent < 0 ? '-' : '+';
        if (exponent < 0) exponent = -exponent;
        if (exponent >= 100) *out++ = (char)('0' + exponent / 100);
        *out++ = (char)('0' + exponent / 10 % 10);
        *out++ = (char)('0' + exponent % 10);
    } else if (point <= 0) {
        *out++ = '0';
        *out++ = '.';
        for (int i = 0; i < -point; i++) *out++ = '0';
        memcpy(out, text, (size_t)n);
        out += n;
    } else if (point >= n) {
        memcpy(out, text, (size_t)n);
        out += n;
        for (int i = n; i < point; i++) *out++ = '0';
        *out++ = '.';
        *out++ = '0';
    } else {
        memcpy(out, text, (size_t)point);
        out += point;
        *out++ = '.';
        memcpy(out, text + point, (size_t)(n - point));
        out += n - point;
    }
    return out;
}
#endif

/* One float as repr() writes it; NULL when CPython cannot allocate. */
static char *format_double(char *out, double x) {
#if defined(__SIZEOF_INT128__)
    uint64_t digits;
    int exponent10;
    if (x == 0.0) {
        if (signbit(x)) *out++ = '-';
        memcpy(out, "0.0", 3);
        return out + 3;
    }
    if (shortest(fabs(x), &digits, &exponent10)) {
        if (x < 0) *out++ = '-';
        return layout(out, digits, exponent10);
    }
#endif
    char *text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!text) return NULL;
    size_t length = strlen(text);
    memcpy(out, text, length);
    PyMem_Free(text);
    return out + length;
}

/* The rows of values (row-major n_rows x n_columns) as CSV lines ("," between, "\n" after
 * each row) into out, which holds at least n_rows * (n_columns * NN2CRN_MAX_REPR + 1) bytes.
 * Returns the length, or -1 when CPython ran out of memory. Call with the GIL held. */
#define NN2CRN_MAX_REPR 32
int64_t nn2crn_csv_format(const double *values, int64_t n_rows, int64_t n_columns, char *out) {
    char *p = out;
    for (int64_t row = 0; row < n_rows; row++) {
        for (int64_t column = 0; column < n_columns; column++) {
            if (column) *p++ = ',';
            p = format_double(p, values[row * n_columns + column]);
            if (!p) return -1;
        }
        *p++ = '\n';
    }
    return p - out;
}

int64_t nn2crn_csv_max_repr(void) { return NN2CRN_MAX_REPR; }

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ccsv",
                                    "The numeric CSV scanner in C; called through ctypes (nn2crn._csv_native).",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__ccsv(void) { return PyModule_Create(&module); }
