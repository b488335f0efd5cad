#!/usr/bin/python3
"""perturbation: E4, perturbing the density of one feature (the last) of a 5-in-2 pentagon.

Top: final loss of every done restart against the varied density (--x, default last_density; log x), coloured
by the geometry of that model, with the lowest loss per geometry and value joined by a line, so the two loss
branches and their crossing (the first-order transition) show. Bottom: the lowest-loss model per value,
canonicalised (perturbed feature on +x, its nearest neighbour by angle counter-clockwise; see embeddings_2d).
Geometry rule (a figure label only, from the post file; ours): "all n represented" if every ||W_i|| (/features/norm)
is above the threshold of /summary/represented; "digons, perturbed dropped" if the perturbed feature is not and
every other represented feature has tms-post's polytope label "digon" (/features/geometry, D_i = 1/2 within its
tolerance); otherwise "other (k represented)".
"""
import argparse

import numpy as np

import tmsio
from embeddings_2d import canonicalise, draw_embedding, feature_colors


def geometry(norm, labels, pert, threshold):
    rep = norm > threshold
    if rep.all():
        return f"all {len(norm)} represented"
    others = [i for i in range(len(norm)) if i != pert and rep[i]]
    if not rep[pert] and others and all(labels[i] == "digon" for i in others):
        return "digons, perturbed dropped"
    return f"other ({int(rep.sum())} represented)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", default="last_density", help="the varied dimension (default last_density)")
    ap.add_argument("--max-cols", type=int, default=8, help="embeddings drawn for at most this many values")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()
    from matplotlib.gridspec import GridSpec

    res = tmsio.Results(args.results)
    if not args.post:
        raise tmsio.TmsDataError("perturbation needs --post POST.h5 (tms-post labels the geometry)")
    post = tmsio.Post(args.post)
    loss, norm_all, geo_all = res.get("loss"), post.need("norm"), post.need("geometry")
    geo_names = list(post.dset_attr("geometry", "names"))
    threshold = float(post.dset_attr("represented", "threshold"))
    res.get("W")
    xdim = args.x
    xv = np.asarray(res.axis(xdim), dtype=np.float64)
    sel = tmsio.select_from_args(res, args)
    rows = tmsio.rest_indices(res, [xdim], sel)
    if len(rows) > 1:
        print(f"note: {len(rows)} combinations of other dimensions; drawing the first "
              f"({tmsio.cell_label(res, rows[0])}); choose with --select")
    combo = rows[0]
    done = res.done()
    R = res.shape[-1]
    xs = list(range(len(xv)))
    emb = xs if len(xs) <= args.max_cols else [xs[int(round(k))] for k in np.linspace(0, len(xs) - 1, args.max_cols)]

    fig = plt.figure(figsize=(max(8, 1.6 * len(emb) + 1), 6.2), layout="constrained")
    gs = GridSpec(2, len(emb), figure=fig, height_ratios=[2.2, 1])
    ax = fig.add_subplot(gs[0, :])
    branches = {}
    colors = {}
    for k in xs:
        for q in range(R):
            p = tuple(dict(combo, **{xdim: k}).get(d, q) if d != "replicate" else q for d in res.dims)
            if not done[p] or not np.isfinite(loss[p]):
                continue
            n, _ = res.nm(p)
            labels = [geo_names[c] if 0 <= c < len(geo_names) else "other" for c in geo_all[p][:n]]
            g = geometry(norm_all[p][:n], labels, n - 1, threshold)
            if g not in colors:
                colors[g] = f"C{len(colors)}"
            ax.scatter(xv[k], loss[p], s=10, color=colors[g], alpha=0.6)
            b = branches.setdefault(g, {})
            b[k] = min(b.get(k, np.inf), loss[p])
    for g, b in branches.items():
        ks = sorted(b)
        ax.plot(xv[ks], [b[k] for k in ks], "-", color=colors[g], lw=1.2, label=g)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{xdim} (density of the perturbed feature)")
    ax.set_ylabel("final loss")
    if branches:
        ax.legend(fontsize=8)
    ax.set_title(tmsio.cell_label(res, combo) or "", fontsize=8)
    cmap_imp, cmap_set = plt.get_cmap("viridis"), plt.get_cmap("tab10")
    for c, k in enumerate(emb):
        a = fig.add_subplot(gs[1, c])
        idx = tmsio.pick_replicate(res, dict(combo, **{xdim: k}), args.replicate)
        if idx is None or res.nm(idx)[1] != 2:
            a.text(0.5, 0.5, "no data" if idx is None else "m != 2", ha="center", va="center", transform=a.transAxes)
            a.set_xticks([])
            a.set_yticks([])
        else:
            W = canonicalise(res.W(idx))
            cols = feature_colors(res, idx, "feature", cmap_imp, cmap_set)
            draw_embedding(a, W, cols)
            a.scatter([W[-1, 0]], [W[-1, 1]], s=60, facecolors="none", edgecolors="r", zorder=4)
        a.set_title(f"{xv[k]:.3g}", fontsize=7)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: perturbing one feature (red ring: perturbed feature)")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
