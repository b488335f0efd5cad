#!/usr/bin/python3
"""test_dynamics: analysis/dynamics.py with and without a W history; it draws D_i from tms-post's products.

1. The synthetic e6 fixture: tmsio's W_history() steps follow the curve rule; tms-post's D_i history
   (/dynamics/dimensionality_history) at each done point's last snapshot equals its /metrics/dimensionality, and
   the script draws a PNG with the history and the jump/drop marks (/dynamics/jump_step, drop_step); without
   --post it refuses (it computes no D_i of its own); with /results/W_history removed it still draws one and
   prints a note.
2. When TMS_SWEEP and TMS_POST are set (ctest): a real tms-sweep run of tests/orchestrator/tiny.yaml (W history
   on its small shape) and its tms-post file: the D_i history's last snapshot equals the store's
   /metrics/dimensionality to 1e-6, entry 0 differs from the last, and the script draws the real file.
usage: test_dynamics.py ANALYSIS_DIR FIXTURE_SCRIPT [TINY_SWEEP_YAML]
Exit 77 (skip) without /usr/bin/python3 + h5py + matplotlib.
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

adir, fixture = sys.argv[1], sys.argv[2]
tiny = sys.argv[3] if len(sys.argv) > 3 else None
sys.path.insert(0, adir)
import tmsio  # noqa: E402

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def close(got, want, tol, what):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    diff = np.max(np.abs(got - want)) if got.shape == want.shape and got.size else np.inf
    check(got.shape == want.shape and diff <= tol, f"{what} (max diff {diff:.3g}, tol {tol:g})")


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=os.path.join(tmp, "mpl"))
    py = sys.executable

    def script(*args):
        return subprocess.run([py, os.path.join(adir, "dynamics.py"), *args], capture_output=True, text=True,
                              env=env)

    def png(path):
        return os.path.exists(path) and open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    # ---- 1. fixture ----
    r, p = os.path.join(tmp, "r.h5"), os.path.join(tmp, "p.h5")
    subprocess.run([py, fixture, "e6", r, p], check=True)
    res = tmsio.Results(r)
    post = tmsio.Post(p)
    Dh = post.need("dimensionality_history")
    done = res.done()
    n_checked = 0
    for idx in np.ndindex(*res.shape):
        if not done[idx]:
            continue
        steps, H = res.W_history(idx)
        every, T = int(res.p("snapshot_every", idx)), int(res.p("steps", idx))
        want_steps = np.minimum(np.arange(len(H)) * every, T - 1)
        check(len(H) == int(res.attr("snapshot_len")) and (steps == want_steps).all() and steps[-1] == T - 1,
              f"point {idx}: {len(H)} snapshots at steps min(k*{every}, {T - 1})")
        n = res.nm(idx)[0]
        close(Dh[idx][len(H) - 1, :n], res.feat("/metrics/dimensionality", idx), 1e-6,
              f"point {idx}: tms-post's D_i history at the last snapshot = /metrics/dimensionality")
        xe, ye = res.eval_curve(idx)
        ee = int(res.p("eval_every", idx))
        check(len(ye) == int(res.attr("eval_len")) and (xe == np.minimum(np.arange(len(ye)) * ee, T - 1)).all()
              and xe[-1] == T - 1, f"point {idx}: {len(ye)} eval-curve entries at steps min(k*{ee}, {T - 1})")
        n_checked += 1
    check(n_checked >= 2, f"{n_checked} done fixture points checked")
    res.close()
    post.close()
    out = os.path.join(tmp, "h.png")
    cp = script(r, "--post", p, "-o", out, "--replicate", "all")
    check(cp.returncode == 0 and png(out), f"with W history: PNG written ({cp.stderr.strip()[-300:]})")
    check("note" not in cp.stdout, "with W history: no missing-history note")
    cp = script(r, "-o", os.path.join(tmp, "nopost.png"))
    check(cp.returncode != 0 and "--post" in cp.stderr,
          f"with W history but no --post: refused, naming --post ({cp.stderr.strip()[-200:]})")
    r2, p2 = os.path.join(tmp, "r2.h5"), os.path.join(tmp, "p2.h5")
    subprocess.run([py, fixture, "e6", r2, p2, "--drop", "/results/W_history"], check=True)
    out2 = os.path.join(tmp, "n.png")
    cp = script(r2, "--post", p2, "-o", out2)
    check(cp.returncode == 0 and png(out2), f"without W history: PNG written ({cp.stderr.strip()[-300:]})")
    check("W_history" in cp.stdout, f"without W history: a note says so ({cp.stdout.strip()})")
    r3, p3 = os.path.join(tmp, "r3.h5"), os.path.join(tmp, "p3.h5")
    subprocess.run([py, fixture, "e6", r3, p3, "--drop", "/results/eval_curve"], check=True)
    res = tmsio.Results(r3)
    check(len(res.eval_curve(tuple(0 for _ in res.shape))[0]) == 0, "without /results/eval_curve: empty curve")
    res.close()
    out3 = os.path.join(tmp, "e.png")
    cp = script(r3, "--post", p3, "-o", out3)
    check(cp.returncode == 0 and png(out3), f"without eval curve: PNG written ({cp.stderr.strip()[-300:]})")

    # ---- 2. a real results file ----
    sweep, tpost = os.environ.get("TMS_SWEEP"), os.environ.get("TMS_POST")
    if sweep and tpost and tiny and os.path.exists(sweep) and os.path.exists(tpost):
        real, realp = os.path.join(tmp, "tiny.h5"), os.path.join(tmp, "tiny.post.h5")
        cp = subprocess.run([sweep, "run", tiny, "-o", real, "--quiet"], capture_output=True, text=True)
        check(cp.returncode == 0, f"tms-sweep run {tiny}: exit {cp.returncode} {cp.stderr.strip()[-300:]}")
        cp = subprocess.run([tpost, real, "-o", realp, "--no-vulnerability"], capture_output=True, text=True)
        check(cp.returncode == 0, f"tms-post {real}: exit {cp.returncode} {cp.stderr.strip()[-300:]}")
        res = tmsio.Results(real)
        post = tmsio.Post(realp)
        Dh = post.need("dimensionality_history")
        done = res.done()
        with_hist = 0
        for idx in np.ndindex(*res.shape):
            if not done[idx]:
                continue
            steps, H = res.W_history(idx)
            if len(H) == 0:
                continue
            with_hist += 1
            n = res.nm(idx)[0]
            close(Dh[idx][len(H) - 1, :n], res.feat("/metrics/dimensionality", idx), 1e-6,
                  f"real point {idx}: tms-post's D_i of the last snapshot = the store's /metrics/dimensionality")
            check(not np.array_equal(Dh[idx][0, :n], Dh[idx][len(H) - 1, :n]), f"real point {idx}: D_i moved")
            check(np.array_equal(H[-1], res.W(idx)), f"real point {idx}: last snapshot == /results/W")
            check(not np.array_equal(H[0], H[-1]), f"real point {idx}: W moved during training")
        check(with_hist >= 4, f"{with_hist} real points with a W history")
        # evaluation curve (the large shape of tiny.yaml, eval_every 30, eval_batch 256): entries at the curve rule,
        # finite, falling overall; NaN rows for points with eval_every 0
        with_eval = 0
        ev = res.get("/results/eval_curve")
        for idx in np.ndindex(*res.shape):
            if not done[idx]:
                continue
            xe, ye = res.eval_curve(idx)
            if int(res.p("eval_every", idx)) == 0:
                check(np.isnan(ev[idx]).all(), f"real point {idx}: eval_every 0 -> NaN eval-curve row")
                continue
            with_eval += 1
            T, ee = int(res.p("steps", idx)), int(res.p("eval_every", idx))
            check((xe == np.minimum(np.arange(len(xe)) * ee, T - 1)).all() and xe[-1] == T - 1 and len(xe) == 8,
                  f"real point {idx}: {len(xe)} finite eval-curve entries at min(k*{ee}, {T - 1})")
            check(ye[-1] < ye[0], f"real point {idx}: evaluation loss falls ({ye[0]:.4g} -> {ye[-1]:.4g})")
        check(with_eval >= 4, f"{with_eval} real points with an evaluation curve")
        res.close()
        post.close()
        out3 = os.path.join(tmp, "real.png")
        cp = script(real, "--post", realp, "-o", out3, "--replicate", "0,1")
        check(cp.returncode == 0 and png(out3), f"real file: PNG written ({cp.stderr.strip()[-300:]})")
    else:
        print("note: TMS_SWEEP or TMS_POST not set: the real-file part is skipped")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("PASS")
