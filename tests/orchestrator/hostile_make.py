#!/usr/bin/python3
"""hostile_make: damaged variants of a good results file, for tests/orchestrator/hostile_files.sh.

Usage: hostile_make.py GOOD.h5 OUTDIR  -> OUTDIR/<case>.h5 for every case below (deterministic bytes).
Each variant breaks one thing a reader of results files trusts: the bytes, a dataset's shape or type, an attribute.
"""
import random
import shutil
import sys

import h5py
import numpy as np

good, outdir = sys.argv[1], sys.argv[2]
data = open(good, "rb").read()


def write(name, blob):
    with open(f"{outdir}/{name}.h5", "wb") as f:
        f.write(blob)


write("truncated_half", data[: len(data) // 2])
write("truncated_header", data[:600])  # the superblock survives, the root group does not
write("empty", b"")
write("random_bytes", random.Random(11).randbytes(65536))
# Random bytes behind a valid HDF5 signature: passes the "is it HDF5" test, then nothing else holds.
write("signature_then_random", b"\x89HDF\r\n\x1a\n" + random.Random(12).randbytes(65536))


def edited(name, edit):
    path = f"{outdir}/{name}.h5"
    shutil.copy(good, path)
    with h5py.File(path, "r+") as f:
        edit(f)


def replace(f, ds, array):
    attrs = {k: v for k, v in f[ds].attrs.items() if k not in ("DIMENSION_LIST", "REFERENCE_LIST")}
    del f[ds]
    f[ds] = array
    for k, v in attrs.items():
        f[ds].attrs[k] = v


def status_shape(f):
    s = f["/points/status"][...]
    replace(f, "/points/status", s.reshape(-1))  # flat instead of grid-shaped


def status_type(f):
    replace(f, "/points/status", f["/points/status"][...].astype(np.float32))


def w_shape(f):
    w = f["/results/W"][...]
    replace(f, "/results/W", w[..., :1])  # m_max cut to 1


def w_type(f):
    replace(f, "/results/W", f["/results/W"][...].astype(np.float64))


def params_garbage(f):
    n = f["/params/n_features"][...]
    replace(f, "/params/n_features", np.full(n.shape, 1e300))


def status_values(f):
    s = f["/points/status"][...]
    s.flat[0] = 200
    f["/points/status"][...] = s


edited("status_wrong_shape", status_shape)
edited("status_wrong_type", status_type)
edited("W_wrong_shape", w_shape)
edited("W_wrong_type", w_type)
edited("n_features_garbage", params_garbage)
edited("status_out_of_range", status_values)
edited("no_schema_attr", lambda f: f.attrs.__delitem__("schema"))
edited("no_config_hash_attr", lambda f: f.attrs.__delitem__("config_hash"))
edited("no_dim_names_attr", lambda f: f.attrs.__delitem__("dim_names"))
edited("schema_wrong", lambda f: f.attrs.__setitem__("schema", "tms-results/0"))
edited("schema_array", lambda f: f.attrs.__setitem__("schema", ["tms-results/1", "tms-results/1"]))
edited("no_status", lambda f: f.__delitem__("/points/status"))
edited("no_W", lambda f: f.__delitem__("/results/W"))
