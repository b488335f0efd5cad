#!/usr/bin/python3
"""represented: E1 (HPC grid) summary curves. Against 1/(1-S) (log x): the number of represented features
(the post file's /summary/represented: ||W_i|| above its attribute `threshold`) and the total superposition
sum_i s_i over the REPRESENTED features (/summary/total_interference), every done replicate as a dot and the mean
as a line, with a dashed line at m. Only represented features count because an unlearned feature (W_i ~ 0) has
s_i ~ 1 from its direction alone (s_i is scale-free in W_i). Both counts are tms-post's; this only draws.
One colour per combination of the other grid dimensions (e.g. variant x size); restrict with --select.
"""
import numpy as np

import tmsio


def main(argv=None):
    args, plt, res, post = tmsio.post_density_figure(__doc__, argv, "represented",
                                                     "tms-post counts the represented features")
    rep = post.need("represented").astype(np.float64)
    tot = post.need("total_interference")
    threshold = float(post.dset_attr("represented", "threshold"))
    for name, a in (("represented", rep), ("total_interference", tot)):
        if a.shape != res.shape:
            raise tmsio.TmsDataError(f"{post.path}: /summary/{name} has shape {a.shape}, the results grid is "
                                     f"{res.shape}")
    done = res.done()
    xdim = args.x or tmsio.find_density_dim(res)
    inv = 1.0 / tmsio.density_axis(res, xdim)
    o = np.argsort(inv)
    sel = tmsio.select_from_args(res, args)
    rows = tmsio.rest_indices(res, [xdim], sel)
    R = res.shape[-1]
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    ms = set()
    for c, combo in enumerate(rows):
        col = f"C{c % 10}"
        mean_r, mean_t = np.full(len(inv), np.nan), np.full(len(inv), np.nan)
        for k in range(len(inv)):
            pts = [tuple((k if d == xdim else (q if d == "replicate" else combo[d])) for d in res.dims)
                   for q in range(R)]
            pts = [p for p in pts if done[p]]
            if not pts:
                continue
            r, t = np.array([rep[p] for p in pts]), np.array([tot[p] for p in pts])
            a0.scatter([inv[k]] * len(r), r, s=5, color=col, alpha=0.5)
            a1.scatter([inv[k]] * len(t), t, s=5, color=col, alpha=0.5)
            mean_r[k], mean_t[k] = r.mean(), t.mean()
            ms.add(res.nm(pts[0])[1])
        label = tmsio.cell_label(res, combo).replace("\n", " ") or None
        a0.plot(inv[o], mean_r[o], "-", color=col, label=label)
        a1.plot(inv[o], mean_t[o], "-", color=col, label=label)
    for m in sorted(ms):
        a0.axhline(m, color="0.5", ls="--", lw=0.7)
    for a, yl in ((a0, f"represented features (||W_i|| > {threshold:g})"), (a1, "sum of s_i over represented features")):
        a.set_xscale("log")
        a.set_xlabel("1/(1-S)")
        a.set_ylabel(yl)
    if any(tmsio.cell_label(res, c) for c in rows):
        a0.legend(fontsize=7)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: represented features and superposition (dashed: m)")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
