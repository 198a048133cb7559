/* The recording round's inner loop in C: run a round's ready handles as asyncio's own round
 * does, noting for each the moment it starts and who it runs, and for a task's wake-up where
 * the task waited and for what. It does exactly what the flat loop in rounds.py's make_round
 * does (which runs where this module could not be built); rounds.py says why each part is
 * there, and the tests run both and compare what they record. */

#include "../cparts.h"

/* What make_round hands over once, as one tuple (see rounds._ready_parts). */
enum {
    P_POPLEFT,        /* the ready deque's popleft */
    P_CLOCK,          /* the recorder's clock */
    P_TASK_ID,        /* the id of a task that has no _asyncrepl_id */
    P_STARTS,         /* list: when each entry started */
    P_WHOS,           /* list: who each entry runs */
    P_WAITS,          /* list: four items a wait */
    P_STEP_TYPE,      /* list of one: the C Task's step type, once learnt (else a stand-in) */
    P_PLAIN_KINDS,    /* set: callback types that never belong to a task */
    P_TASKS,          /* tuple: the task classes */
    P_FUTURE,         /* asyncio's C Future type */
    P_COROUTINE,      /* types.CoroutineType */
    P_CALL_WHATS,     /* dict: id(code) of an asyncio wait -> what */
    P_COROUTINE_WAIT, /* coroutine_wait(coro, awaited, future, task_id) */
    P_AWAITED_CODE,   /* awaited_code(future, task_id) */
    P_WAIT_FIELDS,    /* wait_fields(task) -> (f_lasti, cr_await) */
    P_OTHER,          /* other(handle, callback) -> who: any other callback, noted in Python */
    P_REPORT,         /* report(handle, exc): a callback raised */
    P_LOCKED,         /* a handle type whose own _run must run it, or None */
    P_CALLBACK,       /* the entry code of a plain callback */
    P_WHAT_FUTURE,    /* the wait code of a plain future */
    P_UNKNOWN_PLACE,  /* where, for a coroutine that is not Python's */
    P_COUNT
};

static PyObject *s_cancelled, *s_callback, *s_args, *s_context, *s_self, *s_id, *s_cr_code,
    *s_get_coro, *s_run;

/* Append to a list we made (a new reference is not taken over). */
static inline int
append(PyObject *list, PyObject *item)
{
    return PyList_Append(list, item);
}

/* The id of ``task``: its _asyncrepl_id, else task_id(task). New reference or NULL. */
static PyObject *
task_who(PyObject *task, PyObject *task_id)
{
    PyObject *who = PyObject_GetAttr(task, s_id);
    if (who != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return who;
    }
    PyErr_Clear();
    return PyObject_CallOneArg(task_id, task);
}

/* What a woken task waited for (see the Python loop). New reference or NULL. */
static PyObject *
wait_what(PyObject *const *parts, PyObject *task, PyObject *awaited, PyObject *future)
{
    PyObject *task_id = parts[P_TASK_ID];
    if (awaited != NULL && Py_TYPE(awaited) == (PyTypeObject *)parts[P_COROUTINE]) {
        PyObject *code = PyObject_GetAttr(awaited, s_cr_code);
        if (code == NULL) {
            return NULL;
        }
        PyObject *key = PyLong_FromVoidPtr(code);
        Py_DECREF(code);
        if (key == NULL) {
            return NULL;
        }
        PyObject *what = PyDict_GetItemWithError(parts[P_CALL_WHATS], key); /* borrowed */
        Py_DECREF(key);
        if (what != NULL) {
            int known = PyObject_IsTrue(what);
            if (known < 0) {
                return NULL;
            }
            if (known) {
                return Py_NewRef(what);
            }
        }
        else if (PyErr_Occurred()) {
            return NULL;
        }
        PyObject *coro = PyObject_CallMethodNoArgs(task, s_get_coro);
        if (coro == NULL) {
            return NULL;
        }
        PyObject *args[4] = {coro, awaited, future, task_id};
        what = PyObject_Vectorcall(parts[P_COROUTINE_WAIT], args, 4, NULL);
        Py_DECREF(coro);
        return what;
    }
    if (Py_TYPE(future) == (PyTypeObject *)parts[P_FUTURE]) {
        return Py_NewRef(parts[P_WHAT_FUTURE]);
    }
    PyObject *args[2] = {future, task_id};
    return PyObject_Vectorcall(parts[P_AWAITED_CODE], args, 2, NULL);
}

/* Note a C Task's wake-up: its entry, then where its coroutine waited and for what. */
static int
note_wake(PyObject *const *parts, PyObject *task, PyObject *future, PyObject **who_out)
{
    PyObject *who = task_who(task, parts[P_TASK_ID]);
    if (who == NULL) {
        return -1;
    }
    *who_out = who;
    PyObject *start = PyObject_CallNoArgs(parts[P_CLOCK]);
    if (start == NULL) {
        return -1;
    }
    if (append(parts[P_STARTS], start) < 0) {
        Py_DECREF(start);
        return -1;
    }
    PyObject *where, *awaited = NULL;
    PyObject *fields = PyObject_CallOneArg(parts[P_WAIT_FIELDS], task);
    if (fields != NULL && PyTuple_Check(fields) && PyTuple_GET_SIZE(fields) == 2) {
        where = Py_NewRef(PyTuple_GET_ITEM(fields, 0));
        awaited = Py_NewRef(PyTuple_GET_ITEM(fields, 1));
        Py_DECREF(fields);
    }
    else {
        Py_XDECREF(fields);
        if (fields == NULL && !PyErr_ExceptionMatches(PyExc_Exception)) {
            Py_DECREF(start);
            return -1;
        }
        PyErr_Clear(); /* not a Python coroutine */
        where = Py_NewRef(parts[P_UNKNOWN_PLACE]);
    }
    PyObject *what = wait_what(parts, task, awaited, future);
    int failed = what == NULL;
    PyObject *waits = parts[P_WAITS];
    failed = failed || append(waits, start) < 0 || append(waits, who) < 0 ||
             append(waits, where) < 0 || append(waits, what) < 0;
    Py_DECREF(start);
    Py_DECREF(where);
    Py_XDECREF(awaited);
    Py_XDECREF(what);
    return failed ? -1 : 0;
}

/* Note the entry of the handle about to run. 0, or -1 with an error set. */
static int
note_entry(PyObject *const *parts, PyObject *handle, PyObject *callback, PyObject *args)
{
    PyObject *who = NULL;
    PyTypeObject *kind = Py_TYPE(callback);
    PyObject *step_type = PyList_GET_ITEM(parts[P_STEP_TYPE], 0);
    if ((PyObject *)kind == step_type) {
        PyObject *task = PyObject_GetAttr(callback, s_self);
        if (task == NULL) {
            return -1;
        }
        who = task_who(task, parts[P_TASK_ID]);
        Py_DECREF(task);
        if (who == NULL) {
            return -1;
        }
    }
    else if (kind == &PyCFunction_Type) {
        PyObject *task = PyCFunction_GetSelf(callback); /* borrowed, may be NULL */
        if (task != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 1 &&
            Py_TYPE(task) != (PyTypeObject *)parts[P_FUTURE]) {
            int is_task = PyObject_IsInstance(task, parts[P_TASKS]);
            if (is_task < 0) {
                return -1;
            }
            if (is_task) {
                Py_INCREF(task);
                int failed = note_wake(parts, task, PyTuple_GET_ITEM(args, 0), &who);
                Py_DECREF(task);
                if (failed || append(parts[P_WHOS], who) < 0) {
                    Py_XDECREF(who);
                    return -1;
                }
                Py_DECREF(who);
                return 0;
            }
        }
        who = Py_NewRef(parts[P_CALLBACK]);
    }
    else {
        int plain = PySet_Contains(parts[P_PLAIN_KINDS], (PyObject *)kind);
        if (plain < 0) {
            return -1;
        }
        if (!plain) { /* a kind not seen before, or a pure-Python Task's: noted in Python */
            PyObject *call[2] = {handle, callback};
            who = PyObject_Vectorcall(parts[P_OTHER], call, 2, NULL);
            if (who == NULL) {
                return -1;
            }
            int failed = append(parts[P_WHOS], who);
            Py_DECREF(who);
            return failed;
        }
        who = Py_NewRef(parts[P_CALLBACK]);
    }
    PyObject *start = PyObject_CallNoArgs(parts[P_CLOCK]);
    int failed = start == NULL || append(parts[P_STARTS], start) < 0 ||
                 append(parts[P_WHOS], who) < 0;
    Py_XDECREF(start);
    Py_DECREF(who);
    return failed ? -1 : 0;
}

/* The exception being raised, with its traceback, taken off the error indicator. */
static PyObject *
take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

/* Run one handle as Handle._run does: its callback in its context; an exception other than
 * SystemExit and KeyboardInterrupt goes to report(handle, exc). 0, or -1 to propagate. */
static int
run_handle(PyObject *const *parts, PyObject *handle, PyObject *callback, PyObject *args)
{
    PyObject *locked = parts[P_LOCKED];
    if (locked != Py_None && (PyObject *)Py_TYPE(handle) == locked) {
        PyObject *done = PyObject_CallMethodNoArgs(handle, s_run);
        Py_XDECREF(done);
        return done == NULL ? -1 : 0;
    }
    PyObject *result = NULL;
    PyObject *context = PyObject_GetAttr(handle, s_context);
    if (context != NULL) {
        if (PyContext_Enter(context) == 0) {
            result = PyTuple_Check(args) ? PyObject_Call(callback, args, NULL)
                                         : PyObject_CallNoArgs(callback);
            if (PyContext_Exit(context) < 0) {
                Py_CLEAR(result);
            }
        }
        Py_DECREF(context);
    }
    if (result != NULL) {
        Py_DECREF(result);
        return 0;
    }
    if (PyErr_ExceptionMatches(PyExc_SystemExit) ||
        PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        return -1;
    }
    PyObject *exc = take_exception();
    PyObject *call[2] = {handle, exc};
    PyObject *done = PyObject_Vectorcall(parts[P_REPORT], call, 2, NULL);
    Py_XDECREF(exc);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

PyDoc_STRVAR(run_ready_doc,
"run_ready(count, parts) -> bool\n\n"
"Run ``count`` ready handles, noting each in the lists ``parts`` holds (see\n"
"rounds._ready_parts). True if noting one failed (our bug: the round goes on, and the\n"
"recorder stops); an exception of a callback's other than SystemExit and\n"
"KeyboardInterrupt goes to ``report``.");

static PyObject *
run_ready(PyObject *Py_UNUSED(module), PyObject *const *argv, Py_ssize_t argc)
{
    if (argc != 2 || !PyTuple_Check(argv[1]) || PyTuple_GET_SIZE(argv[1]) != P_COUNT) {
        PyErr_SetString(PyExc_TypeError, "run_ready(count, parts): parts is a tuple");
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(argv[0]);
    if (count == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *const *parts = &PyTuple_GET_ITEM(argv[1], 0);
    int broken = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *handle = PyObject_CallNoArgs(parts[P_POPLEFT]);
        if (handle == NULL) {
            return NULL;
        }
        PyObject *cancelled = PyObject_GetAttr(handle, s_cancelled);
        int skip = cancelled == NULL ? -1 : PyObject_IsTrue(cancelled);
        Py_XDECREF(cancelled);
        if (skip) {
            Py_DECREF(handle);
            if (skip < 0) {
                return NULL;
            }
            continue;
        }
        PyObject *callback = PyObject_GetAttr(handle, s_callback);
        PyObject *args = callback == NULL ? NULL : PyObject_GetAttr(handle, s_args);
        if (args == NULL) {
            Py_XDECREF(callback);
            Py_DECREF(handle);
            return NULL;
        }
        if (note_entry(parts, handle, callback, args) < 0) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) {
                Py_DECREF(args);
                Py_DECREF(callback);
                Py_DECREF(handle);
                return NULL;
            }
            PyErr_Clear();
            broken = 1;
        }
        int failed = run_handle(parts, handle, callback, args);
        Py_DECREF(args);
        Py_DECREF(callback);
        Py_DECREF(handle);
        if (failed) {
            return NULL;
        }
    }
    return PyBool_FromLong(broken);
}

static PyMethodDef methods[] = {
    {"run_ready", (PyCFunction)(void (*)(void))run_ready, METH_FASTCALL, run_ready_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asyncrepl.instrument._readyrun",
    .m_doc = "The recording round's inner loop in C (see rounds.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__readyrun(void)
{
    CpartsName names[] = {
        {&s_cancelled, "_cancelled"}, {&s_callback, "_callback"}, {&s_args, "_args"},
        {&s_context, "_context"},     {&s_self, "__self__"},      {&s_id, "_asyncrepl_id"},
        {&s_cr_code, "cr_code"},      {&s_get_coro, "get_coro"},  {&s_run, "_run"},
    };
    if (CPARTS_INTERN(names) < 0) {
        return NULL;
    }
    return PyModule_Create(&module);
}
