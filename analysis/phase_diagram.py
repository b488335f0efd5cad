#!/usr/bin/python3
"""phase_diagram: E2 phase-change diagrams of the extra (last) feature, empirical next to theory.

Panels per row (one row per combination of the other grid dimensions, e.g. the zip group `size` holding
n=2,m=1 and n=3,m=2): (1) the majority class /phase/class of the post file, (2) the class fractions
/phase/fraction mixed as colours, (3) the continuous [ZF]-style map from the results file (lowest-loss seed:
colour = clamp(s_x, 0, 1) from blue to red, saturation = clamp(||W_x||, 0, 1), white = not learned), (4) the theory:
/phase/theory_class of the post file, or /phase/class of a `tms-post theory` file given with --theory (drawn on
its own axes). Classes: 0 not represented (grey), 1 dedicated dimension (blue), 2 superposition (red),
-1 no data (white). Log axes: x = last_importance (relative importance r of the extra feature), y = density
1-S (or 1/(1-S) with --inverse). Dashed lines: the theory's phase boundaries, i.e. the cell edges where the
theory class of neighbouring cells differs (of the --theory file on its own grid, else of /phase/theory_class), so
a finer `tms-post theory` grid draws them finer. The classes, the theory and its agreement (the size_* attributes
of /phase/theory_class: per model size, for the majority of seeds and the lowest-loss seed, over all cells and
away from the boundaries, printed on that size's theory panel) all come from tms-post; this only draws.
"""
import argparse

import numpy as np

import tmsio

CLASS_COLORS = [(1, 1, 1), (0.82, 0.82, 0.82), (0.23, 0.44, 0.71), (0.82, 0.29, 0.36)]  # -1, 0, 1, 2
BLUE, RED = np.array(CLASS_COLORS[2]), np.array(CLASS_COLORS[3])
CLASS_NAMES = ["no data", "not represented", "dedicated", "superposition"]


def edges(v):
    """Cell edges of a log-spaced (or any positive) axis: geometric midpoints."""
    v = np.asarray(v, dtype=np.float64)
    if len(v) == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5])
    lv = np.log(v)
    mid = (lv[1:] + lv[:-1]) / 2
    e = np.concatenate([[lv[0] - (mid[0] - lv[0])], mid, [lv[-1] + (lv[-1] - mid[-1])]])
    return np.exp(e)


def size_agreement(res, post, combo):
    """tms-post's agreement with the theory for the model size (n, m) of this row (the size_* attributes of
    /phase/theory_class): majority of seeds and lowest-loss seed, all cells / away from the boundaries."""
    idx = tuple(combo.get(d, 0) for d in res.dims[:-1]) + (0,)
    n, m = res.nm(idx)
    try:
        sn = np.atleast_1d(post.dset_attr("theory_class", "size_n"))
        sm = np.atleast_1d(post.dset_attr("theory_class", "size_m"))
    except tmsio.TmsDataError:
        return "(no per-size agreement in this post file)"
    k = [q for q in range(len(sn)) if int(sn[q]) == n and int(sm[q]) == m]
    if not k:
        return f"n={n} m={m}: no cell compared"
    k = k[0]
    v = {a: np.atleast_1d(post.dset_attr("theory_class", f"size_{a}"))[k] for a in (
        "agreement_majority", "agreement_majority_away", "agreement_best", "agreement_best_away",
        "cells_majority", "cells_majority_away")}
    return (f"n={n} m={m} agreement, {int(v['cells_majority'])} cells / {int(v['cells_majority_away'])} away "
            f"from boundaries:\nmajority {v['agreement_majority']:.2f} / {v['agreement_majority_away']:.2f}, "
            f"lowest-loss seed {v['agreement_best']:.2f} / {v['agreement_best_away']:.2f}")


def slice2d(h5, arr, xdim, ydim, combo):
    """arr over h5.dims (+ trailing extra dims) -> array indexed [y, x, ...]."""
    idx = []
    for d in h5.dims:
        idx.append(slice(None) if d in (xdim, ydim) else combo[d])
    a = arr[tuple(idx)]
    kept = [d for d in h5.dims if d in (xdim, ydim)]
    if kept == [xdim, ydim]:
        a = np.swapaxes(a, 0, 1)
    return a


def class_edges(ax, xe, ye, th):
    """Dashed cell edges between neighbouring cells (both with a class) whose classes in th[y, x] differ."""
    ny, nx = th.shape
    for iy in range(ny):
        for ix in range(nx):
            if th[iy, ix] < 0:
                continue
            if ix + 1 < nx and th[iy, ix + 1] >= 0 and th[iy, ix + 1] != th[iy, ix]:
                ax.plot([xe[ix + 1]] * 2, [ye[iy], ye[iy + 1]], "k--", lw=0.8)
            if iy + 1 < ny and th[iy + 1, ix] >= 0 and th[iy + 1, ix] != th[iy, ix]:
                ax.plot([xe[ix], xe[ix + 1]], [ye[iy + 1]] * 2, "k--", lw=0.8)


def rgb_mesh(ax, xe, ye, rgb):
    """pcolormesh of an (ny, nx, 3) colour array (works on matplotlib versions without RGB pcolormesh)."""
    ny, nx = rgb.shape[:2]
    mesh = ax.pcolormesh(xe, ye, np.zeros((ny, nx)), shading="flat")
    mesh.set_array(None)
    mesh.set_facecolor(np.clip(rgb, 0, 1).reshape(-1, 3))
    return mesh


def class_rgb(cls):
    cols = np.array(CLASS_COLORS)
    return cols[np.clip(cls.astype(int) + 1, 0, 3)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap, replicate=False)
    ap.add_argument("--theory", help="file of `tms-post theory` (schema tms-post/1, /phase/class + /axes)")
    ap.add_argument("--x", default="last_importance", help="grid dimension on x (default last_importance)")
    ap.add_argument("--y", help="grid dimension on y (default: density or sparsity)")
    ap.add_argument("--inverse", action="store_true", help="y = 1/(1-S) instead of the density 1-S")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()
    from matplotlib.patches import Patch

    if not args.post:
        raise tmsio.TmsDataError("phase_diagram needs --post POST.h5 (written by tms-post)")
    res = tmsio.Results(args.results)
    post = tmsio.Post(args.post)
    cls_all = post.need("class")
    frac_all = post.need("fraction")
    theory_all = post.need("theory_class") if post.has("theory_class") else None
    ydim = args.y or tmsio.find_density_dim(post, ("density", "sparsity"))
    xdim = args.x
    post.dim_index(xdim)
    post.dim_index(ydim)
    xv = np.asarray(post.axis(xdim), dtype=np.float64)
    yv = tmsio.density_axis(post, ydim)
    ye = edges(yv)
    ye = 1 / ye if args.inverse else ye
    xe = edges(xv)
    sel = tmsio.select_from_args(post, args)
    rows = tmsio.rest_indices(post, [xdim, ydim], sel)
    feature = int(np.atleast_1d(post.attr("feature"))[0])

    th_file = tmsio.Post(args.theory) if args.theory else None
    ncol = 4
    fig, axes = plt.subplots(len(rows), ncol, figsize=(3.3 * ncol, 3.0 * len(rows) + 0.6), squeeze=False,
                             layout="constrained")
    norm, inter = res.get("norm"), res.get("interference")
    for r, combo in enumerate(rows):
        label = tmsio.cell_label(post, combo)
        ny, nx = len(yv), len(xv)
        # (1) majority class, (2) fractions
        cls = slice2d(post, cls_all, xdim, ydim, combo)
        frac = slice2d(post, frac_all, xdim, ydim, combo)
        rgb_mesh(axes[r, 0], xe, ye, class_rgb(cls))
        cols = np.array(CLASS_COLORS[1:])
        mix = np.einsum("yxc,ck->yxk", np.nan_to_num(frac), cols)
        mix[np.isnan(frac).any(-1)] = 1.0
        rgb_mesh(axes[r, 1], xe, ye, np.clip(mix, 0, 1))
        # (3) continuous map from the results file, lowest-loss seed per cell
        rgb = np.ones((ny, nx, 3))
        for iy in range(ny):
            for ix in range(nx):
                base = dict(combo, **{xdim: ix, ydim: iy})
                idx = tmsio.pick_replicate(res, base, "best")
                if idx is None:
                    continue
                n_f = res.nm(idx)[0]
                f = feature if feature >= 0 else n_f + feature
                s = np.clip(inter[idx][f], 0, 1)
                sat = np.clip(norm[idx][f], 0, 1)
                base_rgb = (1 - s) * BLUE + s * RED
                rgb[iy, ix] = 1 - sat * (1 - base_rgb)
        rgb_mesh(axes[r, 2], xe, ye, rgb)
        # (4) theory
        ax = axes[r, 3]
        th_edges = None  # (x edges, y edges, theory class [y, x]) whose boundaries every panel of the row draws
        if th_file is not None:
            tc = th_file.need("class")
            txd = xdim if xdim in th_file.dims else th_file.dims[0]
            tyd = ydim if ydim in th_file.dims else th_file.dims[-1]
            tx = np.asarray(th_file.axis(txd), dtype=np.float64)
            ty = tmsio.density_axis(th_file, tyd)
            tcombo = {d: 0 for d in th_file.dims if d not in (txd, tyd)}
            th = slice2d(th_file, tc, txd, tyd, tcombo)
            tye = edges(ty)
            th_edges = (edges(tx), 1 / tye if args.inverse else tye, th)
            rgb_mesh(ax, *th_edges[:2], class_rgb(th))
            ax.set_title(f"theory ({args.theory.split('/')[-1]})", fontsize=8)
        elif theory_all is not None and (slice2d(post, theory_all, xdim, ydim, combo) >= 0).any():
            th = slice2d(post, theory_all, xdim, ydim, combo)
            th_edges = (xe, ye, th)
            rgb_mesh(ax, xe, ye, class_rgb(th))
            ax.set_title("theory (post)\n" + size_agreement(res, post, combo), fontsize=6.5)
        else:
            ax.text(0.5, 0.5, "no theory\n(n=2,m=1 or n=3,m=2 only;\nor pass --theory)", ha="center",
                    va="center", transform=ax.transAxes, fontsize=8)
            ax.set_title("theory", fontsize=8)
        titles = ["empirical majority class", "class fractions", "[ZF] style: blue->red s, saturation ||W||"]
        for c in range(ncol):
            a = axes[r, c]
            a.set_xscale("log")
            a.set_yscale("log")
            if c < 3:
                a.set_title(titles[c], fontsize=8)
            if th_edges is not None:
                class_edges(a, *th_edges)
            a.set_xlim(xe[0], xe[-1])
            a.set_ylim(min(ye[0], ye[-1]), max(ye[0], ye[-1]))
            a.set_xlabel("importance of the extra feature r", fontsize=8)
            a.tick_params(labelsize=7)
        axes[r, 0].set_ylabel(("1/(1-S)" if args.inverse else "density 1-S") + (f"\n{label}" if label else ""),
                              fontsize=8)
    fig.legend(handles=[Patch(facecolor=c, edgecolor="0.5", label=nm) for c, nm in zip(CLASS_COLORS, CLASS_NAMES)],
               loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=8, frameon=False)
    which = "the last feature" if feature < 0 else f"feature {feature}"
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: phase of {which} (dashed: the theory\'s boundaries)")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
