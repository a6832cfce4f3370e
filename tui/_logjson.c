/* Compiled reading of a JSON array of flat log objects, `[{"loss": 0.5, "step": 10}, ...]`: Hugging Face's
 * `trainer_state.json` `log_history`, 100k entries and more in a long run.
 *
 * Why C: parsed into Python objects (orjson), such a history costs a dict and a float object per value, their
 * grouping into columns, and freeing them all again: about five times what this walk over the bytes into one
 * array of doubles costs. It takes only the plain case, every entry an object whose values are all numbers,
 * and gives up (None) on anything else (a string, a nested object, true/false/null, an escape in a key, a key
 * that is not ASCII, a key twice in one object, an integer of more than 15 digits, a syntax error, the end of
 * the text); the caller then parses the text the general way (tui/sources/jsontext.py), which is also the
 * reference the results are compared with (tests/test_logjson.py).
 *
 * Numbers come out as Python's json module reads them, to the bit: `NaN`, `Infinity` and `-Infinity` (what
 * json.dumps writes for non-finite floats) are accepted, an integer is its exact value (`-0` is 0.0), and a
 * decimal is rounded exactly once, to nearest even: with integer arithmetic (one 128-bit division) where it
 * has at most 19 digits and a power of ten from -38 to 19, else by Python's own PyOS_string_to_double, which
 * needs the GIL: this kernel keeps it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_SHAPES 1024 /* distinct key lists before giving up (the Trainer writes a handful) */
#define MAX_NUMBER 64   /* characters in one number literal before giving up */

typedef struct {
    char *keys; /* every key followed by '"' (which no accepted key contains) */
    Py_ssize_t length;
    int count;
} Shape;

typedef struct {
    double *values;
    Py_ssize_t values_len, values_cap;
    int32_t *ids;
    Py_ssize_t ids_len, ids_cap;
    char *scratch; /* the current entry's keys, as a Shape holds them */
    Py_ssize_t scratch_len, scratch_cap;
    Shape shapes[MAX_SHAPES];
    int shape_count, last_shape;
} Walk;

static int grow(void **array, Py_ssize_t *cap, Py_ssize_t needed, size_t item) {
    if (needed <= *cap) return 0;
    Py_ssize_t cap2 = *cap ? *cap : 64;
    while (cap2 < needed) cap2 *= 2;
    void *bigger = PyMem_Realloc(*array, (size_t)cap2 * item);
    if (!bigger) return -1;
    *array = bigger;
    *cap = cap2;
    return 0;
}

static void walk_free(Walk *w) {
    PyMem_Free(w->values);
    PyMem_Free(w->ids);
    PyMem_Free(w->scratch);
    for (int i = 0; i < w->shape_count; i++) PyMem_Free(w->shapes[i].keys);
}

static const uint8_t *skip_space(const uint8_t *p, const uint8_t *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* After an item of an object or array: a ',' (1: another item follows, *pp past it and its spaces), the
 * `closer` (0: done, *pp just past it), or anything else (-1: not the layout this walk reads). */
static int next_item(const uint8_t **pp, const uint8_t *end, uint8_t closer) {
    const uint8_t *p = skip_space(*pp, end);
    if (p < end && *p == ',') {
        *pp = skip_space(p + 1, end);
        return 1;
    }
    if (p < end && *p == closer) {
        *pp = p + 1;
        return 0;
    }
    return -1;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static const uint64_t tens[20] = {1ull,
                                  10ull,
                                  100ull,
                                  1000ull,
                                  10000ull,
                                  100000ull,
                                  1000000ull,
                                  10000000ull,
                                  100000000ull,
                                  1000000000ull,
                                  10000000000ull,
                                  100000000000ull,
                                  1000000000000ull,
                                  10000000000000ull,
                                  100000000000000ull,
                                  1000000000000000ull,
                                  10000000000000000ull,
                                  100000000000000000ull,
                                  1000000000000000000ull,
                                  10000000000000000000ull};

/* The double nearest to (limbs, most significant first) * 2**shift, ties to even; `sticky`: something nonzero
 * was cut off below the last limb. The caller keeps the result a normal double (no overflow, no subnormal). */
static double nearest(const uint64_t *limbs, int count, int sticky, int shift) {
    int top = 0;
    while (top < count - 1 && limbs[top] == 0) top++;
    int lead = __builtin_clzll(limbs[top]);
    /* the 64 bits that start at the leading one, and whatever lies below them */
    uint64_t high = limbs[top] << lead;
    uint64_t next = top + 1 < count ? limbs[top + 1] : 0;
    if (lead) high |= next >> (64 - lead);
    uint64_t rest = lead ? next << lead : next;
    for (int i = top + 2; i < count; i++) sticky |= limbs[i] != 0;
    sticky |= rest != 0;
    uint64_t mantissa = high >> 11, round = (high >> 10) & 1;
    sticky |= (high & 0x3FF) != 0;
    if (round && (sticky || (mantissa & 1))) mantissa++;
    int exponent = (count - top) * 64 - lead - 53 + shift; /* the value is mantissa * 2**exponent */
    return ldexp((double)mantissa, exponent);
}

/* mantissa * 10**power exactly rounded, where the fast exact paths reach (1 if it did, 0 if not). */
static int decimal(uint64_t mantissa, int power, double *out) {
    if (mantissa == 0) {
        *out = 0.0;
        return 1;
    }
    if (power >= 0 && power <= 19) { /* an exact integer below 2**128 */
        u128 whole = (u128)mantissa * tens[power];
        uint64_t limbs[2] = {(uint64_t)(whole >> 64), (uint64_t)whole};
        *out = nearest(limbs, 2, 0, 0);
        return 1;
    }
    if (power < 0 && power >= -19) { /* mantissa * 2**shift / 10**-power, the dividend's top bit at 126: one division */
        int shift = __builtin_clzll(mantissa) + 63;
        u128 dividend = (u128)mantissa << shift, quotient = dividend / tens[-power];
        uint64_t limbs[2] = {(uint64_t)(quotient >> 64), (uint64_t)quotient};
        *out = nearest(limbs, 2, dividend != quotient * tens[-power], -shift);
        return 1;
    }
    if (power < 0 && power >= -38) { /* mantissa * 2**192 / 10**-power: long division by two divisors */
        uint64_t limbs[4] = {mantissa, 0, 0, 0};
        int sticky = 0;
        for (int left = -power; left > 0;) {
            int step = left > 19 ? 19 : left;
            uint64_t divisor = tens[step], remainder = 0;
            for (int i = 0; i < 4; i++) {
                u128 part = ((u128)remainder << 64) | limbs[i];
                limbs[i] = (uint64_t)(part / divisor);
                remainder = (uint64_t)(part % divisor);
            }
            sticky |= remainder != 0;
            left -= step;
        }
        *out = nearest(limbs, 4, sticky, -192);
        return 1;
    }
    return 0;
}
#else
static int decimal(uint64_t mantissa, int power, double *out) { return 0; }
#endif

/* One JSON number at p (or NaN/Infinity/-Infinity), its value in *out; the position after it, or NULL to give up. */
static const uint8_t *number(const uint8_t *p, const uint8_t *end, double *out) {
    const uint8_t *start = p;
    int negative = 0;
    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    if (end - p >= 8 && memcmp(p, "Infinity", 8) == 0) {
        *out = negative ? -Py_HUGE_VAL : Py_HUGE_VAL;
        return p + 8;
    }
    if (!negative && end - p >= 3 && memcmp(p, "NaN", 3) == 0) {
        *out = Py_NAN;
        return p + 3;
    }
    if (p >= end || *p < '0' || *p > '9') return NULL;
    uint64_t mantissa = 0;
    int digits = 0, fraction = 0, exponent = 0, exponent_negative = 0, exponent_digits = 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            digits++;
            p++;
        }
    }
    int is_float = 0;
    if (p < end && *p == '.') {
        is_float = 1;
        p++;
        const uint8_t *first = p;
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits || *p != '0') { /* the zeros of 0.000x are not significant digits */
                if (digits < 19) mantissa = mantissa * 10 + (uint64_t)(*p - '0');
                digits++;
            }
            fraction++;
            p++;
        }
        if (p == first) return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_float = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) exponent_negative = *p++ == '-';
        while (p < end && *p >= '0' && *p <= '9') {
            if (exponent < 10000) exponent = exponent * 10 + (*p - '0');
            exponent_digits++;
            p++;
        }
        if (!exponent_digits) return NULL;
    }
    if (!is_float) {
        if (digits > 15) return NULL; /* compared exactly as a Python int would be only up to 2**53 */
        *out = negative && mantissa ? -(double)mantissa : (double)mantissa; /* an integer -0 is 0 */
        return p;
    }
    double value;
    if (digits > 19 || !decimal(mantissa, (exponent_negative ? -exponent : exponent) - fraction, &value)) {
        Py_ssize_t length = p - start - negative;
        if (length >= MAX_NUMBER) return NULL;
        char text[MAX_NUMBER];
        memcpy(text, start + negative, (size_t)length);
        text[length] = '\0';
        char *stop = NULL;
        value = PyOS_string_to_double(text, &stop, NULL);
        if (value == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return NULL;
        }
        if (stop != text + length) return NULL;
    }
    *out = negative ? -value : value;
    return p;
}

/* The shape (key list) of the entry just read from scratch: its number, new ones numbered in order; -1 to give up. */
static int shape_of(Walk *w, int count) {
    if (w->last_shape >= 0) {
        Shape *s = &w->shapes[w->last_shape];
        if (s->count == count && s->length == w->scratch_len && memcmp(s->keys, w->scratch, (size_t)s->length) == 0)
            return w->last_shape;
    }
    for (int i = 0; i < w->shape_count; i++) {
        Shape *s = &w->shapes[i];
        if (s->count == count && s->length == w->scratch_len && memcmp(s->keys, w->scratch, (size_t)s->length) == 0)
            return w->last_shape = i;
    }
    if (w->shape_count >= MAX_SHAPES) return -1;
    /* a new key list: a key twice in one object is left to the general parser (the last value wins there) */
    const char *a = w->scratch, *stop = w->scratch + w->scratch_len;
    while (a < stop) {
        const char *a_end = memchr(a, '"', (size_t)(stop - a));
        for (const char *b = a_end + 1; b < stop;) {
            const char *b_end = memchr(b, '"', (size_t)(stop - b));
            if (b_end - b == a_end - a && memcmp(a, b, (size_t)(a_end - a)) == 0) return -1;
            b = b_end + 1;
        }
        a = a_end + 1;
    }
    Shape *s = &w->shapes[w->shape_count];
    s->keys = PyMem_Malloc(w->scratch_len ? (size_t)w->scratch_len : 1);
    if (!s->keys) return -1;
    memcpy(s->keys, w->scratch, (size_t)w->scratch_len);
    s->length = w->scratch_len;
    s->count = count;
    return w->last_shape = w->shape_count++;
}

/* One `{"key": number, ...}` at p; the position after it, or NULL to give up. */
static const uint8_t *entry(Walk *w, const uint8_t *p, const uint8_t *end) {
    if (p >= end || *p != '{') return NULL;
    p = skip_space(p + 1, end);
    w->scratch_len = 0;
    int count = 0;
    if (p < end && *p == '}') p++;
    else {
        for (;;) {
            if (p >= end || *p != '"') return NULL;
            const uint8_t *key = ++p;
            while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
            if (p >= end || *p != '"') return NULL; /* an escape, a control or non-ASCII byte, or the end */
            Py_ssize_t length = p - key;
            if (grow((void **)&w->scratch, &w->scratch_cap, w->scratch_len + length + 1, 1) < 0) return NULL;
            memcpy(w->scratch + w->scratch_len, key, (size_t)length);
            w->scratch[w->scratch_len + length] = '"';
            w->scratch_len += length + 1;
            p = skip_space(p + 1, end);
            if (p >= end || *p != ':') return NULL;
            p = skip_space(p + 1, end);
            if (grow((void **)&w->values, &w->values_cap, w->values_len + 1, sizeof(double)) < 0) return NULL;
            p = number(p, end, &w->values[w->values_len]);
            if (!p) return NULL;
            w->values_len++;
            count++;
            int more = next_item(&p, end, '}');
            if (more < 0) return NULL;
            if (!more) break;
        }
    }
    int shape = shape_of(w, count);
    if (shape < 0) return NULL;
    if (grow((void **)&w->ids, &w->ids_cap, w->ids_len + 1, sizeof(int32_t)) < 0) return NULL;
    w->ids[w->ids_len++] = shape;
    return p;
}

/* records(buffer, start) -> (end, [keys of each shape], shape of each entry: int32 bytes, values: float64 bytes)
 *                            or None
 *
 * The array of flat number objects that starts at `start` (spaces, then '['): where it ends (just after its
 * ']'), the distinct key lists in order of first appearance, each entry's key list by number, and every value,
 * entry after entry. None when the array is anything else, or ends early (a file being written). */
static PyObject *logjson_records(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "y*n", &buf, &start)) return NULL;
    Walk *w = PyMem_Calloc(1, sizeof(Walk));
    if (!w) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    w->last_shape = -1;
    PyObject *result = NULL;
    const uint8_t *data = buf.buf, *end = data + buf.len;
    const uint8_t *p = start >= 0 && start <= buf.len ? skip_space(data + start, end) : end;
    if (grow((void **)&w->values, &w->values_cap, (buf.len - start) / 16 + 1, sizeof(double)) < 0) goto give_up;
    if (p >= end || *p != '[') goto give_up;
    p = skip_space(p + 1, end);
    if (p < end && *p == ']') p++;
    else {
        for (;;) {
            p = entry(w, p, end);
            if (!p) goto give_up;
            int more = next_item(&p, end, ']');
            if (more < 0) goto give_up;
            if (!more) break;
        }
    }
    PyObject *shapes = PyList_New(w->shape_count);
    if (!shapes) goto done;
    for (int i = 0; i < w->shape_count; i++) {
        Shape *s = &w->shapes[i];
        PyObject *keys = PyTuple_New(s->count);
        if (!keys) {
            Py_DECREF(shapes);
            goto done;
        }
        PyList_SET_ITEM(shapes, i, keys);
        const char *k = s->keys;
        for (int j = 0; j < s->count; j++) {
            const char *k_end = memchr(k, '"', (size_t)(s->keys + s->length - k));
            PyObject *name = PyUnicode_FromStringAndSize(k, k_end - k);
            if (!name) {
                Py_DECREF(shapes);
                goto done;
            }
            PyUnicode_InternInPlace(&name);
            PyTuple_SET_ITEM(keys, j, name);
            k = k_end + 1;
        }
    }
    result = Py_BuildValue("(nNy#y#)", (Py_ssize_t)(p - data), shapes, w->ids ? (const char *)w->ids : "",
                           (Py_ssize_t)(w->ids_len * (Py_ssize_t)sizeof(int32_t)), (const char *)w->values,
                           (Py_ssize_t)(w->values_len * (Py_ssize_t)sizeof(double)));
    goto done;
give_up:
    if (!PyErr_Occurred()) result = Py_NewRef(Py_None);
    else if (PyErr_ExceptionMatches(PyExc_MemoryError)) goto done;
    else {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
    }
done:
    walk_free(w);
    PyMem_Free(w);
    PyBuffer_Release(&buf);
    return result;
}

static PyMethodDef methods[] = {
    {"records", logjson_records, METH_VARARGS, "An array of flat number objects as key lists and one array of values."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_logjson", "Compiled reading of JSON log histories.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__logjson(void) { return PyModule_Create(&module); }
