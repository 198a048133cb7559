/* The note of a new task, in C for the usual case: an asyncrepl task made by asyncio's own
 * create_task on a loop one recorder watches, whose parent already has its record, in a
 * file whose kind (the user's, a library's) is known. It notes the task as
 * LoopLog.task_made does in Python (watcher.py: where the user's code made it, its parent,
 * its id, its coroutine's name and code, kept unseen; the time this took, counted to the
 * step that holds the loop); every other case goes to LoopLog.task_made itself. A step that
 * starts 100,000 tasks spent 1.8 us a task on this in Python. The tests run the recorder
 * with and without this note. */

#include "../cparts.h"
#include <stddef.h>

#define DEPTH 64 /* frames looked at for the user's code, as sites.user_site */

typedef struct {
    PyObject_HEAD
    PyObject *log;       /* the LoopLog */
    PyObject *slow;      /* LoopLog.task_made: every other case */
    PyObject *count_own; /* LoopLog._count_own(began, took): a step's first task */
    PyObject *holding;   /* LoopLog._holding_start(): when its cache is stale */
    PyObject *clock;     /* the recorder's clock */
    PyObject *own;       /* LoopLog.own (never replaced) */
    PyObject *live;      /* TaskBook._live: id(task) -> record (never replaced) */
    PyObject *unseen;    /* the book's UnseenTasks */
    PyObject *created;   /* UnseenTasks.created (never replaced) */
    PyObject *births;    /* UnseenTasks.births (never replaced) */
    PyObject *freed;     /* the book's note for a freed task */
    PyObject *next_id;   /* tasks.next_task_id */
    PyObject *kinds;     /* sites._kinds: filename -> kind */
    PyObject *boundaries; /* sites._boundaries: id(code) of functions that run loop steps */
    PyObject *last_site; /* sites._last_site: a list of one */
    vectorcallfunc vectorcall;
} TaskNote;

enum { LIBRARY_CODE = 0, USER = 1, BORDER = 2 }; /* sites.py's kinds */

static PyObject *s_id, *s_freed, *s_qualname, *s_cr_code, *s_filename, *s_co_qualname,
    *s_firstlineno, *s_registry_works, *s_last_birth, *s_held, *s_stage, *s_whos, *s_ring,
    *s_written, *s_cut, *s_record_id;

/* The Site of a user's frame: (filename, line, qualname), the last one found when equal. */
static PyObject *
site_of(TaskNote *self, PyObject *frame, PyObject *code, PyObject *filename)
{
    int line = PyFrame_GetLineNumber((PyFrameObject *)frame);
    PyObject *lineno = NULL;
    if (line > 0) {
        lineno = PyLong_FromLong(line);
    }
    else {
        lineno = PyObject_GetAttr(code, s_firstlineno);
    }
    PyObject *qualname = lineno == NULL ? NULL : PyObject_GetAttr(code, s_co_qualname);
    if (qualname == NULL) {
        Py_XDECREF(lineno);
        return NULL;
    }
    /* held: another thread's loop may put its own Site there meanwhile */
    PyObject *last = Py_NewRef(PyList_GET_ITEM(self->last_site, 0));
    if (PyTuple_CheckExact(last) && PyTuple_GET_SIZE(last) == 3) {
        int same = 1;
        PyObject *mine[3] = {filename, lineno, qualname};
        for (int i = 0; same == 1 && i < 3; i++) {
            same = PyObject_RichCompareBool(PyTuple_GET_ITEM(last, i), mine[i], Py_EQ);
        }
        if (same != 0) {
            Py_DECREF(lineno);
            Py_DECREF(qualname);
            if (same < 0) {
                Py_CLEAR(last);
            }
            return last;
        }
    }
    Py_DECREF(last);
    PyObject *site = PyTuple_Pack(3, filename, lineno, qualname);
    Py_DECREF(lineno);
    Py_DECREF(qualname);
    if (site != NULL) {
        PyList_SetItem(self->last_site, 0, Py_NewRef(site));
    }
    return site;
}

/* sites.user_site(caller), or NULL with no error set when a file's kind is not known yet
 * (Python finds it out), or NULL with an error. */
static PyObject *
user_site(TaskNote *self, PyObject *caller)
{
    PyObject *frame = Py_NewRef(caller);
    for (int depth = 0; depth < DEPTH && frame != Py_None; depth++) {
        if (!PyFrame_Check(frame)) {
            Py_DECREF(frame);
            return NULL; /* Python's way */
        }
        PyObject *code = (PyObject *)PyFrame_GetCode((PyFrameObject *)frame);
        PyObject *filename = PyObject_GetAttr(code, s_filename);
        PyObject *kind = filename == NULL ? NULL : PyDict_GetItemWithError(self->kinds, filename);
        if (kind == NULL) { /* not known yet, or an error */
            Py_XDECREF(filename);
            Py_DECREF(code);
            Py_DECREF(frame);
            return NULL;
        }
        long which = PyLong_AsLong(kind);
        PyObject *found = NULL;
        int done = 0;
        if (which == -1 && PyErr_Occurred()) {
            done = -1;
        }
        else if (which == USER) {
            found = site_of(self, frame, code, filename);
            done = found == NULL ? -1 : 1;
        }
        else if (which == BORDER) {
            PyObject *key = PyLong_FromVoidPtr(code);
            int border = key == NULL ? -1 : PySet_Contains(self->boundaries, key);
            Py_XDECREF(key);
            if (border != 0) {
                found = border < 0 ? NULL : Py_NewRef(Py_None);
                done = border < 0 ? -1 : 1;
            }
        }
        else if (which != LIBRARY_CODE) { /* _UNKNOWN: Python finds it out */
            Py_DECREF(filename);
            Py_DECREF(code);
            Py_DECREF(frame);
            return NULL;
        }
        Py_DECREF(filename);
        Py_DECREF(code);
        if (done) {
            Py_DECREF(frame);
            return found;
        }
        PyObject *back = (PyObject *)PyFrame_GetBack((PyFrameObject *)frame);
        Py_DECREF(frame);
        frame = back == NULL ? Py_NewRef(Py_None) : back;
    }
    Py_DECREF(frame);
    return Py_NewRef(Py_None);
}

/* The id of ``parent``'s record, a new reference; NULL with no error when it has none yet. */
static PyObject *
parent_id(TaskNote *self, PyObject *parent)
{
    if (parent == Py_None) {
        return Py_NewRef(Py_None);
    }
    PyObject *key = PyLong_FromVoidPtr(parent);
    if (key == NULL) {
        return NULL;
    }
    PyObject *record = PyDict_GetItemWithError(self->live, key);
    Py_DECREF(key);
    return record == NULL ? NULL : PyObject_GetAttr(record, s_record_id);
}

/* UnseenTasks.add's birth: the last one when it is the same. */
static PyObject *
birth_of(TaskNote *self, PyObject *site, PyObject *parent, PyObject *code, PyObject *name)
{
    PyObject *last = PyObject_GetAttr(self->unseen, s_last_birth);
    if (last == NULL) {
        return NULL;
    }
    if (PyTuple_CheckExact(last) && PyTuple_GET_SIZE(last) == 4 &&
        PyTuple_GET_ITEM(last, 0) == site && PyTuple_GET_ITEM(last, 2) == code) {
        int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(last, 1), parent, Py_EQ);
        if (same == 1) {
            same = PyObject_RichCompareBool(PyTuple_GET_ITEM(last, 3), name, Py_EQ);
        }
        if (same != 0) {
            if (same < 0) {
                Py_CLEAR(last);
            }
            return last;
        }
    }
    Py_DECREF(last);
    PyObject *birth = PyTuple_Pack(4, site, parent, code, name);
    if (birth != NULL && PyObject_SetAttr(self->unseen, s_last_birth, birth) < 0) {
        Py_CLEAR(birth);
    }
    return birth;
}

/* The start of the step that holds the loop, as LoopLog._holding_start gives it. */
static PyObject *
holding_start(TaskNote *self)
{
    PyObject *held = PyObject_GetAttr(self->log, s_held);
    PyObject *stage = held == NULL ? NULL : PyObject_GetAttr(self->log, s_stage);
    PyObject *ring = stage == NULL ? NULL : PyObject_GetAttr(self->log, s_ring);
    PyObject *cut = ring == NULL ? NULL : PyObject_GetAttr(self->log, s_cut);
    PyObject *result = NULL;
    if (cut != NULL) {
        Py_ssize_t staged = -1;
        int fresh = cut == Py_None && PyTuple_CheckExact(held) && PyTuple_GET_SIZE(held) == 3;
        if (fresh && stage != Py_None) {
            PyObject *whos = PyObject_GetAttr(stage, s_whos);
            staged = whos == NULL ? -2 : PyObject_Length(whos);
            Py_XDECREF(whos);
            fresh = staged >= 0;
        }
        PyObject *written = fresh ? PyObject_GetAttr(ring, s_written) : NULL;
        if (fresh && written != NULL) {
            fresh = PyLong_AsSsize_t(PyTuple_GET_ITEM(held, 0)) == staged &&
                    PyObject_RichCompareBool(PyTuple_GET_ITEM(held, 1), written, Py_EQ) == 1;
        }
        Py_XDECREF(written);
        if (PyErr_Occurred()) {
            fresh = 0;
        }
        else if (fresh) {
            result = Py_NewRef(PyTuple_GET_ITEM(held, 2));
        }
        if (!fresh && !PyErr_Occurred()) {
            result = PyObject_CallNoArgs(self->holding);
        }
    }
    Py_XDECREF(cut);
    Py_XDECREF(ring);
    Py_XDECREF(stage);
    Py_XDECREF(held);
    return result;
}

/* LoopLog._count_own(began, took) for a step that made tasks already. */
static int
count_own(TaskNote *self, PyObject *began, double took)
{
    PyObject *step = holding_start(self);
    if (step == NULL) {
        return -1;
    }
    PyObject *so_far = PyDict_GetItemWithError(self->own, step); /* borrowed: held below */
    Py_XINCREF(so_far);
    int failed = 0;
    if (so_far != NULL && PyTuple_CheckExact(so_far) && PyTuple_GET_SIZE(so_far) == 2) {
        double seconds = PyFloat_AsDouble(PyTuple_GET_ITEM(so_far, 0));
        Py_ssize_t tasks = PyLong_AsSsize_t(PyTuple_GET_ITEM(so_far, 1));
        PyObject *entry = PyErr_Occurred() ? NULL : Py_BuildValue("(dn)", seconds + took, tasks + 1);
        failed = entry == NULL || PyDict_SetItem(self->own, step, entry) < 0;
        Py_XDECREF(entry);
    }
    else if (!PyErr_Occurred()) { /* the step's first task: Python forgets the oldest */
        PyObject *seconds = PyFloat_FromDouble(took);
        PyObject *args[2] = {began, seconds};
        PyObject *done = seconds == NULL ? NULL : PyObject_Vectorcall(self->count_own, args, 2, NULL);
        failed = done == NULL;
        Py_XDECREF(done);
        Py_XDECREF(seconds);
    }
    else {
        failed = 1;
    }
    Py_XDECREF(so_far);
    Py_DECREF(step);
    return failed ? -1 : 0;
}

/* Note the task. 1 if noted, 0 if it is not for this note (nothing changed), -1 on error. */
static int
note(TaskNote *self, PyObject *task, PyObject *coro, PyObject *parent, PyObject *caller)
{
    PyObject *works = PyObject_GetAttr(self->unseen, s_registry_works);
    if (works == NULL) {
        return -1;
    }
    Py_DECREF(works);
    if (works != Py_True) {
        return 0;
    }
    PyObject *began = PyObject_CallNoArgs(self->clock);
    if (began == NULL) {
        return -1;
    }
    PyObject *site = NULL, *parent_key = NULL, *name = NULL, *code = NULL, *task_id = NULL;
    PyObject *birth = NULL, *ended = NULL;
    int result = -1;
    site = user_site(self, caller);
    if (site == NULL) {
        result = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    parent_key = parent_id(self, parent);
    if (parent_key == NULL) {
        result = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    name = PyObject_GetAttr(coro, s_qualname);
    code = name == NULL ? NULL : PyObject_GetAttr(coro, s_cr_code);
    if (code == NULL) { /* not a coroutine of Python's: Python names it */
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            goto done;
        }
        PyErr_Clear();
        result = 0;
        goto done;
    }
    task_id = PyObject_CallNoArgs(self->next_id);
    if (task_id == NULL || PyObject_SetAttr(task, s_id, task_id) < 0 ||
        PyObject_SetAttr(task, s_freed, self->freed) < 0) {
        goto done;
    }
    birth = birth_of(self, site, parent_key, code, name);
    if (birth == NULL || PyDict_SetItem(self->created, task_id, began) < 0 ||
        PyDict_SetItem(self->births, task_id, birth) < 0) {
        goto done;
    }
    ended = PyObject_CallNoArgs(self->clock);
    if (ended == NULL) {
        goto done;
    }
    double took = PyFloat_AsDouble(ended) - PyFloat_AsDouble(began);
    if (PyErr_Occurred() || count_own(self, began, took) < 0) {
        goto done;
    }
    result = 1;
done:
    Py_XDECREF(ended);
    Py_XDECREF(birth);
    Py_XDECREF(task_id);
    Py_XDECREF(code);
    Py_XDECREF(name);
    Py_XDECREF(parent_key);
    Py_XDECREF(site);
    Py_DECREF(began);
    return result;
}

static PyObject *
TaskNote_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    TaskNote *self = (TaskNote *)callable;
    if (PyVectorcall_NARGS(nargsf) != 4 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "TaskNote(task, coro, parent, caller)");
        return NULL;
    }
    int noted = note(self, args[0], args[1], args[2], args[3]);
    if (noted < 0) {
        return NULL;
    }
    if (noted == 0) {
        return PyObject_Vectorcall(self->slow, args, 4, NULL);
    }
    Py_RETURN_NONE;
}

static int
TaskNote_init(TaskNote *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"log", "slow", "count_own", "holding", "clock", "own", "live",
                            "unseen", "created", "births", "freed", "next_id", "kinds",
                            "boundaries", "last_site", NULL};
    PyObject *v[15];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOO!O!OO!O!OOO!O!O!:TaskNote", names,
                                     &v[0], &v[1], &v[2], &v[3], &v[4], &PyDict_Type, &v[5],
                                     &PyDict_Type, &v[6], &v[7], &PyDict_Type, &v[8],
                                     &PyDict_Type, &v[9], &v[10], &v[11], &PyDict_Type, &v[12],
                                     &PySet_Type, &v[13], &PyList_Type, &v[14])) {
        return -1;
    }
    if (PyList_GET_SIZE(v[14]) != 1) {
        PyErr_SetString(PyExc_ValueError, "last_site is a list of one");
        return -1;
    }
    PyObject **fields[15] = {&self->log,   &self->slow,    &self->count_own, &self->holding,
                             &self->clock, &self->own,     &self->live,      &self->unseen,
                             &self->created, &self->births, &self->freed,    &self->next_id,
                             &self->kinds, &self->boundaries, &self->last_site};
    for (int i = 0; i < 15; i++) {
        Py_XSETREF(*fields[i], Py_NewRef(v[i]));
    }
    self->vectorcall = TaskNote_vectorcall;
    return 0;
}

#define FIELDS(X)                                                                         \
    X(log) X(slow) X(count_own) X(holding) X(clock) X(own) X(live) X(unseen) X(created)  \
        X(births) X(freed) X(next_id) X(kinds) X(boundaries) X(last_site)

static int
TaskNote_traverse(TaskNote *self, visitproc visit, void *arg)
{
#define VISIT(name) Py_VISIT(self->name);
    FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int
TaskNote_clear(TaskNote *self)
{
#define CLEAR(name) Py_CLEAR(self->name);
    FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void
TaskNote_dealloc(TaskNote *self)
{
    PyObject_GC_UnTrack(self);
    TaskNote_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(TaskNote_doc,
"TaskNote(log, slow, count_own, holding, clock, own, live, unseen, created, births, freed,\n"
"         next_id, kinds, boundaries, last_site)\n\n"
"Called as LoopLog.task_made(task, coro, parent, caller): notes the usual new task as it\n"
"does, and hands every other to ``slow``.");

static PyTypeObject TaskNote_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asyncrepl.instrument._tasknote.TaskNote",
    .tp_basicsize = sizeof(TaskNote),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(TaskNote, vectorcall),
    .tp_doc = TaskNote_doc,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)TaskNote_init,
    .tp_call = PyVectorcall_Call,
    .tp_traverse = (traverseproc)TaskNote_traverse,
    .tp_clear = (inquiry)TaskNote_clear,
    .tp_dealloc = (destructor)TaskNote_dealloc,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asyncrepl.instrument._tasknote",
    .m_doc = "The note of a new task, in C (see watcher.LoopLog.task_made).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__tasknote(void)
{
    CpartsName names[] = {
        {&s_id, "_asyncrepl_id"},
        {&s_freed, "_asyncrepl_freed"},
        {&s_qualname, "__qualname__"},
        {&s_cr_code, "cr_code"},
        {&s_filename, "co_filename"},
        {&s_co_qualname, "co_qualname"},
        {&s_firstlineno, "co_firstlineno"},
        {&s_registry_works, "_registry_works"},
        {&s_last_birth, "_last_birth"},
        {&s_held, "_held"},
        {&s_stage, "stage"},
        {&s_whos, "whos"},
        {&s_ring, "ring"},
        {&s_written, "written"},
        {&s_cut, "cut"},
        {&s_record_id, "id"},
    };
    if (CPARTS_INTERN(names) < 0) {
        return NULL;
    }
    return cparts_module_with_type(&module, &TaskNote_Type, "TaskNote");
}
