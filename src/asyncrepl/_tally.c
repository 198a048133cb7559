/* Each task's steps added up, in one pass in C: for a window's columns of steps (task ids,
 * starts, ends: arrays of C ints and doubles), each task's first start, last end, run time
 * and step count. The end of a run of 100,000 tasks reads 300,000 steps several times over
 * for this; windows.tally is the same in Python, where this module could not be built. */

#include "cparts.h"

typedef struct {
    int key;
    int used;
    double first, last, total;
    long long count;
} Slot;

typedef struct {
    Slot *slots;
    Py_ssize_t size; /* a power of two */
    Py_ssize_t filled;
    Py_ssize_t *order; /* the slots, in the order their keys first appeared */
} Table;

static Slot *
find(Table *table, int key)
{
    size_t mask = (size_t)table->size - 1;
    size_t at = ((size_t)(unsigned int)key * 2654435761u) & mask;
    while (table->slots[at].used && table->slots[at].key != key) {
        at = (at + 1) & mask;
    }
    return &table->slots[at];
}

static int
grow(Table *table)
{
    Table bigger = {NULL, table->size * 2, table->filled, table->order};
    bigger.slots = PyMem_Calloc((size_t)bigger.size, sizeof(Slot));
    Py_ssize_t *order = PyMem_Realloc(table->order, (size_t)bigger.size / 2 * sizeof(Py_ssize_t));
    if (bigger.slots == NULL || order == NULL) {
        PyMem_Free(bigger.slots);
        if (order != NULL) {
            table->order = order;
        }
        PyErr_NoMemory();
        return -1;
    }
    bigger.order = order;
    for (Py_ssize_t i = 0; i < table->filled; i++) {
        Slot *old = &table->slots[order[i]];
        Slot *slot = find(&bigger, old->key);
        *slot = *old;
        order[i] = slot - bigger.slots;
    }
    PyMem_Free(table->slots);
    *table = bigger;
    return 0;
}

static int
is_column(Py_buffer *view, const char *format, Py_ssize_t itemsize)
{
    return view->ndim == 1 && view->itemsize == itemsize && view->format != NULL &&
           strcmp(view->format, format) == 0;
}

PyDoc_STRVAR(tally_doc,
"tally(task_ids, starts, ends) -> (ids, first, last, total, count)\n\n"
"task_ids an array('i'), starts and ends arrays('d') of one length. For each task id, in\n"
"the order the ids first appear: the first start, the last end, the sum of end - start,\n"
"and how many steps (arrays 'i', 'd', 'd', 'd', 'q'). TypeError for other columns.");

static PyObject *
tally(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "tally(task_ids, starts, ends)");
        return NULL;
    }
    Py_buffer views[3];
    int got = 0;
    PyObject *result = NULL;
    Table table = {NULL, 1024, 0, NULL};
    for (; got < 3; got++) {
        if (PyObject_GetBuffer(args[got], &views[got], PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
            goto done;
        }
    }
    Py_ssize_t n = views[0].len / (Py_ssize_t)sizeof(int);
    if (!is_column(&views[0], "i", sizeof(int)) || !is_column(&views[1], "d", sizeof(double)) ||
        !is_column(&views[2], "d", sizeof(double)) ||
        views[1].len != n * (Py_ssize_t)sizeof(double) || views[2].len != views[1].len) {
        PyErr_SetString(PyExc_TypeError,
                        "tally needs an array('i') and two arrays('d') of one length");
        goto done;
    }
    const int *ids = views[0].buf;
    const double *starts = views[1].buf, *ends = views[2].buf;
    table.slots = PyMem_Calloc((size_t)table.size, sizeof(Slot));
    table.order = PyMem_Malloc((size_t)table.size / 2 * sizeof(Py_ssize_t));
    if (table.slots == NULL || table.order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Slot *slot = find(&table, ids[i]);
        if (!slot->used) {
            if (2 * (table.filled + 1) > table.size) {
                if (grow(&table) < 0) {
                    goto done;
                }
                slot = find(&table, ids[i]);
            }
            slot->used = 1;
            slot->key = ids[i];
            slot->first = starts[i];
            table.order[table.filled++] = slot - table.slots;
        }
        slot->last = ends[i];
        slot->total += ends[i] - starts[i];
        slot->count += 1;
    }
    {
        /* Five columns, each written into a bytes object and made an array from it (the
         * array module has no C API). */
        const char *codes[5] = {"i", "d", "d", "d", "q"};
        const size_t sizes[5] = {sizeof(int), sizeof(double), sizeof(double), sizeof(double),
                                 sizeof(long long)};
        PyObject *raw[5] = {NULL, NULL, NULL, NULL, NULL};
        PyObject *arrays[5] = {NULL, NULL, NULL, NULL, NULL};
        int ok = 1;
        for (int c = 0; ok && c < 5; c++) {
            raw[c] = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizes[c] * table.filled);
            ok = raw[c] != NULL;
        }
        if (ok) {
            int *out_ids = (int *)PyBytes_AS_STRING(raw[0]);
            double *first = (double *)PyBytes_AS_STRING(raw[1]);
            double *last = (double *)PyBytes_AS_STRING(raw[2]);
            double *total = (double *)PyBytes_AS_STRING(raw[3]);
            long long *count = (long long *)PyBytes_AS_STRING(raw[4]);
            for (Py_ssize_t i = 0; i < table.filled; i++) {
                Slot *slot = &table.slots[table.order[i]];
                out_ids[i] = slot->key;
                first[i] = slot->first;
                last[i] = slot->last;
                total[i] = slot->total;
                count[i] = slot->count;
            }
            PyObject *array_module = PyImport_ImportModule("array");
            ok = array_module != NULL;
            for (int c = 0; ok && c < 5; c++) {
                arrays[c] = PyObject_CallMethod(array_module, "array", "sO", codes[c], raw[c]);
                ok = arrays[c] != NULL;
            }
            Py_XDECREF(array_module);
        }
        if (ok) {
            result = PyTuple_Pack(5, arrays[0], arrays[1], arrays[2], arrays[3], arrays[4]);
        }
        for (int c = 0; c < 5; c++) {
            Py_XDECREF(raw[c]);
            Py_XDECREF(arrays[c]);
        }
    }
done:
    for (int v = 0; v < got; v++) {
        PyBuffer_Release(&views[v]);
    }
    PyMem_Free(table.slots);
    PyMem_Free(table.order);
    return result;
}

static PyMethodDef methods[] = {
    {"tally", (PyCFunction)(void (*)(void))tally, METH_FASTCALL, tally_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asyncrepl._tally",
    .m_doc = "Each task's steps added up in one pass, in C (see windows.tally).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__tally(void)
{
    return PyModule_Create(&module);
}
