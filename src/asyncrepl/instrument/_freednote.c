/* The note an asyncrepl task gives its recorder's book as it is freed, in C for the usual
 * case: a task no one asked about (unseen) that returned a plain number or None. It is noted
 * as UnseenTasks.freed notes it (see unseen.py); every other case goes to the book's own
 * Python note, which handles them all. A burst of 100,000 tasks is freed at once: in Python
 * the note took 1.3 us a task. The tests run the book with and without this note. */

#include "../cparts.h"
#include <stddef.h>

typedef struct {
    PyObject_HEAD
    PyObject *unseen;  /* the book's UnseenTasks */
    PyObject *clock;   /* the recorder's clock */
    PyObject *kept;    /* the result types kept as they are (a frozenset) */
    PyObject *done;    /* TaskState.DONE */
    PyObject *nothing; /* what was counted for a task with no counted steps */
    PyObject *slow;    /* the book's Python note: every other case */
    PyObject *settle;  /* called when more than ``batch`` freed tasks wait */
    Py_ssize_t batch;
    vectorcallfunc vectorcall;
} FreedNote;

static PyObject *s_id, *s_created, *s_births, *s_counted, *s_gone, *s_done, *s_cancelled,
    *s_result, *s_exception, *s_get_name, *s_empty;

/* Whether ``task`` ended in a way this note handles: done, not cancelled, no exception, and
 * a result of a kept type. 1 (and *result set, a new reference), 0, or -1. */
static int
plain_end(FreedNote *self, PyObject *task, PyObject **result)
{
    PyObject *flag = PyObject_CallMethodNoArgs(task, s_done);
    int yes = flag == NULL ? -1 : PyObject_IsTrue(flag);
    Py_XDECREF(flag);
    if (yes <= 0) {
        return yes;
    }
    flag = PyObject_CallMethodNoArgs(task, s_cancelled);
    yes = flag == NULL ? -1 : PyObject_IsTrue(flag);
    Py_XDECREF(flag);
    if (yes != 0) {
        return yes < 0 ? -1 : 0;
    }
    PyObject *exception = PyObject_GetAttr(task, s_exception);
    if (exception == NULL) {
        return -1;
    }
    int failed = exception != Py_None;
    Py_DECREF(exception);
    if (failed) {
        return 0;
    }
    PyObject *value = PyObject_GetAttr(task, s_result);
    if (value == NULL) {
        return -1;
    }
    int kept = PySet_Contains(self->kept, (PyObject *)Py_TYPE(value));
    if (kept <= 0) {
        Py_DECREF(value);
        return kept;
    }
    *result = value;
    return 1;
}

/* Pop ``key`` from the dict that ``owner.name`` is; a new reference, NULL if missing (with no
 * error) or on an error. */
static PyObject *
pop_from(PyObject *owner, PyObject *name, PyObject *key)
{
    PyObject *table = PyObject_GetAttr(owner, name);
    if (table == NULL) {
        return NULL;
    }
    PyObject *value = NULL;
    if (PyDict_Check(table)) {
        value = PyDict_GetItemWithError(table, key);
        if (value != NULL) {
            Py_INCREF(value);
            if (PyDict_DelItem(table, key) < 0) {
                Py_CLEAR(value);
            }
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "%U is not a dict", name);
    }
    Py_DECREF(table);
    return value;
}

/* Note the unseen ``task`` (id ``key``) as gone. 1 if noted, 0 if it is not for this note
 * (nothing changed), -1 on an error. */
static int
note(FreedNote *self, PyObject *task, PyObject *key)
{
    PyObject *created_at = PyObject_GetAttr(self->unseen, s_created);
    if (created_at == NULL) {
        return -1;
    }
    int unseen = PyDict_Check(created_at) ? PyDict_Contains(created_at, key) : 0;
    Py_DECREF(created_at);
    if (unseen <= 0) {
        return unseen;
    }
    PyObject *result = NULL;
    int plain = plain_end(self, task, &result);
    if (plain <= 0) {
        return plain;
    }
    PyObject *name = PyObject_CallMethodNoArgs(task, s_get_name);
    if (name == NULL) {
        Py_DECREF(result);
        return -1;
    }
    PyObject *created = pop_from(self->unseen, s_created, key);
    if (created == NULL) { /* gone meanwhile (another thread), or an error */
        Py_DECREF(name);
        Py_DECREF(result);
        return PyErr_Occurred() ? -1 : 0;
    }
    int failed = 0;
    PyObject *birth = pop_from(self->unseen, s_births, key);
    PyObject *counted = NULL, *ended = NULL, *entry = NULL;
    if (birth == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_KeyError, "an unseen task with no birth");
        }
        failed = 1;
    }
    if (!failed) {
        counted = pop_from(self->unseen, s_counted, key);
        if (counted == NULL && !PyErr_Occurred()) {
            counted = Py_NewRef(self->nothing);
        }
        ended = counted == NULL ? NULL : PyObject_CallNoArgs(self->clock);
        entry = ended == NULL ? NULL
                              : PyTuple_Pack(9, key, created, birth, counted, ended, name,
                                             self->done, result, s_empty);
        failed = entry == NULL;
    }
    if (!failed) {
        PyObject *gone = PyObject_GetAttr(self->unseen, s_gone);
        failed = gone == NULL || !PyList_Check(gone) || PyList_Append(gone, entry) < 0;
        if (!failed && PyList_GET_SIZE(gone) > self->batch) {
            PyObject *done = PyObject_CallNoArgs(self->settle);
            failed = done == NULL;
            Py_XDECREF(done);
        }
        if (gone != NULL && !PyList_Check(gone) && !PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "UnseenTasks.gone is not a list");
        }
        Py_XDECREF(gone);
    }
    Py_XDECREF(entry);
    Py_XDECREF(ended);
    Py_XDECREF(counted);
    Py_XDECREF(birth);
    Py_DECREF(created);
    Py_DECREF(name);
    Py_DECREF(result);
    return failed ? -1 : 1;
}

static PyObject *
FreedNote_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    FreedNote *self = (FreedNote *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "FreedNote(task) takes one argument");
        return NULL;
    }
    PyObject *task = args[0];
    PyObject *key = PyObject_GetAttr(task, s_id);
    int noted = key == NULL ? -1 : note(self, task, key);
    Py_XDECREF(key);
    if (noted < 0) {
        return NULL;
    }
    if (noted == 0) {
        return PyObject_CallOneArg(self->slow, task);
    }
    Py_RETURN_NONE;
}

static int
FreedNote_init(FreedNote *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"unseen", "clock", "kept", "done", "nothing", "slow", "settle",
                            "batch", NULL};
    PyObject *unseen, *clock, *kept, *done, *nothing, *slow, *settle;
    Py_ssize_t batch;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!OOOOn:FreedNote", names, &unseen, &clock,
                                     &PyFrozenSet_Type, &kept, &done, &nothing, &slow, &settle,
                                     &batch)) {
        return -1;
    }
    Py_XSETREF(self->unseen, Py_NewRef(unseen));
    Py_XSETREF(self->clock, Py_NewRef(clock));
    Py_XSETREF(self->kept, Py_NewRef(kept));
    Py_XSETREF(self->done, Py_NewRef(done));
    Py_XSETREF(self->nothing, Py_NewRef(nothing));
    Py_XSETREF(self->slow, Py_NewRef(slow));
    Py_XSETREF(self->settle, Py_NewRef(settle));
    self->batch = batch;
    self->vectorcall = FreedNote_vectorcall;
    return 0;
}

#define FIELDS(X) X(unseen) X(clock) X(kept) X(done) X(nothing) X(slow) X(settle)

static int
FreedNote_traverse(FreedNote *self, visitproc visit, void *arg)
{
#define VISIT(field) Py_VISIT(self->field);
    FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int
FreedNote_clear(FreedNote *self)
{
#define CLEAR(field) Py_CLEAR(self->field);
    FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void
FreedNote_dealloc(FreedNote *self)
{
    PyObject_GC_UnTrack(self);
    FreedNote_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
FreedNote_get_batch(FreedNote *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->batch);
}

static int
FreedNote_set_batch(FreedNote *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "batch cannot be deleted");
        return -1;
    }
    Py_ssize_t batch = PyLong_AsSsize_t(value);
    if (batch == -1 && PyErr_Occurred()) {
        return -1;
    }
    self->batch = batch;
    return 0;
}

static PyGetSetDef FreedNote_getset[] = {
    {"batch", (getter)FreedNote_get_batch, (setter)FreedNote_set_batch,
     "freed tasks noted beyond which ``settle`` is called", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(FreedNote_doc,
"FreedNote(unseen, clock, kept, done, nothing, slow, settle, batch)\n\n"
"Called with a task being freed: notes an unseen task that returned a plain value as\n"
"UnseenTasks.freed does, and hands every other task to ``slow``.");

static PyTypeObject FreedNote_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asyncrepl.instrument._freednote.FreedNote",
    .tp_basicsize = sizeof(FreedNote),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(FreedNote, vectorcall),
    .tp_doc = FreedNote_doc,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FreedNote_init,
    .tp_call = PyVectorcall_Call,
    .tp_traverse = (traverseproc)FreedNote_traverse,
    .tp_clear = (inquiry)FreedNote_clear,
    .tp_dealloc = (destructor)FreedNote_dealloc,
    .tp_getset = FreedNote_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asyncrepl.instrument._freednote",
    .m_doc = "The note of a task freed unseen, in C (see unseen.py).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__freednote(void)
{
    CpartsName names[] = {
        {&s_id, "_asyncrepl_id"},   {&s_created, "created"}, {&s_births, "births"},
        {&s_counted, "_counted"},   {&s_gone, "gone"},       {&s_done, "done"},
        {&s_cancelled, "cancelled"}, {&s_result, "_result"}, {&s_exception, "_exception"},
        {&s_get_name, "get_name"},  {&s_empty, ""},
    };
    if (CPARTS_INTERN(names) < 0) {
        return NULL;
    }
    return cparts_module_with_type(&module, &FreedNote_Type, "FreedNote");
}
