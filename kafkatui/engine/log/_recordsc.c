/*
 * Optional C speed-ups for RecordBatch v2 records (see records.py).
 *
 * decode_records(data, pos, end, count, base_offset, base_timestamp, log_append_time)
 *   -> list of (offset, timestamp, key, value, headers) tuples
 * decode_into(data, pos, end, count, base_offset, base_timestamp, log_append_time,
 *             cls, topic, partition, timestamp_type, epoch, min_offset)
 *   -> list of cls(topic, partition, offset, timestamp, timestamp_type, key, value,
 *      headers, epoch) for the records at or above min_offset (the consumer's records)
 * encode_records(records, base_offset, base_timestamp) -> (body bytes, max timestamp)
 * append_record(body bytearray, timestamp_delta, offset_delta, key, value) -> None
 *   one record without headers, with its length prefix, appended to a batch body
 *
 * Both mirror records.py's pure-Python loops exactly (a property test compares them);
 * every read is bounds-checked and any malformation raises ValueError, which the
 * caller turns into CORRUPT_MESSAGE. If this module does not build, records.py uses its
 * pure-Python loops instead.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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

/* The records of one batch: 5-tuples (offset, timestamp, key, value, headers), or, with
 * `cls`, instances of that tuple subclass (the consumer's ConsumerRecord) holding
 * (topic, partition, offset, timestamp, timestamp_type, key, value, headers, epoch),
 * built here rather than in a Python generator; records below `min_offset` are decoded
 * (and checked) but left out. */
static PyObject *decode_loop(const unsigned char *buf, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t count,
                             long long base_offset, long long base_timestamp, long long log_append_time,
                             PyTypeObject *cls, PyObject *const *fields, long long min_offset) {
    PyObject *records = PyList_New(0);
    if (records == NULL) return NULL;
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
        long long offset = base_offset + off_delta;
        long long ts = log_append_time >= 0 ? log_append_time : base_timestamp + ts_delta;
        PyObject *record;
        if (cls == NULL) {
            record = Py_BuildValue("(LLNNN)", offset, ts, key, value, headers);
            if (record == NULL) goto fail;
        } else {
            if (offset < min_offset) {
                Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers);
                continue;
            }
            /* What tuple.__new__(cls, ...) does: the subclass's own allocation, then the items. */
            record = cls->tp_alloc(cls, 9);
            PyObject *offset_obj = PyLong_FromLongLong(offset), *ts_obj = PyLong_FromLongLong(ts);
            if (record == NULL || offset_obj == NULL || ts_obj == NULL) {
                Py_XDECREF(record); Py_XDECREF(offset_obj); Py_XDECREF(ts_obj);
                Py_DECREF(key); Py_DECREF(value); Py_DECREF(headers);
                goto fail;
            }
            Py_INCREF(fields[0]); PyTuple_SET_ITEM(record, 0, fields[0]);
            Py_INCREF(fields[1]); PyTuple_SET_ITEM(record, 1, fields[1]);
            PyTuple_SET_ITEM(record, 2, offset_obj);
            PyTuple_SET_ITEM(record, 3, ts_obj);
            Py_INCREF(fields[2]); PyTuple_SET_ITEM(record, 4, fields[2]);
            PyTuple_SET_ITEM(record, 5, key);
            PyTuple_SET_ITEM(record, 6, value);
            PyTuple_SET_ITEM(record, 7, headers);
            Py_INCREF(fields[3]); PyTuple_SET_ITEM(record, 8, fields[3]);
        }
        if (PyList_Append(records, record) < 0) { Py_DECREF(record); goto fail; }
        Py_DECREF(record);
    }
    return records;
fail:
    Py_DECREF(records);
    return NULL;
}

static PyObject *decode_records(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, end, count;
    long long base_offset, base_timestamp, log_append_time;
    if (!PyArg_ParseTuple(args, "y*nnnLLL", &view, &pos, &end, &count, &base_offset,
                          &base_timestamp, &log_append_time))
        return NULL;
    PyObject *records = NULL;
    if (end > view.len || pos < 0 || pos > end || count < 0)
        corrupt("batch bounds");
    else
        records = decode_loop((const unsigned char *)view.buf, pos, end, count, base_offset, base_timestamp,
                              log_append_time, NULL, NULL, 0);
    PyBuffer_Release(&view);
    return records;
}

static PyObject *decode_into(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, end, count;
    long long base_offset, base_timestamp, log_append_time, min_offset;
    PyObject *cls, *topic, *partition, *ts_type, *epoch;
    if (!PyArg_ParseTuple(args, "y*nnnLLLOOOOOL", &view, &pos, &end, &count, &base_offset, &base_timestamp,
                          &log_append_time, &cls, &topic, &partition, &ts_type, &epoch, &min_offset))
        return NULL;
    PyObject *records = NULL;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type) ||
        ((PyTypeObject *)cls)->tp_basicsize != PyTuple_Type.tp_basicsize) {
        PyErr_SetString(PyExc_TypeError, "decode_into: cls must be a tuple subclass without fields of its own");
    } else if (end > view.len || pos < 0 || pos > end || count < 0) {
        corrupt("batch bounds");
    } else {
        PyObject *fields[4] = {topic, partition, ts_type, epoch};
        records = decode_loop((const unsigned char *)view.buf, pos, end, count, base_offset, base_timestamp,
                              log_append_time, (PyTypeObject *)cls, fields, min_offset);
    }
    PyBuffer_Release(&view);
    return records;
}

/* --- encoding ------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Out;

static int out_reserve(Out *o, Py_ssize_t more) {
    if (o->len + more <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + more) cap *= 2;
    char *grown = PyMem_Realloc(o->buf, (size_t)cap);
    if (grown == NULL) { PyErr_NoMemory(); return -1; }
    o->buf = grown;
    o->cap = cap;
    return 0;
}

static void put_varint(Out *o, int64_t n) {  /* room reserved by the caller */
    uint64_t z = ((uint64_t)n << 1) ^ (uint64_t)(n >> 63);
    while (z >= 0x80) { o->buf[o->len++] = (char)((z & 0x7F) | 0x80); z >>= 7; }
    o->buf[o->len++] = (char)z;
}

/* A bytes-or-None field: its length (-1 for None) and data. */
static int field(PyObject *obj, const char **data, Py_ssize_t *len) {
    if (obj == Py_None) { *data = NULL; *len = -1; return 0; }
    if (!PyBytes_Check(obj)) { PyErr_SetString(PyExc_TypeError, "keys, values and header values must be bytes or None"); return -1; }
    *data = PyBytes_AS_STRING(obj);
    *len = PyBytes_GET_SIZE(obj);
    return 0;
}

static int put_field(Out *o, const char *data, Py_ssize_t len) {
    if (out_reserve(o, 10 + (len > 0 ? len : 0)) < 0) return -1;
    put_varint(o, len);
    if (len > 0) { memcpy(o->buf + o->len, data, (size_t)len); o->len += len; }
    return 0;
}

static PyObject *encode_records(PyObject *self, PyObject *args) {
    PyObject *records;
    long long base_offset, base_timestamp;
    if (!PyArg_ParseTuple(args, "OLL", &records, &base_offset, &base_timestamp)) return NULL;
    PyObject *seq = PySequence_Fast(records, "records must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Out o = {NULL, 0, 0};
    Out body = {NULL, 0, 0};
    long long max_timestamp = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 5) {
            PyErr_SetString(PyExc_TypeError, "a record is (offset, timestamp, key, value, headers)");
            goto fail;
        }
        long long offset = PyLong_AsLongLong(PyTuple_GET_ITEM(r, 0));
        long long ts = PyLong_AsLongLong(PyTuple_GET_ITEM(r, 1));
        if (PyErr_Occurred()) goto fail;
        if (i == 0 || ts > max_timestamp) max_timestamp = ts;
        const char *key, *value;
        Py_ssize_t key_len, value_len;
        if (field(PyTuple_GET_ITEM(r, 2), &key, &key_len) < 0) goto fail;
        if (field(PyTuple_GET_ITEM(r, 3), &value, &value_len) < 0) goto fail;
        PyObject *headers = PySequence_Fast(PyTuple_GET_ITEM(r, 4), "headers must be a sequence");
        if (headers == NULL) goto fail;
        Py_ssize_t nh = PySequence_Fast_GET_SIZE(headers);
        /* The record body (without its length prefix) into `body`, then both into `o`. */
        body.len = 0;
        if (out_reserve(&body, 1 + 20) < 0) { Py_DECREF(headers); goto fail; }
        body.buf[body.len++] = 0;  /* record attributes: unused in v2 */
        put_varint(&body, ts - base_timestamp);
        put_varint(&body, offset - base_offset);
        if (put_field(&body, key, key_len) < 0 || put_field(&body, value, value_len) < 0) {
            Py_DECREF(headers);
            goto fail;
        }
        if (out_reserve(&body, 10) < 0) { Py_DECREF(headers); goto fail; }
        put_varint(&body, nh);
        for (Py_ssize_t h = 0; h < nh; h++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(headers, h);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0))) {
                PyErr_SetString(PyExc_TypeError, "a header is (str, bytes | None)");
                Py_DECREF(headers);
                goto fail;
            }
            Py_ssize_t name_len;
            const char *name = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(pair, 0), &name_len);
            const char *hv;
            Py_ssize_t hv_len;
            if (name == NULL || field(PyTuple_GET_ITEM(pair, 1), &hv, &hv_len) < 0 ||
                put_field(&body, name, name_len) < 0 || put_field(&body, hv, hv_len) < 0) {
                Py_DECREF(headers);
                goto fail;
            }
        }
        Py_DECREF(headers);
        if (out_reserve(&o, 10 + body.len) < 0) goto fail;
        put_varint(&o, body.len);
        memcpy(o.buf + o.len, body.buf, (size_t)body.len);
        o.len += body.len;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(o.buf ? o.buf : "", o.len);
    PyMem_Free(o.buf);
    PyMem_Free(body.buf);
    Py_DECREF(seq);
    if (bytes == NULL) return NULL;
    return Py_BuildValue("(NL)", bytes, max_timestamp);
fail:
    PyMem_Free(o.buf);
    PyMem_Free(body.buf);
    Py_DECREF(seq);
    return NULL;
}

/* The producer's accumulator calls this once per record: a fast call, no tuple. */
static PyObject *append_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "append_record(body: bytearray, timestamp_delta, offset_delta, key, value)");
        return NULL;
    }
    long long ts_delta = PyLong_AsLongLong(args[1]);
    long long offset_delta = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    const char *key, *value;
    Py_ssize_t key_len, value_len;
    if (field(args[3], &key, &key_len) < 0 || field(args[4], &value, &value_len) < 0) return NULL;
    /* attributes, the two deltas and both lengths, then the header count (0) */
    char head[1 + 4 * 10];
    Out h = {head, 0, sizeof head};
    head[h.len++] = 0;
    put_varint(&h, ts_delta);
    put_varint(&h, offset_delta);
    Py_ssize_t key_at = h.len;
    put_varint(&h, key_len);
    Py_ssize_t key_head = h.len - key_at;
    char value_head[10];
    Out v = {value_head, 0, sizeof value_head};
    put_varint(&v, value_len);
    Py_ssize_t length = h.len + (key_len > 0 ? key_len : 0) + v.len + (value_len > 0 ? value_len : 0) + 1;
    char prefix[10];
    Out p = {prefix, 0, sizeof prefix};
    put_varint(&p, length);
    PyObject *body = args[0];
    Py_ssize_t at = PyByteArray_GET_SIZE(body);
    if (PyByteArray_Resize(body, at + p.len + length) < 0) return NULL;
    char *out = PyByteArray_AS_STRING(body) + at;
    memcpy(out, prefix, (size_t)p.len); out += p.len;
    memcpy(out, head, (size_t)(key_at + key_head)); out += key_at + key_head;
    if (key_len > 0) { memcpy(out, key, (size_t)key_len); out += key_len; }
    memcpy(out, value_head, (size_t)v.len); out += v.len;
    if (value_len > 0) { memcpy(out, value, (size_t)value_len); out += value_len; }
    *out = 0;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"decode_records", decode_records, METH_VARARGS, "Decode the records of a RecordBatch v2."},
    {"decode_into", decode_into, METH_VARARGS,
     "Decode the records of a RecordBatch v2 as consumer records of a tuple subclass."},
    {"encode_records", encode_records, METH_VARARGS, "Encode records as a RecordBatch v2 body."},
    {"append_record", (PyCFunction)(void (*)(void))append_record, METH_FASTCALL,
     "Append one record without headers to a RecordBatch v2 body."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_recordsc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__recordsc(void) { return PyModule_Create(&module); }
