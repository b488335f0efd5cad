#!/usr/bin/python3
"""Side-by-side speed of the C trainer (tms-sweep train) and the PyTorch reference (tms_torch.py), one core each.

What it measures: model-steps per second (one model, one AdamW step on a fresh batch of 1024 samples) of relu_out
at n/m = 2/1, 5/2, 20/5 (densities 1 and 0.02) and 200/20, 400/30 (densities 1, 0.05 and 0.01), for
  tms    `tms-sweep train ... --eval-batch 1024 --quiet`, ONE model per process. The final evaluation batch is
         1024 instead of the default 8192 (one extra forward pass, under 0.1% of a run), so a run times training.
  torch  the unmodified reference with K models batched in one tensor (its way of working, like the notebook),
         K = 10 (its default) and K = 1 (one model against one model).
with two clocks:
  CPU    user+sys CPU seconds of the process (wait4), the headline, least disturbed by other jobs on the core.
         tms: (S - 1) / (CPU of an S-step run - CPU of a 1-step run), start-up/eval/metrics subtracted.
         torch: K * S / CPU counted after `import torch` (TORCH_HOST runs the script in an interpreter that has
         already imported torch), so set-up and the slower first step count, the import does not.
  wall   tms: S / wall time of the whole process (exec, start-up, training, eval, metrics: conservative);
         torch: the rate it prints itself (wall time of its training loop only: favourable to torch).
How: every run is pinned to the same core with `taskset -c CORE`, OpenBLAS/OpenMP/torch held to one thread. The
machine is shared and noisy, so each round runs tms, torch K=10 and torch K=1 back to back on one configuration,
the ratios tms/torch are taken within the round, and the tables give medians over rounds and the min-max of the
per-round ratios. The wall time of a 1-step tms run is reported as its fixed cost per run, and the CPU time a
1-step run with the default final evaluation (eval_batch 2^20) takes beyond one with 1024 samples as the cost of
that evaluation per point, on its own column.
Run lengths are sized so one run lasts about a second on the project machine (C_STEPS, TORCH_STEPS).
Instruction-set paths (--isa, default "auto,avx2"): every table is measured once per path. "auto" is the widest
path of the machine (AVX-512 where there is one); "avx2" forces the AVX2 path on both sides, as on a CPU without
AVX-512: TMS_ISA=avx2 for tms, OPENBLAS_CORETYPE=Haswell for OpenBLAS (tms and torch), ATEN_CPU_CAPABILITY=avx2
for torch's own kernels. Each table names the CPU, the kernels path tms reports and OpenBLAS's core
(openblas_get_corename, as tms-sweep train prints it). A path the CPU lacks is skipped with a note.

  bench/bench.py [--tms build/tms-sweep] [--torch bench/reference/tms_torch.py] [--rounds 5] [--core 0]
                 [--readme bench/README.md] [--quick] [--shapes 2x1,400x30] [--isa auto,avx2] [--ks 10,1]

Writes the table, with the date, CPU, OpenBLAS, torch and git versions and the load average, between the markers
<!-- bench:begin --> and <!-- bench:end --> of the --readme file (appended if the markers are missing), and
prints it. Not a test: nothing here passes or fails on a number.
"""
import argparse
import ctypes
import os
import re
import statistics
import subprocess
import sys
import time

SHAPES = [(2, 1), (5, 2), (20, 5), (200, 20), (400, 30)]
# The small shapes at the paper's dense and sparse ends; the large ones also at 0.05, where E3/E7 live.
DENSITIES = {(2, 1): [1.0, 0.02], (5, 2): [1.0, 0.02], (20, 5): [1.0, 0.02],
             (200, 20): [1.0, 0.05, 0.01], (400, 30): [1.0, 0.05, 0.01]}
KS = [10, 1]
# Steps per run, so that one run lasts about a second (C: ~3 us/step at 2x1 .. ~2.5 ms/step at 400x30).
C_STEPS = {(2, 1): 300000, (5, 2): 150000, (20, 5): 30000, (200, 20): 1000, (400, 30): 400}
# The environment of each instruction-set path, for both sides (see the docstring).
ISA_ENV = {"auto": {}, "avx2": {"TMS_ISA": "avx2", "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"},
           "generic": {"TMS_ISA": "generic", "OPENBLAS_CORETYPE": "Prescott", "ATEN_CPU_CAPABILITY": "default"}}
# Reference steps per run (each step trains K models): K=10 ~6000 model-steps/s at 2x1 .. ~40 at 400x30.
TORCH_STEPS = {10: {(2, 1): 600, (5, 2): 300, (20, 5): 100, (200, 20): 10, (400, 30): 8},
               1: {(2, 1): 1500, (5, 2): 1000, (20, 5): 400, (200, 20): 60, (400, 30): 60}}
EVAL_BATCH = 1024
FULL_EVAL = 1 << 20  # the default eval_batch of a sweep point (spec.c): its cost is reported on its own
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def run(cmd, extra_env):
    """Run one process to completion; return (stdout, wall seconds, CPU seconds user+sys of that process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=dict(os.environ, **ONE_THREAD, **extra_env))
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("%s exited with %d" % (" ".join(cmd), proc.returncode))
    return out, wall, ru.ru_utime + ru.ru_stime


def run_c(args, n, m, p, steps, isa, eval_batch=EVAL_BATCH):
    """(wall s, CPU s) of one `tms-sweep train` process of `steps` steps."""
    _, wall, cpu = run(["taskset", "-c", str(args.core), args.tms, "train", "--n-features", str(n),
                        "--n-hidden", str(m), "--density", str(p), "--steps", str(steps), "--log-every", str(steps),
                        "--eval-batch", str(eval_batch), "--seed", "1", "--quiet"], ISA_ENV[isa])
    return wall, cpu


# Hosts the unmodified reference script in an interpreter that has already imported torch, and prints the CPU time
# of the process from there on (argument parsing, set-up and the training loop; not the ~1.5 s of `import torch`).
TORCH_HOST = ("import sys, time, runpy, torch\n"
              "c0 = time.process_time()\n"
              "sys.argv = sys.argv[1:]\n"
              "runpy.run_path(sys.argv[0], run_name='__main__')\n"
              "print('cpu_after_import_s=%.6f' % (time.process_time() - c0))\n")


def run_torch(args, n, m, p, k, steps, isa):
    """(model-steps/s the reference reports for its own loop (wall), model-steps per CPU second after import)."""
    out, _, _ = run(["taskset", "-c", str(args.core), "/usr/bin/python3", "-c", TORCH_HOST, args.torch, "--n", str(n),
                     "--m", str(m), "--instances", str(k), "--steps", str(steps), "--density", str(p), "--threads",
                     "1"], ISA_ENV[isa])
    wall_rate = float(re.search(r"model_steps_per_s=([0-9.]+)", out).group(1))
    cpu = float(re.search(r"cpu_after_import_s=([0-9.]+)", out).group(1))
    return wall_rate, k * steps / cpu


def environment(args):
    """One line each: CPU, OpenBLAS, torch, git commit, so a reader can tell which machine and build made a table."""
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"
    lscpu = sh(["lscpu"])
    cpu = re.search(r"Model name:\s*(.*)", lscpu)
    family, model = re.search(r"CPU family:\s*(.*)", lscpu), re.search(r"Model:\s*(.*)", lscpu)
    flags = re.search(r"Flags:\s*(.*)", lscpu)
    flags = set(flags.group(1).split()) if flags else set()
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_config.restype = lib.openblas_get_corename.restype = ctypes.c_char_p
        # The build only: this process's core is OpenBLAS's own pick, without the path's OPENBLAS_CORETYPE; the
        # core the runs use is the one tms reports (isa_report), named in each table's heading.
        blas = " ".join(w for w in lib.openblas_get_config().decode().split()
                        if w != lib.openblas_get_corename().decode())
    except OSError:
        blas = "?"
    torch_v = sh(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"])
    git = sh(["git", "-C", os.path.dirname(os.path.abspath(args.tms)), "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "status", "--porcelain", "--", "../src"])
    cpu_name = (cpu.group(1) if cpu else "?") + (" (family %s, model %s)" % (family.group(1), model.group(1))
                                                  if family and model else "")
    return {"cpu": cpu_name, "blas": blas, "torch": torch_v, "flags": flags,
            "git": git + (" (src/ modified)" if dirty else "")}


def isa_report(args, isa):
    """(kernels path, OpenBLAS core) as tms-sweep train reports them under this path's environment, or None.
    Where the path's environment leaves OpenBLAS's core open, it is pinned from here on to the core tms runs, for
    every process of the path (torch and the sgemm tool too): tms replaces a core OpenBLAS fell back to on a CPU it
    does not know (kernels/blas_core.h), and the reference must run the same OpenBLAS kernels."""
    proc = subprocess.run([args.tms, "train", "--n-features", "2", "--n-hidden", "1", "--density", "1", "--steps", "1",
                           "--eval-batch", "16"], capture_output=True, text=True,
                          env=dict(os.environ, **ONE_THREAD, **ISA_ENV[isa]))
    found = re.search(r"kernels (\S+) \(.*?\), OpenBLAS core (\S+)", proc.stderr)
    if proc.returncode != 0 or not found:
        return None
    inherited = {k: v for k, v in os.environ.items() if k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if inherited and "OPENBLAS_CORETYPE" not in ISA_ENV[isa]:
        # Seen on a Zen 5 (session 18): the machine's environment held OPENBLAS_CORETYPE=Haswell, so "auto" ran
        # Haswell where OpenBLAS on its own picks Cooperlake. The tables then name that core, and say where from.
        print("bench: the environment sets %s: the %s path runs that, not OpenBLAS's own choice (unset it to measure "
              "that)" % (" ".join("%s=%s" % kv for kv in inherited.items()), isa), file=sys.stderr)
        ISA_ENV[isa].update(inherited)
    ISA_ENV[isa].setdefault("OPENBLAS_CORETYPE", found.group(2))
    return found.group(1), found.group(2)


def table(rows, args, env, rounds, load0, load1, when, isa, report):
    med = statistics.median

    def rng(v):
        return "**%.1f** (%.1f-%.1f)" % (med(v), min(v), max(v))
    ks = args.ks
    kcols = " | ".join("torch K=%d" % k for k in ks)
    rcols = " | ".join("ratio vs K=%d (range)" % k for k in ks)
    lines = ["### ISA path `%s`: tms kernels %s, OpenBLAS core %s" % (isa, report[0], report[1]), "",
             "Measured %s on %s, %d round(s), every run pinned to core %d (`taskset`), one thread each; environment "
             "of both sides: `%s`." % (when, env["cpu"], rounds, args.core,
                                      " ".join("%s=%s" % kv for kv in ISA_ENV[isa].items()) or "(nothing forced)"),
             "OpenBLAS: `%s`; torch %s; tms git %s. Load average (1 min) at start / end: %.1f / %.1f on 2 cores "
             "(the machine is shared, hence per-round ratios)." % (env["blas"], env["torch"], env["git"], load0, load1),
             "",
             "**CPU time** (user+sys of the process; tms: a `--steps 1` run subtracted; torch: counted after `import torch`. "
             "Robust to other processes sharing the core):",
             "",
             "| n | m | density | tms model-steps/s | %s | %s | final eval (2^20 samples), CPU ms |" % (kcols, rcols),
             "|---:|---:|---:|---:|" + "---:|" * (2 * len(ks) + 1)]
    for r in rows:
        lines.append("| %d | %d | %g | %.0f | %s | %s | %.1f |" % (
            r["n"], r["m"], r["p"], med(r["c_cpu"]), " | ".join("%.0f" % med(r["t_cpu"][k]) for k in ks),
            " | ".join(rng(r["r_cpu"][k]) for k in ks), 1e3 * med(r["eval"])))
    lines += ["",
              "**Wall clock** (tms: whole process incl. start-up, eval and metrics; torch: its own training-loop "
              "timer, import excluded):",
              "",
              "| n | m | density | tms model-steps/s | %s | %s | tms fixed cost, ms |" % (kcols, rcols),
              "|---:|---:|---:|---:|" + "---:|" * (2 * len(ks) + 1)]
    for r in rows:
        lines.append("| %d | %d | %g | %.0f | %s | %s | %.0f |" % (
            r["n"], r["m"], r["p"], med(r["c_wall"]), " | ".join("%.0f" % med(r["t_wall"][k]) for k in ks),
            " | ".join(rng(r["r_wall"][k]) for k in ks), 1e3 * med(r["fixed"])))
    lines += ["", "Rates are medians over rounds; ratios are medians (min-max) of the per-round ratios tms / torch.",
              ""]
    return "\n".join(lines) + "\n"


def write_readme(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1:]
    else:
        text += ("\n" if text else "") + block
    with open(path, "w") as f:
        f.write(text)


def measure(args, shape, p, isa, rounds, scale):
    """All rounds of one configuration on one path: tms and every K of torch back to back in each round."""
    n, m = shape
    cs = max(100, C_STEPS[shape] // scale)
    ts = {k: max(3, TORCH_STEPS[k][shape] // scale) for k in args.ks}
    r = {"n": n, "m": m, "p": p, "c_cpu": [], "c_wall": [], "fixed": [], "eval": [],
         "t_cpu": {k: [] for k in args.ks}, "t_wall": {k: [] for k in args.ks},
         "r_cpu": {k: [] for k in args.ks}, "r_wall": {k: [] for k in args.ks}}
    for _ in range(rounds):  # one configuration at a time, sides back to back: load hits them alike
        w1, c1 = run_c(args, n, m, p, 1, isa)
        w, c = run_c(args, n, m, p, cs, isa)
        _, ce = run_c(args, n, m, p, 1, isa, FULL_EVAL)
        c_cpu, c_wall = (cs - 1) / (c - c1), cs / w
        r["fixed"].append(w1)
        r["eval"].append(ce - c1)
        r["c_cpu"].append(c_cpu)
        r["c_wall"].append(c_wall)
        for k in args.ks:
            t_wall, t_cpu = run_torch(args, n, m, p, k, ts[k], isa)
            r["t_cpu"][k].append(t_cpu)
            r["t_wall"][k].append(t_wall)
            r["r_cpu"][k].append(c_cpu / t_cpu)
            r["r_wall"][k].append(c_wall / t_wall)
    med = statistics.median
    print("[%s] n=%d m=%d p=%g  CPU: tms %.0f %s | wall: tms %.0f | fixed %.3f s | eval %.1f ms" % (
        isa, n, m, p, med(r["c_cpu"]), " ".join("K=%d %.0f -> x%.1f" % (k, med(r["t_cpu"][k]), med(r["r_cpu"][k]))
                                                 for k in args.ks), med(r["c_wall"]), med(r["fixed"]),
        1e3 * med(r["eval"])), flush=True)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--tms", default=os.path.join(here, "..", "build", "tms-sweep"))
    ap.add_argument("--torch", default=os.path.join(here, "reference", "tms_torch.py"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--readme", default=os.path.join(here, "README.md"), help="file to write the table into")
    ap.add_argument("--shapes", default=None, help="subset, e.g. 2x1,400x30")
    ap.add_argument("--isa", default="auto,avx2", help="instruction-set paths, one table each (auto, avx2, generic)")
    ap.add_argument("--ks", default="10,1", help="torch instance counts K to compare against")
    ap.add_argument("--quick", action="store_true", help="one round, a tenth of the steps (smoke run, not a result)")
    args = ap.parse_args()
    args.ks = [int(k) for k in args.ks.split(",")]
    rounds = 1 if args.quick else args.rounds
    scale = 10 if args.quick else 1
    shapes = SHAPES if not args.shapes else [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]

    env = environment(args)
    blocks = [BEGIN]
    for isa in args.isa.split(","):
        report = isa_report(args, isa)
        if report is None:
            blocks.append("### ISA path `%s`: not run (this CPU lacks it or tms rejected TMS_ISA)\n" % isa)
            continue
        load0 = os.getloadavg()[0]
        rows = [measure(args, shape, p, isa, rounds, scale) for shape in shapes for p in DENSITIES[shape]]
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        blocks.append(table(rows, args, env, rounds, load0, os.getloadavg()[0], when, isa, report))
    blocks.append(END)
    block = "\n".join(blocks) + "\n"
    print(block)
    if not args.quick:
        write_readme(args.readme, block)
        print("wrote", args.readme)


if __name__ == "__main__":
    sys.exit(main())
