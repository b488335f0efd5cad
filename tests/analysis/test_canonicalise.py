#!/usr/bin/python3
"""test_canonicalise: the E4 canonical frame of analysis/embeddings_2d.py (rotate the perturbed = last feature
onto +x, reflect so its nearest neighbour by angle is counter-clockwise). Checks, on a slightly irregular
pentagon under random rotations and reflections: the last feature ends on +x, the nearest neighbour has a positive
angle, and every rotated/reflected copy maps to the same canonical W (to 1e-9). Prints what differed by how much.
usage: test_canonicalise.py ANALYSIS_DIR     (exit 77 if numpy is missing)"""
import sys

try:
    import numpy as np
except ImportError:
    print("skip: numpy missing")
    sys.exit(77)
sys.path.insert(0, sys.argv[1])
from embeddings_2d import canonicalise  # noqa: E402

rng = np.random.default_rng(1)
ang = 2 * np.pi * np.arange(5) / 5 + np.array([0, 0.05, -0.03, 0.02, 0.1])
W0 = np.stack([np.cos(ang), np.sin(ang)], 1) * np.array([[1.0], [0.9], [1.1], [1.0], [0.8]])
ref = canonicalise(W0)
fails = 0
for t in range(50):
    th = rng.uniform(0, 2 * np.pi)
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    if t % 2:
        R = R @ np.diag([1.0, -1.0])
    C = canonicalise(W0 @ R.T)
    err = np.abs(C - ref).max()
    a = np.arctan2(C[:, 1], C[:, 0])
    if abs(C[-1, 1]) > 1e-12 or C[-1, 0] <= 0:
        print(f"trial {t}: last feature not on +x: {C[-1]}")
        fails += 1
    near = min(range(4), key=lambda i: abs(a[i]))
    if a[near] <= 0:
        print(f"trial {t}: nearest neighbour {near} at angle {a[near]:.4f} <= 0")
        fails += 1
    if err > 1e-9:
        print(f"trial {t}: canonical W differs from the reference by {err:.3g}")
        fails += 1
# the perturbed feature ~0: feature 0 becomes the reference
Z = W0.copy()
Z[-1] = 1e-4
C = canonicalise(Z)
if abs(C[0, 1]) > 1e-12 or C[0, 0] <= 0:
    print(f"dropped last feature: feature 0 should be on +x, got {C[0]}")
    fails += 1
print("ok" if not fails else f"{fails} failures")
sys.exit(1 if fails else 0)
