"""Speed of the dynamics tools against plain-PyTorch references, measured in one process.

    bench/heavy.sh .venv/bin/python bench/dynamics/tools.py [OUT.json]   (default bench/out/dynamics/tools.json)

1. Empirical NTK of a two-layer ReLU network (d=20, m=2048, n=128): ``empirical_ntk`` (vmap/jacrev
   Jacobian contraction, and NTK-vector products) vs a loop of ``torch.autograd.grad`` per sample
   (the plain-PyTorch way), checking they agree.
2. Top eigenvalue of the loss Hessian of the same network: Lanczos vs power iteration on ‖Hv‖
   (number of Hessian-vector products and time), vs dense ``eigvalsh`` of the Hessian built column by
   column on a smaller network (m=64).
3. A ±λ spectrum (two-layer ReLU model Hessian): Rayleigh-quotient power iteration (PyHessian's
   estimator) vs ‖Hv‖ power iteration vs Lanczos, against the exact value ‖x‖/√(d m).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

import matnn
from matnn.dynamics import (
    NTKNetwork,
    dense_hessian,
    empirical_ntk,
    loss_hessian_eigenvalues,
    loss_hvp,
    model_hessian_eigenvalues,
    model_hvp,
)


def timed(fn, repeat: int = 3):
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def autograd_loop_ntk(model, x):
    params = list(model.parameters())
    rows = []
    for i in range(x.shape[0]):
        g = torch.autograd.grad(model(x[i : i + 1]).sum(), params)
        rows.append(torch.cat([t.reshape(-1) for t in g]))
    J = torch.stack(rows)
    return J @ J.T


def main() -> None:
    matnn.set_num_threads(None)
    torch.manual_seed(0)
    d, m, n = 20, 2048, 128
    x = torch.randn(n, d)
    y = x[:, :1] * x[:, 1:2]
    net = NTKNetwork(d, m, seed=1)
    print(
        f"threads={torch.get_num_threads()}  model: two-layer ReLU d={d} m={m} ({sum(p.numel() for p in net.parameters())} weights), n={n}"
    )
    t_ref, K_ref = timed(lambda: autograd_loop_ntk(net, x))
    t_jac, K_jac = timed(lambda: empirical_ntk(net, x))
    t_vp, K_vp = timed(lambda: empirical_ntk(net, x, method="ntk-vp", chunk_size=32), repeat=2)
    rel = lambda a: float((a - K_ref).norm() / K_ref.norm())  # noqa: E731
    print(f"NTK autograd loop (reference): {t_ref * 1e3:.0f} ms")
    print(
        f"NTK empirical_ntk jacobian:     {t_jac * 1e3:.0f} ms  ({t_ref / t_jac:.1f}x faster, rel. diff {rel(K_jac):.1e})"
    )
    print(f"NTK empirical_ntk ntk-vp:       {t_vp * 1e3:.0f} ms  ({t_ref / t_vp:.2f}x, rel. diff {rel(K_vp):.1e})")
    res = {
        "ntk_autograd_loop_ms": t_ref * 1e3,
        "ntk_jacobian_ms": t_jac * 1e3,
        "ntk_jacobian_speedup": t_ref / t_jac,
        "ntk_jacobian_rel_diff": rel(K_jac),
        "ntk_vp_ms": t_vp * 1e3,
        "ntk_vp_speedup": t_ref / t_vp,
        "ntk_vp_rel_diff": rel(K_vp),
    }

    loss_hessian_eigenvalues(net, x, y, tol=1e-1)  # warm-up (imports, first torch.func trace)
    t_l, est_l = timed(lambda: loss_hessian_eigenvalues(net, x, y, tol=1e-4), repeat=1)
    t_p, est_p = timed(lambda: loss_hessian_eigenvalues(net, x, y, method="power", tol=1e-4, n_iter=1000), repeat=1)
    print(
        f"loss Hessian top eigenvalue: Lanczos {est_l.top:.5f} ({est_l.n_matvecs} HVPs, {t_l:.2f} s); "
        f"power on ||Hv|| {est_p.spectral_norm:.5f} ({est_p.n_matvecs} HVPs, {t_p:.2f} s)"
    )
    small = NTKNetwork(d, 64, seed=2)
    hvp, dim = loss_hvp(small, x, y)
    t_d, H = timed(lambda: dense_hessian(hvp, dim), repeat=1)
    ev = np.linalg.eigvalsh(H.double().numpy())
    est = loss_hessian_eigenvalues(small, x, y, tol=1e-6)
    res.update(
        hessian_top_lanczos=est_l.top,
        hessian_top_lanczos_hvps=est_l.n_matvecs,
        hessian_top_lanczos_s=t_l,
        hessian_top_power=est_p.spectral_norm,
        hessian_top_power_hvps=est_p.n_matvecs,
        hessian_top_power_s=t_p,
        dense_m64_top=float(ev[-1]),
        dense_m64_build_s=t_d,
        lanczos_m64_top=est.top,
        lanczos_m64_hvps=est.n_matvecs,
    )
    print(
        f"m=64 ({dim} weights): dense eigvalsh top {ev[-1]:.6f} ({t_d:.2f} s to build H); Lanczos {est.top:.6f} ({est.n_matvecs} HVPs)"
    )

    x1 = x[:1]
    exact = float(x1.norm()) / math.sqrt(d * m)
    hv, dim = model_hvp(net, x1)
    gen = torch.Generator().manual_seed(0)
    v = torch.randn(dim, generator=gen)
    v /= v.norm()
    for _ in range(100):
        w = hv(v)
        v = w / w.norm()
    rayleigh = float(v @ hv(v))
    lz = model_hessian_eigenvalues(net, x1, k=2)
    pw = model_hessian_eigenvalues(net, x1, method="power")
    print(
        f"±λ spectrum, exact λ = {exact:.6f}: Rayleigh-quotient power iteration {rayleigh:.6f} (wrong), "
        f"power on ||Hv|| {pw.values} ({pw.n_matvecs} HVPs), Lanczos {lz.values} ({lz.n_matvecs} HVPs)"
    )
    res.update(
        pm_exact=exact,
        pm_rayleigh=rayleigh,
        pm_power=[float(v) for v in pw.values],
        pm_power_hvps=pw.n_matvecs,
        pm_lanczos=[float(v) for v in lz.values],
        pm_lanczos_hvps=lz.n_matvecs,
    )
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(sys.argv[1] if len(sys.argv) > 1 else "bench/out/dynamics/tools.json", res)


if __name__ == "__main__":
    main()
