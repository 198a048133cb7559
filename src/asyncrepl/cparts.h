/* What the C parts share (see cparts.py): the names they look up, made once, and a module
 * that holds one type. */

#ifndef ASYNCREPL_CPARTS_H
#define ASYNCREPL_CPARTS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* A name a C part looks up, and where its interned str goes. */
typedef struct {
    PyObject **name;
    const char *text;
} CpartsName;

/* Intern each of ``names`` (once per process). 0, or -1 with an error. */
static inline int
cparts_intern(CpartsName *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (*names[i].name == NULL) {
            *names[i].name = PyUnicode_InternFromString(names[i].text);
            if (*names[i].name == NULL) {
                return -1;
            }
        }
    }
    return 0;
}

#define CPARTS_INTERN(names) cparts_intern((names), sizeof(names) / sizeof((names)[0]))

/* The module ``def`` with ``type`` in it under ``name``; NULL with an error. */
static inline PyObject *
cparts_module_with_type(struct PyModuleDef *def, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(def);
    if (module != NULL && PyModule_AddObjectRef(module, name, (PyObject *)type) < 0) {
        Py_CLEAR(module);
    }
    return module;
}

#endif
