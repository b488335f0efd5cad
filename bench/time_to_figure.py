#!/usr/bin/python3
"""Time to figure: core-hours of every full sweep (sweeps/*_full.yaml) on this code, beside the reference's.

What it measures, per full sweep:
  tms        a sample of the sweep's own points, run by `tms-sweep run` (one process, pinned to one core, so the
             root trains alone: the orchestration, bundling, final evaluation and metrics all count). The sample is
             the sweep with every axis that does not change a model's shape (density, importance, optimizer, ...)
             cut to at most 4 of its values (both ends and two evenly spaced inside), the shape axes (the zip
             groups, n_hidden, variant) whole, and fewer replicates (at most 8 for small models, 2 for large). So
             every sample point stands for the same number of the sweep's points. It runs twice, at S1 and 2*S1
             steps (S1 = 1000 for small models, 200 for large), and the CPU time (user + sys) of the two processes
             gives the mean cost of a sample point as a + b * steps (a: start-up, final evaluation, metrics,
             record; b: one step). The sweep's core-hours are its points times a + b * (their real steps).
             Linear in steps is conservative at low density, where late steps are cheaper (sparser gradients).
  reference  the unmodified PyTorch reference (bench/reference/tms_torch.py) with K=10 models batched (its way of
             working) on the same core, one thread, for each shape (variant, n, m) of the sweep: model-steps per CPU
             second from two runs of different lengths (start-up cancels). Its core-hours are the sweep's
             model-steps of each shape over that rate: training only (it has no 2^20-sample final evaluation, no
             metrics, no files), so the ratio favours it. It has no correlated-feature data: those sweeps use its
             rate for the same shape with independent features (the model's cost does not depend on the data law).

  bench/time_to_figure.py [--tms build/tms-sweep] [--torch bench/reference/tms_torch.py] [--core 0]
                          [--readme bench/README.md] [--sweeps-readme sweeps/README.md] [SWEEP.yaml ...]

Writes its table between <!-- time-to-figure:begin --> and <!-- time-to-figure:end --> of both READMEs and prints
it. Not a test: nothing here passes or fails on a number.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (run, TORCH_HOST, environment, isa_report: one way to time and describe a machine)

SHAPE_KEYS = ("n_features", "n_hidden", "variant", "steps")
BEGIN, END = "<!-- time-to-figure:begin -->", "<!-- time-to-figure:end -->"
K = 10  # the reference's models per batch


def expand(spec):
    """The values of one axis entry (sweeps/FORMAT.md's generators)."""
    if "values" in spec:
        return list(spec["values"])
    kind, s = next((k, spec[k]) for k in ("linspace", "logspace", "geomspace", "range") if k in spec)
    if kind == "linspace":
        return list(np.linspace(s["start"], s["stop"], int(s["num"])))
    if kind == "logspace":
        return list(10.0 ** np.linspace(s["start"], s["stop"], int(s["num"])))
    if kind == "geomspace":
        return list(np.geomspace(s["start"], s["stop"], int(s["num"])))
    n = int(np.ceil((s["stop"] - s["start"]) / s["step"]))
    return [s["start"] + i * s["step"] for i in range(n)]


def thin(values, keep=4):
    """At most `keep` values: both ends and evenly spaced ones between."""
    if len(values) <= keep:
        return values
    idx = sorted(set(int(round(i)) for i in np.linspace(0, len(values) - 1, keep)))
    return [values[i] for i in idx]


def large(sweep):
    """Whether the sweep has a model of more than 200 weights (those are sampled with fewer replicates)."""
    fixed = sweep.get("fixed", {})
    ns, ms = [fixed.get("n_features", 5)], [fixed.get("n_hidden", 2)]
    for group in sweep.get("zip", {}).values():
        ns += expand(group["n_features"]) if "n_features" in group else []
        ms += expand(group["n_hidden"]) if "n_hidden" in group else []
    ns += expand(sweep.get("axes", {}).get("n_features", {"values": []}))
    ms += expand(sweep.get("axes", {}).get("n_hidden", {"values": []}))
    return max(ns) * max(ms) > 200


def sample_sweeps(sweep, s1):
    """(sample sweep at s1 steps, at 2*s1 steps, the real steps of each of its points in C order) per steps value:
    a steps axis is split into one sample per value (the sample's own steps replace it)."""
    axes = sweep.get("axes", {})
    steps_axis = expand(axes["steps"]) if "steps" in axes else [sweep.get("fixed", {}).get("steps", 10000)]
    out = []
    for real_steps in steps_axis:
        pair = []
        for steps in (s1, 2 * s1):
            sw = {k: v for k, v in sweep.items() if k not in ("axes", "replicates", "name")}
            sw["name"] = sweep["name"] + "-sample"
            sw["fixed"] = dict(sweep.get("fixed", {}), steps=int(steps))
            sw["axes"] = {k: ({"values": thin([float(x) if not isinstance(x, str) else x for x in expand(v)])}
                              if k not in SHAPE_KEYS else v) for k, v in axes.items() if k != "steps"}
            if not sw["axes"]:
                del sw["axes"]
            sw["replicates"] = min(sweep.get("replicates", 1), 2 if large(sweep) else 8)
            run = dict(sweep.get("run", {}))
            run.pop("point_timeout_s", None)
            sw["run"] = dict(run, progress_every_s=3600)
            pair.append(sw)
        out.append((pair[0], pair[1], real_steps))
    return out


def plan_counts(tms, path):
    """(points to train, model-steps) as `tms-sweep plan` prints them."""
    out = subprocess.run([tms, "plan", path], capture_output=True, text=True, check=True).stdout
    return (int(re.search(r"^to train:\s+(\d+)", out, re.M).group(1)),
            float(re.search(r"^model-steps:\s+([0-9.e+]+)", out, re.M).group(1)))


def run_sample(args, sw, work, tag):
    """Runs one sample sweep in one pinned process; returns (its CPU seconds, how many points it trained, and the
    (variant, n, m) of each of them)."""
    y, h5 = os.path.join(work, tag + ".yaml"), os.path.join(work, tag + ".h5")
    with open(y, "w") as f:
        yaml.safe_dump(sw, f, sort_keys=False)
    _, _, cpu = bench.run(["taskset", "-c", str(args.core), args.tms, "run", y, "-o", h5, "--quiet"],
                          bench.ISA_ENV["auto"])
    with h5py.File(h5, "r") as f:
        done = f["/points/status"][...].ravel() == 1
        nf, nh = (f["/params/" + k][...].ravel() for k in ("n_features", "n_hidden"))
        codes = f["/params/variant"][...].ravel()
        words = [w.decode() if isinstance(w, bytes) else str(w) for w in f["/params/variant"].attrs["choices"]]
    os.remove(h5)
    if not done.all():
        raise RuntimeError("%s: %d of %d sample points did not train" % (y, int((~done).sum()), done.size))
    return cpu, done.size, [(words[int(c)], int(n), int(m)) for c, n, m in zip(codes, nf, nh)]


def torch_rate(args, variant, n, m, batch, cache):
    """Reference model-steps per CPU second at K=10 for one shape (two runs: start-up and set-up cancel)."""
    key = (variant, n, m, batch)
    if key in cache:
        return cache[key]

    def cpu(steps):
        out, _, _ = bench.run(["taskset", "-c", str(args.core), "/usr/bin/python3", "-c", bench.TORCH_HOST, args.torch,
                               "--variant", variant, "--n", str(n), "--m", str(m), "--instances", str(K), "--batch",
                               str(batch), "--steps", str(steps), "--threads", "1"],
                              bench.ISA_ENV["auto"])  # OpenBLAS core pinned to tms's by isa_report
        return float(re.search(r"cpu_after_import_s=([0-9.]+)", out).group(1))

    t1 = 5
    c1, c2 = cpu(t1), cpu(3 * t1)
    guess = max(K * 2 * t1 / max(c2 - c1, 1e-3), 1.0)           # model-steps/s, rough
    t2 = t1 + max(10, int(2.0 * guess / K))                      # ~2 s more of training
    rate = K * (t2 - t1) / max(cpu(t2) - c1, 1e-6)
    cache[key] = rate
    return rate


def measure(args, path, work, cache):
    sweep = yaml.safe_load(open(path))
    points, model_steps = plan_counts(args.tms, path)
    s1 = 200 if large(sweep) else 1000
    batch = sweep.get("fixed", {}).get("batch_size", 1024)
    tms_s = ref_s = 0.0
    n_sample = 0
    t0 = time.perf_counter()
    samples = sample_sweeps(sweep, s1)
    for j, (sw1, sw2, real_steps) in enumerate(samples):
        c1, k, shapes = run_sample(args, sw1, work, "s1_%d" % j)
        c2, _, _ = run_sample(args, sw2, work, "s2_%d" % j)
        b = max(c2 - c1, 0.0) / (s1 * k)            # CPU seconds per step of a sample point
        a = max(c1 / k - b * s1, 0.0)               # per point beyond its steps (process start-up spread over them)
        share = points / len(samples) / k           # every sample point stands for this many of the sweep's
        tms_s += share * k * (a + b * real_steps)
        ref_s += share * sum(real_steps / torch_rate(args, v, n, m, batch, cache) for v, n, m in shapes)
        n_sample += k
    return {"sweep": os.path.basename(path), "points": points, "model_steps": model_steps, "sample": n_sample,
            "steps_axis": len(samples), "s1": s1, "tms_h": tms_s / 3600, "ref_h": ref_s / 3600,
            "bench_s": time.perf_counter() - t0}


def table(rows):
    """The markdown table; each row names when, where and with which build it was measured."""
    lines = ["CPU time, one core, one process per side. tms: a sample of the sweep's points run by `tms-sweep run` at "
             "two run lengths (cost = a + b * steps per point, see bench/time_to_figure.py); reference: K=10 models "
             "batched, training only (its rate per shape measured on the same core).", "",
             "| sweep | points | model-steps | sample points (x 2 lengths) | tms core-h | reference core-h | ratio |"
             " measured (date, commit, load) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| `%s` | %s | %.2g | %d | %.3g | %.3g | %.0fx | %s, %s, %s |"
                     % (r["sweep"], format(r["points"], ","), r["model_steps"], r["sample"], r["tms_h"], r["ref_h"],
                        r["ref_h"] / r["tms_h"] if r["tms_h"] > 0 else float("nan"), r["date"], r["commit"],
                        r["load"]))
    tot_t, tot_r = sum(r["tms_h"] for r in rows), sum(r["ref_h"] for r in rows)
    lines.append("| all | %s | %.2g | %d | %.3g | %.3g | %.0fx | |"
                 % (format(sum(r["points"] for r in rows), ","), sum(r["model_steps"] for r in rows),
                    sum(r["sample"] for r in rows), tot_t, tot_r, tot_r / tot_t if tot_t > 0 else float("nan")))
    cpus = sorted(set("%s, kernels %s, OpenBLAS core %s" % (r["cpu"], r["kernels"], r["blas_core"]) for r in rows))
    lines += ["", "Machine: " + "; ".join(cpus) + "."]
    return "\n".join(lines)


def write_block(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    body = BEGIN + "\n" + block + "\n" + END
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + body + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    open(path, "w").write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sweeps", nargs="*", help="full sweep files (default: sweeps/*_full.yaml)")
    ap.add_argument("--tms", default=os.path.join(root, "build", "tms-sweep"))
    ap.add_argument("--torch", default=os.path.join(here, "reference", "tms_torch.py"))
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--readme", default=os.path.join(here, "README.md"))
    ap.add_argument("--sweeps-readme", default=os.path.join(root, "sweeps", "README.md"))
    ap.add_argument("--json", default=os.path.join(here, "time_to_figure.json"),
                    help="rows of every sweep measured so far (updated per sweep; the table is made from all of them)")
    ap.add_argument("--fresh", action="store_true", help="forget the rows of earlier runs")
    ap.add_argument("--no-write", action="store_true", help="print the table only; write neither README nor json")
    args = ap.parse_args()
    paths = args.sweeps or sorted(glob.glob(os.path.join(root, "sweeps", "*_full.yaml")))
    env = bench.environment(args)
    # the commit the binary was built from (tms-sweep --version), which may not be the tree's
    version = subprocess.run([args.tms, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"\(([0-9a-f]+(-dirty)?)\)", version)
    env["git"] = m.group(1)[:12] if m else env["git"]
    report = bench.isa_report(args, "auto") or ("?", "?")
    when = time.strftime("%Y-%m-%d")
    # every sweep's row is kept in bench/time_to_figure.json, so one sweep can be measured again on its own
    rows = json.load(open(args.json)) if os.path.exists(args.json) and not args.fresh else {}
    cache = {}
    with tempfile.TemporaryDirectory() as work:
        for p in paths:
            r = measure(args, p, work, cache)
            r.update(date=when, load="%.1f" % os.getloadavg()[0], cpu=env["cpu"], kernels=report[0],
                     blas_core=report[1], commit=env["git"])
            print("%s: %d sample points in %.0f s: tms %.3g core-h, reference %.3g core-h"
                  % (r["sweep"], r["sample"], r["bench_s"], r["tms_h"], r["ref_h"]), flush=True)
            rows[r["sweep"]] = r
            if not args.no_write:
                with open(args.json, "w") as f:
                    json.dump(rows, f, indent=1, sort_keys=True)
    rows = [rows[k] for k in sorted(rows)]
    block = table(rows)
    print(block)
    if not args.no_write:
        write_block(args.readme, block)
        write_block(args.sweeps_readme, block)


if __name__ == "__main__":
    main()
