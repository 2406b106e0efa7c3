"""Building blocks of crystal graph networks (plain ``torch.nn`` modules).

* :class:`GaussianExpansion` — a distance as soft one-hot over Gaussian centres (CGCNN, MEGNet, SchNet).
* :class:`CosineCutoff` — smooth switch-off at the cutoff so energies stay continuous as atoms
  enter or leave the neighbour sphere (needed for MD with a learned potential).
* :class:`CGConv` — CGCNN's gated convolution (Xie & Grossman 2018, eq. 5).
* :class:`MEGNetBlock` — MEGNet's edge → node → global-state update (Chen et al. 2019).
* :class:`SchNetInteraction` — continuous-filter convolution (Schütt et al. 2018) for potentials.

All of them take flat edge lists (``edge_index[0]`` = receiving centre ``i``, ``edge_index[1]`` =
sending neighbour ``j``) and use :mod:`matnn.models.crystals.scatter`.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from matnn.models.crystals.scatter import scatter_mean, scatter_sum

__all__ = [
    "GaussianExpansion",
    "CosineCutoff",
    "ShiftedSoftplus",
    "GraphBatchNorm",
    "CGConv",
    "MEGNetBlock",
    "SchNetInteraction",
    "mlp",
]


class GaussianExpansion(nn.Module):
    """Expand distances on ``n`` Gaussians: ``exp(-(d - μ_k)² / σ²)``, centres evenly in [start, stop].

    Parameters
    ----------
    start, stop : float
        First and last centre, Å.
    n : int
        Number of centres.
    width : float, optional
        σ in Å; default the centre spacing (CGCNN: 0.2 Å spacing and width).

    Shape: ``(n_edges,)`` → ``(n_edges, n)``.
    """

    def __init__(self, start: float = 0.0, stop: float = 8.0, n: int = 41, width: float | None = None) -> None:
        super().__init__()
        centers = torch.linspace(float(start), float(stop), int(n))
        self.register_buffer("centers", centers, persistent=False)
        spacing = (stop - start) / max(n - 1, 1)
        self.width = float(width) if width is not None else float(spacing)

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((d.unsqueeze(-1) - self.centers) ** 2) / self.width**2)

    def extra_repr(self) -> str:
        return f"n={self.centers.numel()}, range=({float(self.centers[0]):g}, {float(self.centers[-1]):g}) Å, width={self.width:g} Å"


class CosineCutoff(nn.Module):
    """``f(d) = ½ (cos(π d / r_c) + 1)`` for ``d < r_c``, else 0: value and slope vanish at ``r_c``."""

    def __init__(self, cutoff: float) -> None:
        super().__init__()
        self.cutoff = float(cutoff)

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        return 0.5 * (torch.cos(d * (math.pi / self.cutoff)) + 1.0) * (d < self.cutoff).to(d.dtype)


class ShiftedSoftplus(nn.Module):
    """``softplus(x) - log 2`` (zero at zero; SchNet's and MEGNet's smooth activation)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softplus(x) - math.log(2.0)


def mlp(sizes: list[int], activation: type[nn.Module] = ShiftedSoftplus, last_activation: bool = True) -> nn.Sequential:
    """Dense stack ``sizes[0] → sizes[1] → ...`` with ``activation`` between (and after, by default)."""
    mods: list[nn.Module] = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2 or last_activation:
            mods.append(activation())
    return nn.Sequential(*mods)


class GraphBatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` over the rows (atoms or edges) of a batch of graphs, safe for a one-row batch.

    A training batch can hold a single one-atom crystal: 22,337 training structures in batches of 64
    leave a last batch of one, and a shuffle sometimes puts a one-atom cell there.  Batch statistics of
    one row do not exist (``nn.BatchNorm1d`` raises), so such a batch is normalised with the running
    statistics, which it leaves unchanged.  Every other batch behaves exactly as ``nn.BatchNorm1d``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.shape[0] == 1 and self.track_running_stats and self.running_mean is not None:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        return super().forward(x)


class CGConv(nn.Module):
    """CGCNN's gated graph convolution.

    ``v_i ← softplus(v_i + BN(Σ_j σ(z_ij W_f + b_f) ⊙ softplus(z_ij W_s + b_s)))`` with
    ``z_ij = v_i ⊕ v_j ⊕ u_ij`` (atom, neighbour, expanded distance).  The product
    ``z_ij W`` is computed as ``v_i W_1 + v_j W_2 + u_ij W_3``: the same numbers as concatenating,
    but the atom terms are computed once per atom instead of once per edge (about 3× fewer
    multiply-adds for 12 neighbours).  The batch normalisation over edges follows the paper's code.

    Parameters
    ----------
    atom_dim : int
        Width of the atom vectors.
    edge_dim : int
        Width of the expanded distances.
    """

    def __init__(self, atom_dim: int, edge_dim: int) -> None:
        super().__init__()
        self.atom_dim = atom_dim
        self.lin_center = nn.Linear(atom_dim, 2 * atom_dim)
        self.lin_neighbor = nn.Linear(atom_dim, 2 * atom_dim, bias=False)
        self.lin_edge = nn.Linear(edge_dim, 2 * atom_dim, bias=False)
        self.bn_edge = GraphBatchNorm(2 * atom_dim)
        self.bn_atom = GraphBatchNorm(atom_dim)

    def forward(self, v: torch.Tensor, edge_attr: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        i, j = edge_index
        z = self.lin_center(v).index_select(0, i) + self.lin_neighbor(v).index_select(0, j) + self.lin_edge(edge_attr)
        gate, core = self.bn_edge(z).chunk(2, dim=-1)
        msg = torch.sigmoid(gate) * F.softplus(core)
        summed = scatter_sum(msg, i, v.shape[0])
        return F.softplus(v + self.bn_atom(summed))


class MEGNetBlock(nn.Module):
    """One MEGNet graph block with a global state vector (Chen et al., Chem. Mater. 31, 3564, 2019).

    ``e'_ij = φ_e(v_i ⊕ v_j ⊕ e_ij ⊕ u)``;  ``v'_i = φ_v(mean_j e'_ij ⊕ v_i ⊕ u)``;
    ``u' = φ_u(mean e' ⊕ mean v' ⊕ u)`` (means per crystal), each φ a two-hidden-layer MLP, then
    residual connections ``v + v'``, ``e + e'``, ``u + u'``.  As in the paper, a small dense
    "pre-block" (``dim → 2·dim → dim``) transforms v, e and u before each block except the first.

    Parameters
    ----------
    dim : int
        Width of atom, edge and state vectors (MEGNet: 32).
    hidden : int
        Hidden width of the φ networks (MEGNet: 64).
    pre_block : bool
        Apply the dense pre-block.
    """

    def __init__(self, dim: int = 32, hidden: int = 64, pre_block: bool = True) -> None:
        super().__init__()
        act = ShiftedSoftplus
        self.pre = nn.ModuleDict({k: mlp([dim, 2 * dim, dim], act) for k in ("v", "e", "u")}) if pre_block else None
        # φ_e's first layer acts on a concatenation; split it by part so atom and state terms are
        # computed per atom / per crystal and gathered, not recomputed per edge.
        self.e_vi = nn.Linear(dim, hidden)
        self.e_vj = nn.Linear(dim, hidden, bias=False)
        self.e_e = nn.Linear(dim, hidden, bias=False)
        self.e_u = nn.Linear(dim, hidden, bias=False)
        self.e_rest = nn.Sequential(act(), nn.Linear(hidden, hidden), act(), nn.Linear(hidden, dim), act())
        self.phi_v = mlp([3 * dim, hidden, hidden, dim], act)
        self.phi_u = mlp([3 * dim, hidden, hidden, dim], act)

    def forward(self, v, e, u, edge_index, batch, edge_batch):
        if self.pre is not None:
            v, e, u = self.pre["v"](v), self.pre["e"](e), self.pre["u"](u)
        i, j = edge_index
        n_atoms, n_graphs = v.shape[0], u.shape[0]
        e_new = self.e_rest(
            self.e_vi(v).index_select(0, i)
            + self.e_vj(v).index_select(0, j)
            + self.e_e(e)
            + self.e_u(u).index_select(0, edge_batch)
        )
        v_new = self.phi_v(torch.cat([scatter_mean(e_new, i, n_atoms), v, u.index_select(0, batch)], dim=-1))
        u_new = self.phi_u(
            torch.cat([scatter_mean(e_new, edge_batch, n_graphs), scatter_mean(v_new, batch, n_graphs), u], dim=-1)
        )
        return v_new, e_new, u_new


class SchNetInteraction(nn.Module):
    """SchNet interaction block: continuous-filter convolution + atom-wise update (residual).

    ``m_i = Σ_j (W h_j) ⊙ filter(rbf(d_ij)) · f_cut(d_ij)``;  ``h_i ← h_i + MLP(m_i)``.
    Only distances enter, so the output is invariant to rotations, translations and permutations,
    and the cosine cutoff makes it a smooth function of the positions.
    """

    def __init__(self, dim: int, n_rbf: int) -> None:
        super().__init__()
        self.filter = nn.Sequential(nn.Linear(n_rbf, dim), ShiftedSoftplus(), nn.Linear(dim, dim))
        self.lin_in = nn.Linear(dim, dim, bias=False)
        self.update = nn.Sequential(nn.Linear(dim, dim), ShiftedSoftplus(), nn.Linear(dim, dim))

    def forward(self, h: torch.Tensor, rbf: torch.Tensor, fcut: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        i, j = edge_index
        w = self.filter(rbf) * fcut.unsqueeze(-1)
        m = scatter_sum(self.lin_in(h).index_select(0, j) * w, i, h.shape[0])
        return h + self.update(m)
