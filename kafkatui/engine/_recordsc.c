/*
 * Optional C speed-up for decoding RecordBatch v2 records (see records.py).
 *
 * decode_records(data, pos, end, count, base_offset, base_timestamp, log_append_time)
 *   -> list of (offset, timestamp, key, value, headers) tuples
 *
 * Mirrors records.decode_batch's record loop exactly; every read is bounds-checked and
 * any malformation raises ValueError, which the caller turns into CORRUPT_MESSAGE.
 * If this module does not build, records.py uses its pure-Python loop instead.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static int read_varint(const unsigned char *buf, Py_ssize_t end, Py_ssize_t *pos, int64_t *out) {
    uint64_t z = 0;
    int shift = 0;
    while (1) {
        if (*pos >= end) return -1;
        unsigned char b = buf[(*pos)++];
        z |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) break;
        shift += 7;
        if (shift > 63) return -1;
    }
    *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    return 0;
}

static PyObject *read_bytes(const unsigned char *buf, Py_ssize_t end, Py_ssize_t *pos, int *err) {
    int64_t len;
    if (read_varint(buf, end, pos, &len) < 0) { *err = 1; return NULL; }
    if (len < 0) { Py_RETURN_NONE; }
    if (len > end - *pos) { *err = 1; return NULL; }
    PyObject *out = PyBytes_FromStringAndSize((const char *)buf + *pos, (Py_ssize_t)len);
    *pos += (Py_ssize_t)len;
    if (out == NULL) *err = 2;
    return out;
}

static PyObject *corrupt(const char *what) {
    PyErr_Format(PyExc_ValueError, "malformed record: %s", what);
    return NULL;
}

static PyObject *decode_records(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, end, count;
    long long base_offset, base_timestamp, log_append_time;
    if (!PyArg_ParseTuple(args, "y*nnnLLL", &view, &pos, &end, &count, &base_offset,
                          &base_timestamp, &log_append_time))
        return NULL;
    const unsigned char *buf = (const unsigned char *)view.buf;
    PyObject *records = NULL;
    if (end > view.len || pos < 0 || pos > end || count < 0) {
        corrupt("batch bounds");
        goto fail;
    }
    records = PyList_New(0);
    if (records == NULL) goto fail;
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t length, ts_delta, off_delta, nheaders;
        int err = 0;
        if (read_varint(buf, end, &pos, &length) < 0 || length < 0 || length > end - pos) {
            corrupt("record length");
            goto fail;
        }
        Py_ssize_t record_end = pos + (Py_ssize_t)length;
        pos += 1; /* record attributes */
        if (read_varint(buf, record_end, &pos, &ts_delta) < 0 ||
            read_varint(buf, record_end, &pos, &off_delta) < 0) {
            corrupt("record header");
            goto fail;
        }
        PyObject *key = read_bytes(buf, record_end, &pos, &err);
        if (err) { Py_XDECREF(key); if (err == 1) corrupt("key"); goto fail; }
        PyObject *value = read_bytes(buf, record_end, &pos, &err);
        if (err) { Py_DECREF(key); Py_XDECREF(value); if (err == 1) corrupt("value"); goto fail; }
        if (read_varint(buf, record_end, &pos, &nheaders) < 0 || nheaders < 0 || nheaders > record_end - pos) {
            Py_DECREF(key); Py_DECREF(value);
            corrupt("header count");
            goto fail;
        }
        PyObject *headers = PyTuple_New((Py_ssize_t)nheaders);
        if (headers == NULL) { Py_DECREF(key); Py_DECREF(value); goto fail; }
        for (Py_ssize_t h = 0; h < (Py_ssize_t)nheaders; h++) {
            int64_t hlen;
            if (read_varint(buf, record_end, &pos, &hlen) < 0 || hlen < 0 || hlen > record_end - pos) {
                Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers);
                corrupt("header key");
                goto fail;
            }
            PyObject *hkey = PyUnicode_DecodeUTF8((const char *)buf + pos, (Py_ssize_t)hlen, "strict");
            pos += (Py_ssize_t)hlen;
            if (hkey == NULL) {
                Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers);
                PyErr_Clear();
                corrupt("header key is not UTF-8");
                goto fail;
            }
            PyObject *hvalue = read_bytes(buf, record_end, &pos, &err);
            if (err) {
                Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers); Py_DECREF(hkey); Py_XDECREF(hvalue);
                if (err == 1) corrupt("header value");
                goto fail;
            }
            PyObject *pair = PyTuple_Pack(2, hkey, hvalue);
            Py_DECREF(hkey); Py_DECREF(hvalue);
            if (pair == NULL) { Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers); goto fail; }
            PyTuple_SET_ITEM(headers, h, pair);
        }
        if (pos != record_end) {
            Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers);
            corrupt("record length does not match its fields");
            goto fail;
        }
        long long ts = log_append_time >= 0 ? log_append_time : base_timestamp + ts_delta;
        PyObject *record = Py_BuildValue("(LLNNN)", base_offset + off_delta, ts, key, value, headers);
        if (record == NULL) goto fail;
        if (PyList_Append(records, record) < 0) { Py_DECREF(record); goto fail; }
        Py_DECREF(record);
    }
    PyBuffer_Release(&view);
    return records;
fail:
    Py_XDECREF(records);
    PyBuffer_Release(&view);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode_records", decode_records, METH_VARARGS, "Decode the records of a RecordBatch v2."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_recordsc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__recordsc(void) { return PyModule_Create(&module); }
