#!/usr/bin/python3
"""orchestration: a sweep's training rate and fixed cost per point against the single-model benchmark (issue 7 item 5).

For each style (E2: n=2 m=1, a cell = 10 replicates; E3: n=200 m=20 at low density, 2 replicates), in rounds, on one
core (`taskset -c CORE`, one thread):
  single   `tms-sweep train` of one point of the shape: model-steps/s over its training only (its printed wall time
           minus its printed evaluation time);
  sweep    `mpirun -np 2 tms-sweep run` (root + one worker, both on CORE; the root naps between messages) of a few
           cells of that shape, S steps each: model-steps/s from /points/wall_s (sum of steps / sum of wall_s, which
           holds each point's start, training and its share of its cell's evaluation), and of training only, from
           wall_s minus /points/eval_s (the final evaluation's seconds the file records per point);
  eval     the final evaluation of those S-step points from /points/eval_s: mean per point and share of wall_s,
           beside the same estimated as the difference of the 1-step sweeps below;
  fixed    the same sweep at 1 step: mean /points/wall_s per point (start + 1 step + evaluation share), and again with
           eval_batch 1024: the evaluation per point is the difference (its own line), the rest is the fixed cost;
           and, from 320 such points minus one, the whole run's CPU per point beyond process start-up (root and
           worker: spec, start, 1 step, metrics, record, messages, the root's HDF5 commits).
Prints one line per quantity and a summary per style; medians over rounds. A benchmark: nothing passes or fails.
  bench/orchestration.py --tms build/tms-sweep [--rounds 3] [--core 1] [--styles e2,e3]
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

STYLES = {
    # name: shape, densities (cells), replicates, steps per point, steps of the single-model runs (~0.5 s and more)
    "e2": dict(n=2, m=1, densities=[1.0, 0.1, 0.01], replicates=10, steps=10000, single_steps=200000),
    "e3": dict(n=200, m=20, densities=[0.01], replicates=2, steps=2000, single_steps=2000),
}


def env():
    e = dict(os.environ)
    e.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
             OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return e


def cpu_of(cmd, walls=None):
    """Runs cmd; returns (stdout+stderr, CPU seconds of its children); appends its wall seconds to walls."""
    t0 = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if walls is not None:
        walls.append(time.monotonic() - t0)
    if p.returncode != 0:
        sys.exit(f"orchestration: {' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-2000:]}")
    return p.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def single(args, st):
    """Model-steps/s of one point's training: a run of S steps minus one of 1 step (eval_batch 1024 both, as
    bench/bench.py), in CPU time and in wall time of the process."""
    cpu, wall = [], []
    for steps in (st["single_steps"], 1):
        _, c = cpu_of(["taskset", "-c", str(args.core), args.tms, "train", "--n-features", str(st["n"]),
                       "--n-hidden", str(st["m"]), "--density", str(st["densities"][-1]), "--steps", str(steps),
                       "--eval-batch", "1024", "--quiet"], wall)
        cpu.append(c)
    return (st["single_steps"] - 1) / (cpu[0] - cpu[1]), (st["single_steps"] - 1) / (wall[0] - wall[1])


def sweep(args, st, tmp, steps, eval_batch=None, densities=None, replicates=None):
    fixed = f"variant: relu_out, n_features: {st['n']}, n_hidden: {st['m']}, steps: {steps}, batch_size: 1024"
    if eval_batch:
        fixed += f", eval_batch: {eval_batch}"
    dens = ", ".join(str(d) for d in (densities or st["densities"]))
    yml = os.path.join(tmp, "s.yaml")
    with open(yml, "w") as f:
        f.write(f"schema: tms-sweep/1\nname: orchestration-bench\nseed: 5\nfixed: {{{fixed}}}\n"
                f"axes:\n  density: {{values: [{dens}]}}\nreplicates: {replicates or st['replicates']}\n")
    h5 = os.path.join(tmp, "s.h5")
    if os.path.exists(h5):
        os.remove(h5)
    _, cpu = cpu_of(["mpirun", "--oversubscribe", "-np", "2", "taskset", "-c", str(args.core), args.tms, "run",
                     yml, "-o", h5])
    with h5py.File(h5, "r") as f:
        wall = f["points/wall_s"][()].ravel()
        if "points/eval_s" not in f:
            sys.exit(f"orchestration: {h5} has no /points/eval_s: {args.tms} predates it (rebuild)")
        ev = f["points/eval_s"][()].ravel()
    return wall, cpu, ev


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tms", default="build/tms-sweep")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--styles", default="e2,e3")
    args = ap.parse_args()
    isa = subprocess.run([args.tms, "train", "--n-features", "2", "--n-hidden", "1", "--density", "1", "--steps",
                          "1", "--eval-batch", "16"], env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    m = re.search(r"kernels \S+.*", isa)
    print(f"orchestration: {m.group(0) if m else '(kernels path not printed)'}; core {args.core}; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.styles.split(","):
            st = STYLES[name]
            P = len(st["densities"]) * st["replicates"]
            r_single, r_single_wall, r_sweep, r_train, r_cpu, w1, ev, cpu1 = [], [], [], [], [], [], [], []
            r_train_file, ev_file, ev_share = [], [], []
            for _ in range(args.rounds):
                cpu_rate, wall_rate = single(args, st)
                r_single.append(cpu_rate)
                r_single_wall.append(wall_rate)
                wall, cpu_s, evs = sweep(args, st, tmp, st["steps"])
                r_sweep.append(P * st["steps"] / wall.sum())
                r_train_file.append(P * st["steps"] / (wall.sum() - evs.sum()))
                ev_file.append(evs.mean())
                ev_share.append(evs.sum() / wall.sum())
                wall1, cpu_1, _ = sweep(args, st, tmp, 1)
                r_cpu.append(P * (st["steps"] - 1) / (cpu_s - cpu_1))
                wall1e, _, _ = sweep(args, st, tmp, 1, eval_batch=1024)
                r_train.append(P * (st["steps"] - 1) / (wall.sum() - wall1.sum()))
                w1.append(wall1e.mean())
                ev.append(wall1.mean() - wall1e.mean())
                # the whole run's CPU per point, process start-up removed: many 1-step points minus one
                many = [float(d) for d in np.logspace(0, -2, 32)]
                _, cpu_many, _ = sweep(args, st, tmp, 1, eval_batch=1024, densities=many, replicates=10)
                _, cpu_one, _ = sweep(args, st, tmp, 1, eval_batch=1024, densities=[1.0], replicates=1)
                cpu1.append((cpu_many - cpu_one) / (len(many) * 10 - 1))
            med = statistics.median
            s, sw, w, t, c = med(r_single), med(r_single_wall), med(r_sweep), med(r_train), med(r_cpu)
            print(f"{name}: n={st['n']} m={st['m']} densities {st['densities']} x {st['replicates']} replicates, "
                  f"{st['steps']} steps, {P} points, {args.rounds} rounds (medians)")
            print(f"  single model, CPU (train S steps minus 1 step)        {s:12.0f} model-steps/s")
            print(f"  sweep, CPU of the whole run (S steps minus 1 step)    {c:12.0f} model-steps/s  "
                  f"({c / s:.3f} of single)")
            print(f"  single model, wall (train S steps minus 1 step)     {sw:12.0f} model-steps/s")
            print(f"  sweep, wall, from /points/wall_s                      {w:12.0f} model-steps/s  "
                  f"({w / sw:.3f} of single wall)")
            print(f"  sweep, wall, training only (wall_s minus 1-step run)  {t:12.0f} model-steps/s  "
                  f"({t / sw:.3f} of single wall)")
            tf = med(r_train_file)
            print(f"  sweep, wall, training only (wall_s minus eval_s)      {tf:12.0f} model-steps/s  "
                  f"({tf / sw:.3f} of single wall)")
            pt = st["steps"] / s  # a point's training at the single-model CPU rate
            print(f"  fixed cost per point (1-step wall_s, eval_batch 1024)  {1e3 * med(w1):8.3f} ms  "
                  f"= {100 * med(w1) / pt:.2f}% of a {st['steps']}-step point ({1e3 * pt:.1f} ms)")
            print(f"  final evaluation per point (1-step sweeps' difference, shared by a cell)  {1e3 * med(ev):8.3f} ms  "
                  f"= {100 * med(ev) / pt:.2f}% of that point")
            print(f"  final evaluation per point, /points/eval_s of the {st['steps']}-step sweep  "
                  f"{1e3 * med(ev_file):8.3f} ms = {100 * med(ev_share):.2f}% of its wall_s")
            print(f"  whole run's CPU per 1-step point (eval_batch 1024; start, metrics, record, messages, HDF5)  "
                  f"{1e3 * med(cpu1):8.3f} ms = {100 * med(cpu1) / pt:.2f}% of a {st['steps']}-step point")


if __name__ == "__main__":
    main()
