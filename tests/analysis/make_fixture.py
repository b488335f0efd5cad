#!/usr/bin/python3
"""make_fixture: TEST FIXTURE GENERATOR for the analysis scripts (not a trainer, not a reference).

Writes a small synthetic results file (schema tms-results/1) with the names, dtypes and shapes of the schema
module's table (analysis/tms_layout.json, from `tms-post layout --json`; the parameter registry too), and has the
real tms-post derive its post file (schema tms-post/1), so the plotting scripts are tested without training. The
weights are made up (regular polygons whose size grows with sparsity, random orthonormal rows otherwise); the
metrics are computed from them with the formulas of analysis/SCIENCE.md section 4 so that the files are
self-consistent. Nothing here is a result. Exit 77 when no tms-post is given.

usage: make_fixture.py PRESET RESULTS.h5 POST.h5 [--tms-post PATH] [--drop /results/W ...]
PRESET: e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 (grid shapes like the experiments' sweeps, but tiny)
--drop removes a dataset from whichever file holds it (for the missing-dataset error tests).
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

import h5py
import numpy as np

# the schema module's table (`tms-post layout --json`, kept equal to it by the layout_docs test)
LAYOUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis", "tms_layout.json")
with open(LAYOUT_PATH) as _f:
    LAYOUT = json.load(_f)
RESULTS = {d["key"]: d for d in LAYOUT["files"]["results"]["datasets"]}


def attr_value(typ, v):
    """A root attribute value in the table's type."""
    if typ == "str":
        return str(v)
    if typ == "str[]":
        return np.array(v, dtype=h5py.string_dtype())
    return np.array(v, dtype=np.dtype(typ)) if np.ndim(v) else np.dtype(typ).type(v)


def put(f, row, data, grid_rank):
    """One dataset of the results table: its path and dtype, its rank checked against lead + trailing dims."""
    arr = np.asarray(data).astype(np.dtype(row["type"]))
    want = grid_rank + len(row["trail"])
    if arr.ndim != want:
        raise SystemExit(f"make_fixture: {row['path']} has rank {arr.ndim}, the layout wants {want}")
    f.create_dataset(row["path"], data=arr)

DEFAULTS = dict(variant="relu_out", importance_decay=1.0, last_importance=np.nan, last_density=np.nan,
                correlation="independent", correlation_density="set", correlated_sets=0, set_size=2,
                correlation_strength=1.0, optimizer="adamw", lr=1e-3, weight_decay=0.01, beta1=0.9,
                beta2=0.999, eps=1e-8, schedule="constant", init="xavier", steps=200, batch_size=1024,
                log_every=20, snapshot_every=0, eval_every=0, eval_batch=8192)

# preset: fixed params, list of dims (name, values) or (name, {member: values}) for zip groups, replicates
PRESETS = {
    "e0": (dict(n_features=5, n_hidden=2, importance_decay=0.9),
           [("density", [1.0, 0.3, 0.1, 0.03])], 2),
    "e1": (dict(),
           [("size", {"n_features": [8, 10], "n_hidden": [3, 4], "importance_decay": [0.7, 0.9]}),
            ("variant", ["linear", "relu_out"]), ("density", [1.0, 0.1, 0.01])], 2),
    "e2": (dict(),
           [("size", {"n_features": [2, 3], "n_hidden": [1, 2]}),
            ("last_importance", [0.1, 0.5, 2.0, 10.0]), ("density", [1.0, 0.3, 0.1, 0.01])], 3),
    "e3": (dict(n_features=30, n_hidden=5), [("density", [1.0, 0.3, 0.1, 0.03, 0.01])], 2),
    "e4": (dict(n_features=5, n_hidden=2, density=0.05), [("last_density", [0.005, 0.02, 0.1, 0.5])], 3),
    "e5": (dict(optimizer="adam"),
           [("setup", {"n_features": [4, 6], "n_hidden": [2, 2], "correlation": ["correlated", "anticorrelated"],
                       "correlated_sets": [2, 3], "correlation_density": ["member", "member"]}),
            ("density", [0.1, 0.01])], 2),
    "e6": (dict(n_features=20, n_hidden=4, density=0.1, steps=500, log_every=10, snapshot_every=50,
                    eval_every=25), [], 3),
    "e7": (dict(n_features=20, n_hidden=4), [("density", [1.0, 0.3, 0.1, 0.03])], 2),
    "e8": (dict(variant="relu_hidden", n_features=10, n_hidden=5, importance_decay=0.75),
           [("density", [0.75, 0.1, 0.01])], 2),
    "e9": (dict(variant="abs", init="kaiming_uniform", optimizer="adam"),
           [("size", {"n_features": [3, 12], "n_hidden": [6, 5]}), ("density", [1.0, 0.1])], 2),
}


def polygon_W(n, m, density, rng):
    """Made-up m=2 geometry: k = number of represented features grows as density falls (2 dense -> n sparse)."""
    k = int(np.clip(round(2 + (n - 2) * min(1.0, -np.log10(density) / 1.5)), 2, n))
    W = np.zeros((n, m))
    ang = 2 * np.pi * np.arange(k) / k + rng.uniform(0, 2 * np.pi)
    W[:k, 0], W[:k, 1] = np.cos(ang), np.sin(ang)
    if k == 2:
        W[1] = [-W[0, 1], W[0, 0]]  # dense: two orthogonal features
    return W * (1 + 0.05 * rng.standard_normal((n, 1)))


def generic_W(n, m, density, rng):
    k = int(np.clip(round(m + (n - m) * min(1.0, -np.log10(density) / 2.5)), m, n))
    W = np.zeros((n, m))
    W[:k] = rng.standard_normal((k, m))
    W[:k] /= np.linalg.norm(W[:k], axis=1, keepdims=True)
    return W


def metrics(W):
    """analysis/SCIENCE.md section 4: norm, s_i, D_i (0 below 1e-6 of the largest squared norm), D*."""
    n2 = (W ** 2).sum(1)
    norm = np.sqrt(n2)
    G = W @ W.T
    hat = W / np.maximum(norm, 1e-12)[:, None]
    proj2 = (hat @ W.T) ** 2
    s = proj2.sum(1) - np.diag(proj2)
    denom = proj2.sum(1)
    D = np.where(n2 >= 1e-6 * n2.max(), n2 / np.maximum(denom, 1e-300), 0.0)
    s = np.where(n2 >= 1e-6 * n2.max(), s, 0.0)
    dstar = W.shape[1] / n2.sum()
    return norm, s, D, dstar, G


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("preset", choices=sorted(PRESETS))
    ap.add_argument("results")
    ap.add_argument("post")
    ap.add_argument("--drop", action="append", default=[], help="dataset to leave out (repeatable)")
    ap.add_argument("--tms-post", help="the tms-post binary that writes the post file (default: $TMS_POST)")
    a = ap.parse_args()
    fixed, dims, R = PRESETS[a.preset]
    rng = np.random.default_rng(7)

    names = [d[0] for d in dims] + ["replicate"]
    shape = tuple(len(next(iter(v.values()))) if isinstance(v, dict) else len(v) for _, v in dims) + (R,)
    gshape = shape[:-1]
    points = list(np.ndindex(*shape))

    def spec_of(idx):
        s = dict(DEFAULTS, **fixed)
        for (name, vals), i in zip(dims, idx):
            if isinstance(vals, dict):
                for k, v in vals.items():
                    s[k] = v[i]
            else:
                s[name] = vals[i]
        return s

    specs = {idx: spec_of(idx) for idx in points}
    n_max = max(s["n_features"] for s in specs.values())
    m_max = max(s["n_hidden"] for s in specs.values())

    def entries(s, every_key):  # the curve rule: steps 0, k*every, ..., steps-1; 0 entries when every < 1
        every, last = s[every_key], s["steps"] - 1
        return 0 if every < 1 else last // every + 1 + (1 if last % every else 0)

    curve_len = lambda s: entries(s, "log_every")
    snapshot_len = lambda s: entries(s, "snapshot_every")  # 0 = no W history
    eval_len = lambda s: entries(s, "eval_every")  # 0 = no evaluation curve
    L = max(curve_len(s) for s in specs.values())
    S = max(snapshot_len(s) for s in specs.values())
    E = max(eval_len(s) for s in specs.values())
    has_w2 = any(s["variant"] == "abs" for s in specs.values())

    status = np.ones(shape, np.uint8)
    status[tuple(0 for _ in shape[:-1]) + (R - 1,)] = 2 if R > 1 else 1  # one failed point, as a real run may have
    loss = np.full(shape, np.nan)
    curve = np.full(shape + (L,), np.nan, np.float32)
    Wd = np.zeros(shape + (n_max, m_max), np.float32)
    W2d = np.zeros(shape + (n_max, m_max), np.float32)
    bd = np.zeros(shape + (n_max,), np.float32)
    norm = np.full(shape + (n_max,), np.nan)
    inter = np.full(shape + (n_max,), np.nan)
    dim = np.full(shape + (n_max,), np.nan)
    dstar = np.full(shape, np.nan)
    hist = np.full(shape + (S, n_max, m_max), np.nan, np.float32)
    evc = np.full(shape + (E,), np.nan, np.float32)
    for idx in points:
        s = specs[idx]
        n, m, p = s["n_features"], s["n_hidden"], s["density"]
        if status[idx] != 1:
            continue
        W = polygon_W(n, m, p, rng) if m == 2 else generic_W(n, m, p, rng)
        nr, si, Di, ds, _ = metrics(W)
        Wd[idx][:n, :m], bd[idx][:n] = W, -0.05 * (nr > 0.5) + (p / 2) * (nr <= 0.5)
        if s["variant"] == "abs":
            W2d[idx][:n, :m] = W * rng.uniform(0.5, 2.0, size=(1, m))
        norm[idx][:n], inter[idx][:n], dim[idx][:n], dstar[idx] = nr, si, Di, ds
        loss[idx] = p / 3 * (abs(n - nr.sum()) + 0.1) / n * (1 + 0.1 * rng.random())
        cl = curve_len(s)
        t = np.arange(cl)
        curve[idx][:cl] = loss[idx] * (1 + 3 * np.exp(-t / 5) + (t < cl // 2) * 0.5)
        sl = snapshot_len(s)
        if sl:  # made-up trajectory: small random start, each feature moves to its final row at its own time
            W0 = 0.1 * rng.standard_normal((n, m))
            t_i = rng.uniform(0.2, 0.8, size=(n, 1, 1))
            sw = (np.linspace(0, 1, sl)[None, :, None] >= t_i).astype(np.float64)  # (n, sl, 1) step switches
            traj = np.transpose(W0[:, None, :] * (1 - sw) + W[:, None, :] * sw, (1, 0, 2))  # (sl, n, m)
            hist[idx][:sl] = 0
            hist[idx][:sl, :n, :m] = traj
            hist[idx][sl - 1] = Wd[idx]  # the last entry is the final W, as the trainer writes it
        el = eval_len(s)
        if el:  # made-up smooth evaluation curve ending near the final loss
            te = np.arange(el)
            evc[idx][:el] = loss[idx] * (1 + 3 * np.exp(-te / 3))

    with h5py.File(a.results, "w") as f:
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        root = dict(schema=LAYOUT["files"]["results"]["schema"], tool_version="0.1.0", git_commit="fixture",
                    created=created, sweep_name=f"fixture-{a.preset}", sweep_path=f"fixture/{a.preset}.yaml",
                    sweep_yaml="# synthetic fixture, not a sweep\n", config_hash="0123456789abcdef", seed=2022,
                    mpi_version="none", hdf5_version=h5py.version.hdf5_version, openblas_config="none",
                    openblas_num_threads=1, ranks=1, grid_shape=shape, dim_names=names, point_count=len(points),
                    n_max=n_max, m_max=m_max, curve_len=L, snapshot_len=S, eval_len=E)
        for at in LAYOUT["files"]["results"]["root_attrs"]:
            if at["name"] in root:
                f.attrs[at["name"]] = attr_value(at["type"], root[at["name"]])
            elif at["required"]:
                raise SystemExit(f"make_fixture: no value for the required root attribute {at['name']}")
        write_axes(f, dims, R)
        for prm in LAYOUT["params_registry"]:
            key, choices = prm["key"], prm["choices"]
            path = f"{LAYOUT['params']}/{key}"
            if prm["kind"] == "enum":
                arr = np.array([choices.index(specs[i][key]) for i in points], np.int8).reshape(shape)
                f.create_dataset(path, data=arr).attrs["choices"] = np.array(choices, dtype=h5py.string_dtype())
            else:
                f.create_dataset(path, data=np.array([float(specs[i][key]) for i in points]).reshape(shape))
        values = dict(status=status, attempts=np.where(status == 2, 2, 1), error=np.where(status == 2, 9, 0),
                      wall_s=rng.uniform(0.1, 1.0, shape), eval_s=rng.uniform(0.001, 0.01, shape), seed=rng.integers(0, 2**63, shape, dtype=np.uint64),
                      loss=loss, loss_se=loss * 0.01, loss_curve=curve, W=Wd, W2=W2d, W_history=hist,
                      eval_curve=evc, b=bd, norm=norm, interference=inter, dimensionality=dim, dstar=dstar)
        present = dict(always=True, w2=has_w2, snapshots=S > 0, eval=E > 0, timing=True)
        for key, row in RESULTS.items():
            if present[row["when"]]:
                put(f, row, values[key], len(shape))

    # ---- post file: the real tms-post on it (the post layout has one writer) ----
    tms_post = a.tms_post or os.environ.get("TMS_POST")
    if not tms_post or not os.access(tms_post, os.X_OK):
        print("make_fixture: the post file is written by tms-post: pass --tms-post PATH or set TMS_POST",
              file=sys.stderr)
        sys.exit(77)
    run = subprocess.run([tms_post, a.results, "-o", a.post, "--force", "--attack-batch", "1024", "--threads", "1"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"make_fixture: tms-post exited {run.returncode}: {run.stderr.strip()}")

    for name in a.drop:
        for path in (a.results, a.post):
            with h5py.File(path, "a") as f:
                if name.lstrip("/") in f:
                    del f[name.lstrip("/")]


def write_axes(f, dims, R):
    for name, vals in dims:
        if isinstance(vals, dict):
            size = len(next(iter(vals.values())))
            f.create_dataset(f"axes/{name}", data=np.arange(size, dtype=np.int64))
            for k, v in vals.items():
                if isinstance(v[0], str):
                    f.create_dataset(f"axes/{name}_members/{k}", data=np.array(v, dtype=h5py.string_dtype()))
                else:
                    f.create_dataset(f"axes/{name}_members/{k}", data=np.array(v, np.float64))
        elif isinstance(vals[0], str):
            f.create_dataset(f"axes/{name}", data=np.array(vals, dtype=h5py.string_dtype()))
        else:
            f.create_dataset(f"axes/{name}", data=np.array(vals, np.float64))
    if R is not None:
        f.create_dataset("axes/replicate", data=np.arange(R, dtype=np.int64))


if __name__ == "__main__":
    main()
