"""``SACSampler``: hyperparameter search as a Markov decision process solved by soft actor-critic.

After the idea of arXiv 2112.04084 (hyperparameter optimisation as an MDP, soft actor-critic with a
hierarchical mixture regularisation).  What is implemented here:

* **Unit cube.** Every searched parameter maps to ``[0, 1]``: floats and ints linearly (or in log
  space for ``log=True``), categoricals by ``floor(u * n_choices)``.  An action is one point of the
  cube, so categoricals are sampled jointly with the rest (no separate independent sampler).
* **MDP.** State = the last ``history`` settings (unit cube) and their standardised scores; action =
  the next setting; reward = improvement of the best-so-far score (0 when not better), divided by
  the spread of the scores seen.  Transitions are rebuilt from the study's completed trials at each
  suggestion, so the sampler holds no state that a resumed or shared study could lose.
* **Soft actor-critic.** Tanh-squashed Gaussian policy, twin Q networks with Polyak-averaged
  targets, entropy temperature tuned towards ``-dim`` (Haarnoja et al. 2018); small MLPs on CPU,
  a few gradient steps per suggestion.
* **Hierarchical mixture regularisation.** Two levels.  (1) The proposal is a mixture of the policy
  and a prior, the prior's weight decaying with the number of completed trials; (2) the prior itself
  is a mixture of the uniform distribution (global exploration) and Gaussians around the elite
  settings (the best ``elite_fraction`` of trials).  The actor loss also pulls the policy mean
  towards the best setting so far with a weight that decays the same way.

Departures from the paper: the prior is this uniform/elite-Gaussian mixture rather than the
paper's own mixture components; rewards are best-so-far improvements; networks are small and
trained a fixed number of steps per suggestion so that one suggestion stays well under 50 ms.
Seeded and deterministic on CPU for a given trial history.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["SACSampler", "decode_unit", "encode_unit"]


def encode_unit(value: Any, dist: Any) -> float:
    """Position of ``value`` of an Optuna distribution in ``[0, 1]``."""
    from optuna.distributions import CategoricalDistribution

    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return (dist.choices.index(value) + 0.5) / n
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (float(value) - low) / (high - low)


def decode_unit(u: float, dist: Any) -> Any:
    """Value of an Optuna distribution at position ``u`` of ``[0, 1]`` (clipped)."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    u = float(min(max(u, 0.0), 1.0))
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return dist.choices[min(int(u * n), n - 1)]
    low, high = float(dist.low), float(dist.high)
    x = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if dist.log else low + u * (high - low)
    step = getattr(dist, "step", None)
    if isinstance(dist, IntDistribution):
        s = int(step or 1)
        v = round((x - low) / s) * s + int(low)
        return int(min(max(v, int(low)), int(high)))
    if step is not None:
        x = round((x - low) / step) * step + low
    return float(min(max(x, low), high))


class _Agent:
    """Twin-Q soft actor-critic over a continuous action box ``(-1, 1)^dim``."""

    def __init__(
        self,
        state_dim: int,
        action_dim: int,
        hidden: int,
        seed: int,
        lr: float,
        log_std_offset: float = 0.0,
    ) -> None:
        import torch
        from torch import nn

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)

            def mlp(n_in: int, n_out: int) -> nn.Module:
                return nn.Sequential(
                    nn.Linear(n_in, hidden),
                    nn.ReLU(),
                    nn.Linear(hidden, hidden),
                    nn.ReLU(),
                    nn.Linear(hidden, n_out),
                )

            self.actor = mlp(state_dim, 2 * action_dim)
            self.q1, self.q2 = (
                mlp(state_dim + action_dim, 1),
                mlp(state_dim + action_dim, 1),
            )
            self.q1_t, self.q2_t = (
                mlp(state_dim + action_dim, 1),
                mlp(state_dim + action_dim, 1),
            )
        self.q1_t.load_state_dict(self.q1.state_dict())
        self.q2_t.load_state_dict(self.q2.state_dict())
        self.log_alpha = torch.zeros((), requires_grad=True)
        self.opt_actor = torch.optim.Adam(self.actor.parameters(), lr=lr)
        self.opt_q = torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=lr)
        self.opt_alpha = torch.optim.Adam([self.log_alpha], lr=lr)
        self.action_dim = action_dim
        self.state_dim = state_dim
        self.log_std_offset = log_std_offset
        self.generator = torch.Generator().manual_seed(seed + 1)

    def policy(self, s: Any) -> tuple[Any, Any, Any]:
        """Sampled action, its log-density and the squashed mean, for states ``s`` (batch, state_dim)."""
        import torch

        out = self.actor(s)
        mean, log_std = (
            out[:, : self.action_dim],
            (out[:, self.action_dim :] + self.log_std_offset).clamp(-5.0, 1.0),
        )
        std = log_std.exp()
        eps = torch.randn(mean.shape, generator=self.generator)
        pre = mean + std * eps
        a = torch.tanh(pre)
        logp = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(1)
        logp = logp - torch.log(1 - a.pow(2) + 1e-6).sum(1)
        return a, logp, torch.tanh(mean)

    def update(
        self,
        s: Any,
        a: Any,
        r: Any,
        s2: Any,
        *,
        gamma: float,
        tau: float,
        anchor: Any,
        anchor_weight: float,
    ) -> None:
        import torch

        with torch.no_grad():
            a2, logp2, _ = self.policy(s2)
            alpha = self.log_alpha.exp()
            sa2 = torch.cat([s2, a2], 1)
            target = r + gamma * (torch.minimum(self.q1_t(sa2), self.q2_t(sa2)).squeeze(1) - alpha * logp2)
        sa = torch.cat([s, a], 1)
        q_loss = (self.q1(sa).squeeze(1) - target).pow(2).mean() + (self.q2(sa).squeeze(1) - target).pow(2).mean()
        self.opt_q.zero_grad()
        q_loss.backward()
        self.opt_q.step()

        a_new, logp, mean = self.policy(s)
        san = torch.cat([s, a_new], 1)
        q_new = torch.minimum(self.q1(san), self.q2(san)).squeeze(1)
        actor_loss = (self.log_alpha.exp().detach() * logp - q_new).mean()
        if anchor_weight > 0:
            # Mixture regularisation: keep the policy mean near the best setting found so far.
            actor_loss = actor_loss + anchor_weight * (mean - anchor).pow(2).sum(1).mean()
        self.opt_actor.zero_grad()
        actor_loss.backward()
        self.opt_actor.step()

        alpha_loss = -(self.log_alpha * (logp.detach() - self.action_dim)).mean()  # target entropy -dim
        self.opt_alpha.zero_grad()
        alpha_loss.backward()
        self.opt_alpha.step()
        with torch.no_grad():
            for net, tgt in ((self.q1, self.q1_t), (self.q2, self.q2_t)):
                for p, pt in zip(net.parameters(), tgt.parameters(), strict=True):
                    pt.mul_(1 - tau).add_(tau * p)


def _optuna_base() -> type:
    import optuna

    return optuna.samplers.BaseSampler


class SACSampler(_optuna_base()):  # type: ignore[misc]
    """Optuna sampler: soft actor-critic over the unit cube of the search space (see module docstring).

    Parameters
    ----------
    seed : int, optional
        Seeds the networks, the policy noise and the prior.
    n_startup_trials : int, default=5
        Completed trials drawn uniformly before the agent proposes settings.
    history : int, default=3
        Past trials in a state.
    hidden : int, default=64
        Width of the two hidden layers of each network.
    updates_per_suggestion : int, default=8
        Gradient steps on the replay of all transitions before each suggestion.
    prior_weight, prior_decay : float
        Weight of the prior in the proposal mixture: ``prior_weight * exp(-prior_decay * n_agent)``,
        ``n_agent`` the completed trials after start-up.
    log_std_offset : float, default=-1.0
        Added to the policy's log standard deviation: a fresh policy proposes within about ±0.37 of its
        mean (pre-squash) instead of piling proposals on the faces of the cube, as a tanh-squashed
        unit Gaussian does.
    elite_fraction : float, default=0.2
        Share of the best trials around which the prior places Gaussians (width ``elite_width``).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 5,
        history: int = 3,
        hidden: int = 64,
        updates_per_suggestion: int = 8,
        batch_size: int = 32,
        gamma: float = 0.5,
        learning_rate: float = 3e-3,
        prior_weight: float = 0.6,
        prior_decay: float = 0.05,
        elite_fraction: float = 0.2,
        elite_width: float = 0.08,
        uniform_share: float = 0.3,
        log_std_offset: float = -1.0,
    ) -> None:
        import optuna

        self._seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % (2**31))
        self._rng = np.random.RandomState(self._seed)
        self._random = optuna.samplers.RandomSampler(seed=self._seed)
        self._space = optuna.search_space.IntersectionSearchSpace()
        self.n_startup_trials = int(n_startup_trials)
        self.history = int(history)
        self.hidden = int(hidden)
        self.updates = int(updates_per_suggestion)
        self.batch_size = int(batch_size)
        self.gamma = float(gamma)
        self.learning_rate = float(learning_rate)
        self.prior_weight = float(prior_weight)
        self.prior_decay = float(prior_decay)
        self.elite_fraction = float(elite_fraction)
        self.elite_width = float(elite_width)
        self.uniform_share = float(uniform_share)
        self.log_std_offset = float(log_std_offset)
        self._agent: _Agent | None = None
        self._agent_key: tuple | None = None

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {k: d for k, d in self._space.calculate(study).items() if not d.single()}

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    # ------------------------------------------------------------------ the MDP
    def _transitions(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """States, actions, rewards, next states from the ordered history (``y``: lower is better)."""
        n, d = X.shape
        k = self.history
        spread = float(np.std(y)) or 1.0
        z = (y - np.median(y)) / spread
        pad_x, pad_z = np.full((k, d), 0.5), np.zeros(k)
        Xp, zp = np.vstack([pad_x, X]), np.concatenate([pad_z, z])

        def state(t: int) -> np.ndarray:  # the k trials before trial t
            return np.concatenate([Xp[t : t + k].ravel(), zp[t : t + k]])

        best = np.minimum.accumulate(y)
        S, A, R, S2 = [], [], [], []
        for t in range(n):
            prev_best = best[t - 1] if t > 0 else y[0] + spread
            S.append(state(t))
            A.append(X[t] * 2 - 1)
            R.append(max(0.0, prev_best - y[t]) / spread)
            S2.append(state(t + 1))
        return (
            np.asarray(S),
            np.clip(np.asarray(A), -0.999, 0.999),
            np.asarray(R),
            np.asarray(S2),
            state(n),
        )

    def _prior_sample(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = X.shape[1]
        if self._rng.rand() < self.uniform_share:
            return self._rng.rand(d)
        n_elite = max(1, math.ceil(self.elite_fraction * len(y)))
        elite = X[np.argsort(y, kind="stable")[:n_elite]]
        center = elite[self._rng.randint(len(elite))]
        return np.clip(center + self.elite_width * self._rng.randn(d), 0.0, 1.0)

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
        import optuna
        import torch

        if not search_space:
            return {}
        names = sorted(search_space)
        done = [
            t
            for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            if all(n in t.params for n in names) and t.value is not None and math.isfinite(t.value)
        ]
        if len(done) < self.n_startup_trials:
            return {}
        done.sort(key=lambda t: t.number)
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MINIMIZE else -1.0
        X = np.array(
            [[encode_unit(t.params[n], search_space[n]) for n in names] for t in done],
            dtype=float,
        )
        y = sign * np.array([t.value for t in done], dtype=float)
        d = len(names)
        key = (tuple(names), d)
        if self._agent is None or self._agent_key != key:
            self._agent = _Agent(
                self.history * (d + 1),
                d,
                self.hidden,
                self._seed,
                self.learning_rate,
                self.log_std_offset,
            )
            self._agent_key = key
        S, A, R, S2, s_now = self._transitions(X, y)
        n_agent = len(done) - self.n_startup_trials
        w = self.prior_weight * math.exp(-self.prior_decay * n_agent)
        anchor = torch.as_tensor(X[int(np.argmin(y))] * 2 - 1, dtype=torch.float32)
        tS, tA, tR, tS2 = (torch.as_tensor(v, dtype=torch.float32) for v in (S, A, R, S2))
        agent = self._agent
        for _ in range(self.updates):
            idx = torch.as_tensor(self._rng.randint(0, len(S), size=min(self.batch_size, len(S))))
            agent.update(
                tS[idx],
                tA[idx],
                tR[idx],
                tS2[idx],
                gamma=self.gamma,
                tau=0.05,
                anchor=anchor,
                anchor_weight=w,
            )
        if self._rng.rand() < w:
            u = self._prior_sample(X, y)
        else:
            with torch.no_grad():
                a, _, _ = agent.policy(torch.as_tensor(s_now[None], dtype=torch.float32))
            u = (a.numpy()[0].astype(float) + 1.0) / 2.0
        return {n: decode_unit(float(u[i]), search_space[n]) for i, n in enumerate(names)}
