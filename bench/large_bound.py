#!/usr/bin/python3
"""The best ratio against the reference the large shapes could reach at a given density, computed from measured
sparsity and the measured sgemm rate (issue 7 item 2: where 25x is out of reach, the claim is computed, not asserted).

What it computes, per shape and density:
  - the nonzero fractions of x and of dout over a whole training run, per window (tms-step-trace N M p STEPS
    WINDOW: the trainer's own step, the sparsity every window's last batch shows);
  - the least multiply-add work a step can do with that sparsity, counting every formulation the large path has
    or could have at its cheapest and assuming each product knows its nonzeros for free:
        read-out   min(B N M (h W^T), N^2 M / 2 (ssyrk) + nnz_x N (the Gram gather))
        read-out backward   2 nnz_dout M (dWout = dout^T h and dh = dout W over dout's nonzeros only)
        read-in    2 nnz_x M (h = x W and dW += x^T dh over x's nonzeros only)
    (no data generation, loss, bias, optimizer or index handling counted: all of them are extra);
  - that work at the rate of the step's products measured on the same core (tms-sgemm-rate, GFLOP/s, 2 flops per
    multiply-add; the faster of OpenBLAS's sgemm and the products as tms runs them, tms_skinny_gemm): a sparse product running as fast per multiply-add as a dense sgemm is optimistic, so the step
    rate it gives is an upper bound on what any implementation of these formulations reaches;
  - the reference's model-steps/s at K=10 on the same core (bench.py's run_torch), and the bound's ratio over it.
If the bound's ratio is below 25, 25x is out of reach for this arithmetic at that density on this core.

  bench/large_bound.py [--trace build/tms-step-trace] [--sgemm-rate build/tms-sgemm-rate] [--steps 10000]
                       [--window 1000] [--shapes 200x20,400x30] [--densities 0.05,0.01] [--isa auto] [--core 0]
Prints a markdown table (bench/README.md, "Large shapes"). Not a test.
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (run, run_torch, ISA_ENV, environment)

TORCH_STEPS = {(200, 20): 10, (400, 30): 8}
B = 1024


def trace(args, n, m, p, isa):
    """[(steps in window, nnz_x fraction, nnz_dout fraction)] over the run, from tms-step-trace."""
    out, _, _ = bench.run(["taskset", "-c", str(args.core), args.trace, str(n), str(m), str(p), str(args.steps),
                           str(args.window)], bench.ISA_ENV[isa])
    rows = []
    for line in out.splitlines():
        w = re.match(r"window\s+(\d+)-(\d+)\s.*nnz_x ([0-9.]+) nnz_dout ([0-9.]+)", line)
        if w:
            rows.append((int(w.group(2)) - int(w.group(1)), float(w.group(3)), float(w.group(4))))
    if not rows:
        raise RuntimeError("tms-step-trace printed no windows:\n" + out)
    return rows


def least_macs(n, m, fx, fd):
    nnz_x, nnz_d = fx * B * n, fd * B * n
    readout = min(B * n * m, n * n * m / 2 + nnz_x * n)
    return readout + 2 * nnz_d * m + 2 * nnz_x * m


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tms", default=os.path.join(here, "..", "build", "tms-sweep"))  # for the commit it reports
    ap.add_argument("--trace", default=os.path.join(here, "..", "build", "tms-step-trace"))
    ap.add_argument("--sgemm-rate", default=os.path.join(here, "..", "build", "tms-sgemm-rate"))
    ap.add_argument("--torch", default=os.path.join(here, "reference", "tms_torch.py"))
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--shapes", default="200x20,400x30")
    ap.add_argument("--densities", default="0.05,0.01")
    ap.add_argument("--isa", default="auto")
    ap.add_argument("--core", type=int, default=0)
    args = ap.parse_args()
    env = bench.environment(args)
    load0 = os.getloadavg()[0]
    rows = []
    for s in args.shapes.split(","):
        n, m = (int(v) for v in s.split("x"))
        out, _, _ = bench.run(["taskset", "-c", str(args.core), args.sgemm_rate, str(n), str(m), str(B), "100"],
                              bench.ISA_ENV[args.isa])
        # the faster of sgemm and the products as the kernels run them (tms_skinny_gemm beats sgemm on these shapes)
        rate = max(float(re.search(r"rate_step_median ([0-9.]+)", out).group(1)),
                   float(re.search(r"rate_step_used_median ([0-9.]+)", out).group(1)))
        core = re.search(r"openblas_core (\S+)", out).group(1)
        for p in (float(d) for d in args.densities.split(",")):
            windows = trace(args, n, m, p, args.isa)
            steps = sum(w[0] for w in windows)
            secs = sum(w[0] * 2 * least_macs(n, m, w[1], w[2]) / (rate * 1e9) for w in windows)
            _, t_rate = bench.run_torch(args, n, m, p, 10, TORCH_STEPS[(n, m)], args.isa)
            bound = steps / secs
            rows.append((n, m, p, windows, 2e-6 * least_macs(n, m, windows[-1][1], windows[-1][2]), rate, core,
                         bound, t_rate))
            print("n=%d m=%d p=%g bound %.0f steps/s torch %.0f ratio %.1f" % (n, m, p, bound, t_rate, bound / t_rate),
                  flush=True)
    print("\nMeasured %s on %s, core %d, ISA path `%s` (%s), tms git %s, %d-step runs, windows of %d; load average "
          "(1 min) %.1f / %.1f." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), env["cpu"], args.core,
                                    args.isa, " ".join("%s=%s" % kv for kv in bench.ISA_ENV[args.isa].items())
                                    or "nothing forced", env["git"], args.steps, args.window, load0,
                                    os.getloadavg()[0]))
    print("\n| n | m | density | x nonzero | dout nonzero (first / last window) | least MFLOP per step (last window) | "
          "rate of the products (faster of sgemm and tms's) | bound, steps/s | torch K=10 | bound's ratio | 25x within the bound |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|")
    for (n, m, p, w, mflop, rate, core, bound, t) in rows:
        print("| %d | %d | %g | %.3f | %.3f / %.3f | %.1f | %.1f GFLOP/s (%s) | %.0f | %.0f | **%.1f** | %s |" % (
            n, m, p, w[-1][1], w[0][2], w[-1][2], mflop, rate, core, bound, t, bound / t,
            "yes (not ruled out)" if bound / t >= 25 else "no: out of reach"))


if __name__ == "__main__":
    sys.exit(main())
