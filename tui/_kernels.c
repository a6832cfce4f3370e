/* Compiled inner loops of the verdict engine: TensorBoard's smoothing continued over new points, and the
 * onset CUSUM with the five-point median its floor stands on.
 *
 * Why C: both are recurrences (each point needs the one before), which NumPy cannot vectorise: in Python
 * each point of a long curve would cost an interpreter step; the references in tui/judging run where this
 * module could not be built.
 *
 * No NumPy C API: callers pass preallocated output arrays through the buffer protocol.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Same arithmetic, operation for operation, as the Python references (tui/judging/smoothing.py,
 * OnlineSmoother.add; tui/judging/cusum.py, Cusum._extend_python); tests/test_smoothing.py and
 * tests/test_cusum.py check bit equality. The rest of the verdicts need no kernel: they are order
 * statistics and element-wise NumPy (tui/judging/windows.py). */

#include <math.h>

/* ema(values: float64[], out: float64[], weight, last, count) -> (last, count) */
static PyObject *kernel_ema(PyObject *self, PyObject *args) {
    Py_buffer in, out;
    double w, last;
    long long count;
    if (!PyArg_ParseTuple(args, "y*w*ddL", &in, &out, &w, &last, &count)) return NULL;
    Py_ssize_t n = in.len / 8;
    if (out.len / 8 < n) {
        PyBuffer_Release(&in);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "out is shorter than values");
        return NULL;
    }
    const double *v = in.buf;
    double *o = out.buf;
    double one_minus_w = 1.0 - w;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            o[i] = v[i];
            continue;
        }
        last = last * w + one_minus_w * v[i];
        count++;
        o[i] = w != 1.0 ? last / (1.0 - pow(w, (double)count)) : last;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    return Py_BuildValue("dL", last, count);
}

/* Python's max(a, b) and min(a, b) on floats: the first argument unless the second compares larger
 * (smaller), so a NaN behaves as in the reference. */
static double py_max(double a, double b) { return b > a ? b : a; }
static double py_min(double a, double b) { return b < a ? b : a; }

#define LEVEL_POINTS 5
#define REFERENCE_POINTS 80

static double cusum_bias(double points) {
    return sqrt(2.0 * log(py_max(points / LEVEL_POINTS, 1.0)) / LEVEL_POINTS);
}

/* How much more a five-point mean strays under lag-1 autocorrelation rho than under white noise. */
static double cusum_mean_spread(double rho) {
    return sqrt((5.0 + 2.0 * (4.0 * rho + 3.0 * rho * rho + 2.0 * rho * rho * rho + rho * rho * rho * rho)) / 5.0);
}

/* The median of five values (sorted copy; the values are finite). */
static double median5(const double *values) {
    double s[LEVEL_POINTS];
    for (int i = 0; i < LEVEL_POINTS; i++) {
        double x = values[i];
        int j = i;
        while (j > 0 && s[j - 1] > x) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = x;
    }
    return s[LEVEL_POINTS / 2];
}

/* cusum(values, sigmas, rhos, sums_out, bests_out, indices_out, recent[5], kappa, clip,
 *       count, best, best_index, sum, recent_len, median_low)
 *       -> (count, best, best_index, sum, recent_len, median_low)
 * One-sided CUSUM of validation above its best five-point level (the higher of the lowest five-point mean
 * and the lowest five-point median), continued from the given state. */
static PyObject *kernel_cusum(PyObject *self, PyObject *args) {
    Py_buffer vb, sb, pb, so, bo, io, rb;
    double kappa, clip, best, sum, median_low;
    long long count, best_index;
    int recent_len;
    if (!PyArg_ParseTuple(args, "y*y*y*w*w*w*w*ddLdLdid", &vb, &sb, &pb, &so, &bo, &io, &rb, &kappa, &clip, &count,
                          &best, &best_index, &sum, &recent_len, &median_low))
        return NULL;
    Py_ssize_t n = vb.len / 8;
    int ok = sb.len / 8 >= n && pb.len / 8 >= n && so.len / 8 >= n && bo.len / 8 >= n && io.len / 8 >= n &&
             rb.len / 8 >= LEVEL_POINTS && recent_len >= 0 && recent_len <= LEVEL_POINTS;
    if (ok) {
        const double *v = vb.buf, *sg = sb.buf, *rh = pb.buf;
        double *sums = so.buf, *bests = bo.buf, *recent = rb.buf;
        long long *indices = io.buf;
        double reference_bias = cusum_bias((double)REFERENCE_POINTS);
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t k = 0; k < n; k++) {
            double value = v[k], sigma = sg[k];
            long long index = count;
            count++;
            if (recent_len == LEVEL_POINTS) {
                for (int j = 1; j < LEVEL_POINTS; j++) recent[j - 1] = recent[j];
                recent[LEVEL_POINTS - 1] = value;
            } else {
                recent[recent_len++] = value;
            }
            if (recent_len == LEVEL_POINTS && isfinite(recent[0]) && isfinite(recent[1]) && isfinite(recent[2]) &&
                isfinite(recent[3]) && isfinite(recent[4])) {
                double level = (recent[0] + recent[1] + recent[2] + recent[3] + recent[4]) / LEVEL_POINTS;
                if (level < best) {
                    best = level;
                    best_index = index;
                    sum = 0.0;
                }
                median_low = py_min(median_low, median5(recent));
            }
            if (index != best_index && isfinite(value) && sigma > 0 && isfinite(best)) {
                double allowance =
                    kappa + py_max(0.0, cusum_mean_spread(rh[k]) * cusum_bias((double)count) - reference_bias);
                double floor = isfinite(median_low) ? py_max(best, median_low) : best;
                double step = py_min(py_max((value - floor) / sigma, -clip), clip) - allowance;
                sum = py_max(0.0, sum + step);
            }
            sums[k] = sum;
            bests[k] = best;
            indices[k] = best_index;
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&vb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&pb);
    PyBuffer_Release(&so);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&io);
    PyBuffer_Release(&rb);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "cusum: buffers too short or bad recent_len");
        return NULL;
    }
    return Py_BuildValue("LdLdid", count, best, best_index, sum, recent_len, median_low);
}

static PyMethodDef methods[] = {
    {"ema", kernel_ema, METH_VARARGS, "TensorBoard's debiased exponential moving average, continued."},
    {"cusum", kernel_cusum, METH_VARARGS, "One-sided CUSUM above the best five-point mean, continued."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "Compiled inner loops of the verdict engine.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *made = PyModule_Create(&module);
    /* The calling conventions' version (tui/compiled.py): a module built from an older source is not used. */
    if (made != NULL && PyModule_AddIntConstant(made, "KERNEL_VERSION", 2) < 0) {
        Py_DECREF(made);
        return NULL;
    }
    return made;
}
