/* Compiled inner loops of the event-file reader: TFRecord framing with both CRC32C checks, the search for
 * the next valid record header after damage, the decoding of PyTorch/tensorboardX `simple_value` scalar
 * events, and read-only mappings of files received from a worker. The verdict engine's loops are in
 * tui/_kernels.c (reading knows nothing of verdicts).
 *
 * Why C: at 50 M records a Python pass per record costs minutes; a walk over the bytes here costs
 * milliseconds. The reading kernels have one reference, tui/sources/tensorboard/reference.py: plain
 * sequential Python with the same signatures and the same results, used where this module could not be
 * built; tests/test_reference.py compares the two on random and damaged input. Every reading kernel
 * releases the GIL while it walks the bytes, so runs can be read on several threads at once.
 *
 * No NumPy C API: callers pass preallocated output arrays through the buffer protocol.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- CRC32C (Castagnoli), hardware on x86-64 with SSE 4.2, else slicing-by-8 ---------------- */

static uint32_t crc_table[8][256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
}

static uint32_t crc_soft(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c; /* little-endian hosts only (see _supported) */
        c = crc_table[7][w & 0xFF] ^ crc_table[6][(w >> 8) & 0xFF] ^ crc_table[5][(w >> 16) & 0xFF] ^
            crc_table[4][(w >> 24) & 0xFF] ^ crc_table[3][(w >> 32) & 0xFF] ^ crc_table[2][(w >> 40) & 0xFF] ^
            crc_table[1][(w >> 48) & 0xFF] ^ crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc_hard(const uint8_t *p, size_t n) {
    uint64_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32 ^ 0xFFFFFFFFu;
}
static int have_hard = 0;
static void crc_detect(void) { have_hard = __builtin_cpu_supports("sse4.2"); }
static uint32_t crc32c(const uint8_t *p, size_t n) { return have_hard ? crc_hard(p, n) : crc_soft(p, n); }
#else
static void crc_detect(void) {}
static uint32_t crc32c(const uint8_t *p, size_t n) { return crc_soft(p, n); }
#endif

static uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* ---- framing -------------------------------------------------------------------------------- */

/* frame(buffer, start, max_record, offsets_out: int64[], lengths_out: int64[]) -> (count, end)
 *
 * The whole, CRC-valid records from `start` on, up to the first thing that is unusual (a bad CRC, an
 * absurd or zero length, a header whose CRC bytes are all zero), the first record cut off at the end,
 * or the end of the output arrays. `end` is where the walk stopped: the caller decides there what the
 * unusual thing is (damage to skip and count, a record still being written), in one place. */
static PyObject *scan_frame(PyObject *self, PyObject *args) {
    Py_buffer buf, offs, lens;
    Py_ssize_t start;
    unsigned long long max_record;
    if (!PyArg_ParseTuple(args, "y*nKw*w*", &buf, &start, &max_record, &offs, &lens)) return NULL;
    const uint8_t *data = buf.buf;
    Py_ssize_t size = buf.len;
    int64_t *out_off = offs.buf, *out_len = lens.buf;
    Py_ssize_t capacity = offs.len / 8 < lens.len / 8 ? offs.len / 8 : lens.len / 8;
    Py_ssize_t pos = start < 0 ? 0 : start, count = 0;
    Py_BEGIN_ALLOW_THREADS
    while (size - pos >= 12) {
        uint64_t length = rd64(data + pos);
        uint32_t stored = rd32(data + pos + 8);
        if (length == 0 || length > max_record || (length >> 24) != 0 || stored == 0 ||
            masked(crc32c(data + pos, 8)) != stored)
            break;
        if ((uint64_t)(size - pos) < 16 + length) break; /* cut: the rest is on its way */
        if (count >= capacity || masked(crc32c(data + pos + 12, (size_t)length)) != rd32(data + pos + 12 + length))
            break;
        out_off[count] = pos + 12;
        out_len[count] = (int64_t)length;
        count++;
        pos += 16 + (Py_ssize_t)length;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    PyBuffer_Release(&offs);
    PyBuffer_Release(&lens);
    return Py_BuildValue("nn", count, pos);
}

/* next_header(buffer, start, max_record) -> int
 *
 * The first offset at or after `start` holding a whole record header whose length is at most
 * max_record and whose CRC (not all zero bytes: zero-filled regions are crossed at once) is right;
 * -1 when there is none. How the reader finds its way again after damage. */
static PyObject *scan_next_header(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start;
    unsigned long long max_record;
    if (!PyArg_ParseTuple(args, "y*nK", &buf, &start, &max_record)) return NULL;
    const uint8_t *data = buf.buf;
    Py_ssize_t size = buf.len, found = -1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t pos = start < 0 ? 0 : start; size - pos >= 12; pos++) {
        uint32_t stored = rd32(data + pos + 8);
        if (stored == 0 || rd64(data + pos) > max_record) continue;
        if (masked(crc32c(data + pos, 8)) == stored) {
            found = pos;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(found);
}

/* ---- simple_value scalars ------------------------------------------------------------------- */

#define MAX_TAGS 4096
#define TABLE_SIZE 8192 /* open addressing, power of two, > 2 * MAX_TAGS */

typedef struct {
    const uint8_t *bytes;
    int length;
    int id;
} TagSlot;

static uint64_t fnv(const uint8_t *p, int n) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (int i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

/* decode_scalars(buffer, offsets: int64[], lengths: int64[], tag_ids_out: int32[], steps_out: int64[],
 *                walls_out: float64[], values_out: float64[]) -> list[bytes]
 *
 * For each record that is one `simple_value` scalar event (wall_time, step, a summary with one
 * value: tag and simple_value, nothing else), its tag's number, step, wall time and value; -1 as
 * the tag number for every other record. Returns the distinct tags, numbered in order of first
 * appearance. */
static PyObject *scan_decode_scalars(PyObject *self, PyObject *args) {
    Py_buffer buf, offs, lens, ids, steps, walls, values;
    if (!PyArg_ParseTuple(args, "y*y*y*w*w*w*w*", &buf, &offs, &lens, &ids, &steps, &walls, &values)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = offs.len / 8;
    if (lens.len / 8 < n || ids.len / 4 < n || steps.len / 8 < n || walls.len / 8 < n || values.len / 8 < n) {
        PyErr_SetString(PyExc_ValueError, "output arrays are shorter than offsets");
        goto done;
    }
    const uint8_t *data = buf.buf;
    const int64_t *in_off = offs.buf, *in_len = lens.buf;
    int32_t *out_id = ids.buf;
    int64_t *out_step = steps.buf;
    double *out_wall = walls.buf, *out_value = values.buf;
    TagSlot *table = PyMem_Calloc(TABLE_SIZE, sizeof(TagSlot));
    const uint8_t **tag_bytes = PyMem_Calloc(MAX_TAGS, sizeof(uint8_t *));
    int *tag_lengths = PyMem_Calloc(MAX_TAGS, sizeof(int));
    if (!table || !tag_bytes || !tag_lengths) {
        PyMem_Free(table);
        PyMem_Free(tag_bytes);
        PyMem_Free(tag_lengths);
        PyErr_NoMemory();
        goto done;
    }
    int tags = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        out_id[i] = -1;
        int64_t off = in_off[i], len = in_len[i];
        if (off < 0 || len < 20 || off + len > buf.len) continue;
        const uint8_t *r = data + off, *end = r + len;
        if (r[0] != 0x09 || r[9] != 0x10) continue;
        /* step: a varint of at most 10 bytes, below 2**63 */
        const uint8_t *p = r + 10;
        uint64_t step = 0;
        int k = 0, ended = 0;
        for (; k < 10 && p + k < end; k++) {
            step |= (uint64_t)(p[k] & 0x7F) << (7 * k);
            if (p[k] < 0x80) { ended = 1; break; }
        }
        if (!ended || (step >> 63)) continue;
        const uint8_t *q = p + k + 1;
        /* 2a L1 0a L2 0a T tag... 15 f32, each length one byte, and everything ends at the record's end */
        if (end - q < 6 || q[0] != 0x2A || q[1] >= 0x80 || q[2] != 0x0A || q[3] >= 0x80 || q[4] != 0x0A || q[5] >= 0x80)
            continue;
        int tag_len = q[5];
        const uint8_t *tag = q + 6, *value_tag = tag + tag_len;
        if (value_tag + 5 != end || value_tag[0] != 0x15) continue;
        if (q[1] != end - (q + 2) || q[3] != end - (q + 4)) continue;
        uint64_t h = fnv(tag, tag_len);
        size_t slot = h & (TABLE_SIZE - 1);
        int id = -1;
        while (table[slot].bytes) {
            if (table[slot].length == tag_len && memcmp(table[slot].bytes, tag, tag_len) == 0) {
                id = table[slot].id;
                break;
            }
            slot = (slot + 1) & (TABLE_SIZE - 1);
        }
        if (id < 0) {
            if (tags >= MAX_TAGS) continue; /* absurdly many tags: the rest go to the full decoder */
            id = tags++;
            table[slot].bytes = tag;
            table[slot].length = tag_len;
            table[slot].id = id;
            tag_bytes[id] = tag;
            tag_lengths[id] = tag_len;
        }
        float value;
        double wall;
        memcpy(&wall, r + 1, 8);
        memcpy(&value, value_tag + 1, 4);
        out_id[i] = id;
        out_step[i] = (int64_t)step;
        out_wall[i] = wall;
        out_value[i] = (double)value;
    }
    Py_END_ALLOW_THREADS
    result = PyList_New(tags);
    for (int t = 0; result && t < tags; t++) {
        PyObject *b = PyBytes_FromStringAndSize((const char *)tag_bytes[t], tag_lengths[t]);
        if (!b) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, t, b);
    }
    PyMem_Free(table);
    PyMem_Free(tag_bytes);
    PyMem_Free(tag_lengths);
done:
    PyBuffer_Release(&buf);
    PyBuffer_Release(&offs);
    PyBuffer_Release(&lens);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&steps);
    PyBuffer_Release(&walls);
    PyBuffer_Release(&values);
    return result;
}

/* crc32c(data, software=False) -> int: the plain (unmasked) CRC32C, for tests of both code paths. */
static PyObject *scan_crc32c(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int software = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &buf, &software)) return NULL;
    uint32_t c;
    Py_BEGIN_ALLOW_THREADS
    c = software ? crc_soft(buf.buf, (size_t)buf.len) : crc32c(buf.buf, (size_t)buf.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(c);
}


/* ---- read-only mappings (tui/shipping.py) ------------------------------------------------------ */
/* mmap.mmap keeps a duplicate of the file descriptor open for as long as the mapping lives (before
 * Python 3.13): one per run received from a worker, and a log directory of a thousand runs would run the
 * app out of descriptors. A Mapped holds the memory only: the caller closes the descriptor at once, and
 * the mapping goes when the last array viewing it is freed. Read-only, so arrays over it are too. */

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define HAVE_MAPPED 1

typedef struct {
    PyObject_HEAD
    void *address;
    Py_ssize_t length;
} MappedObject;

static void mapped_dealloc(MappedObject *self) {
    munmap(self->address, (size_t)self->length);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int mapped_getbuffer(MappedObject *self, Py_buffer *view, int flags) {
    return PyBuffer_FillInfo(view, (PyObject *)self, self->address, self->length, 1, flags);
}

static PyBufferProcs mapped_as_buffer = {(getbufferproc)mapped_getbuffer, NULL};

static PyTypeObject MappedType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tui._scan.Mapped",
    .tp_basicsize = sizeof(MappedObject),
    .tp_dealloc = (destructor)mapped_dealloc,
    .tp_as_buffer = &mapped_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A read-only private mapping of a file, unmapped when the last view of it is freed.",
};

/* map_readonly(fd, length) -> Mapped: the first `length` bytes of the file, private, read-only, faulted in. */
static PyObject *scan_map_readonly(PyObject *self, PyObject *args) {
    int fd;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "in", &fd, &length)) return NULL;
    if (length <= 0) {
        PyErr_SetString(PyExc_ValueError, "map_readonly: nothing to map");
        return NULL;
    }
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* one fault-in for the whole file, not one per page */
#endif
    void *address = mmap(NULL, (size_t)length, PROT_READ, flags, fd, 0);
    if (address == MAP_FAILED) return PyErr_SetFromErrno(PyExc_OSError);
    MappedObject *mapped = PyObject_New(MappedObject, &MappedType);
    if (mapped == NULL) {
        munmap(address, (size_t)length);
        return NULL;
    }
    mapped->address = address;
    mapped->length = length;
    return (PyObject *)mapped;
}
#endif

static PyMethodDef methods[] = {
    {"frame", scan_frame, METH_VARARGS, "Frame a clean chain of CRC-valid TFRecords."},
    {"next_header", scan_next_header, METH_VARARGS, "The next offset holding a valid TFRecord header."},
    {"decode_scalars", scan_decode_scalars, METH_VARARGS, "Decode simple_value scalar events."},
    {"crc32c", scan_crc32c, METH_VARARGS, "CRC32C of a bytes-like object."},
#ifdef HAVE_MAPPED
    {"map_readonly", scan_map_readonly, METH_VARARGS, "A read-only mapping of a file that holds no descriptor."},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "Compiled inner loops of the event-file reader.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__scan(void) {
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1) {
        PyErr_SetString(PyExc_ImportError, "tui._scan supports little-endian hosts only");
        return NULL;
    }
    crc_init();
    crc_detect();
#ifdef HAVE_MAPPED
    if (PyType_Ready(&MappedType) < 0) return NULL;
#endif
    PyObject *made = PyModule_Create(&module);
    /* The calling conventions' version (tui/compiled.py): a module built from an older source is not used. */
    if (made != NULL && PyModule_AddIntConstant(made, "KERNEL_VERSION", 2) < 0) {
        Py_DECREF(made);
        return NULL;
    }
    return made;
}
