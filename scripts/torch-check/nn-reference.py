# The PyTorch side of the @jacobi/nn cross-check: the same cases as nn-cases.mjs, by name, on the
# inputs it prints. Losses compare values and gradients in float64 to 1e-9 relative; clipping and
# schedules compare to 1e-12. Reads jacobi's JSON on stdin.
import json, math, sys, warnings

import torch

warnings.simplefilter('ignore')  # the schedulers warn when stepped before an optimizer step
torch.set_default_dtype(torch.float64)
F = torch.nn.functional
J = json.load(sys.stdin)
D = {k: torch.tensor(v) for k, v in J['data'].items()}
T2, T2ignore, T2two, T4 = (D[k].long() for k in ('T2', 'T2ignore', 'T2two', 'T4'))
W5, W3, P2, P4, B, Q = D['W5'], D['W3'], D['P2'], D['P4'], D['B'], D['Q']
logQ = (Q + 0.05).log()
ls = lambda t: F.log_softmax(t, 1)
cases = {
 'ce': ('X2', lambda x: F.cross_entropy(x, T2)),
 'ceSum': ('X2', lambda x: F.cross_entropy(x, T2, reduction='sum')),
 'ceNone': ('X2', lambda x: F.cross_entropy(x, T2, reduction='none')),
 'ceWeight': ('X2', lambda x: F.cross_entropy(x, T2, weight=W5)),
 'ceIgnore': ('X2', lambda x: F.cross_entropy(x, T2ignore)),
 'ceIgnoreClass': ('X2', lambda x: F.cross_entropy(x, T2two, ignore_index=2, weight=W5)),
 'ceSmooth': ('X2', lambda x: F.cross_entropy(x, T2, label_smoothing=0.2)),
 'ceSmoothAll': ('X2', lambda x: F.cross_entropy(x, T2ignore, label_smoothing=0.2, weight=W5)),
 'ceSmoothAllSum': ('X2', lambda x: F.cross_entropy(x, T2ignore, label_smoothing=0.3, weight=W5, reduction='sum')),
 'ceSmoothAllNone': ('X2', lambda x: F.cross_entropy(x, T2ignore, label_smoothing=0.3, weight=W5, reduction='none')),
 'ceSpatial': ('X4', lambda x: F.cross_entropy(x, T4, weight=W3, label_smoothing=0.1)),
 'ceSpatialNone': ('X4', lambda x: F.cross_entropy(x, T4, reduction='none')),
 'ceProb': ('X2', lambda x: F.cross_entropy(x, P2)),
 'ceProbAll': ('X2', lambda x: F.cross_entropy(x, P2, weight=W5, label_smoothing=0.25)),
 'ceProbSpatialNone': ('X4', lambda x: F.cross_entropy(x, P4, weight=W3, reduction='none')),
 'ceVector': ('XC', lambda x: F.cross_entropy(x, torch.tensor(3), label_smoothing=0.1)),
 'nll': ('X2', lambda x: F.nll_loss(ls(x), T2ignore, weight=W5)),
 'nllSpatialSum': ('X4', lambda x: F.nll_loss(ls(x), T4, reduction='sum')),
 'huber': ('A', lambda x: F.huber_loss(x, B)),
 'huberDelta': ('A', lambda x: F.huber_loss(x, B, delta=0.5, reduction='sum')),
 'huberNone': ('A', lambda x: F.huber_loss(x, B, delta=2.0, reduction='none')),
 'smoothL1': ('A', lambda x: F.smooth_l1_loss(x, B)),
 'smoothL1Beta': ('A', lambda x: F.smooth_l1_loss(x, B, beta=0.3, reduction='none')),
 'smoothL1Zero': ('A', lambda x: F.smooth_l1_loss(x, B, beta=0.0, reduction='sum')),
 'klMean': ('A', lambda x: F.kl_div(ls(x), Q, reduction='mean')),
 'klBatchmean': ('A', lambda x: F.kl_div(ls(x), Q, reduction='batchmean')),
 'klSum': ('A', lambda x: F.kl_div(ls(x), Q, reduction='sum')),
 'klNone': ('A', lambda x: F.kl_div(ls(x), Q, reduction='none')),
 'klLogTarget': ('A', lambda x: F.kl_div(ls(x), logQ, reduction='batchmean', log_target=True)),
}


def flat(v):
    return [z for e in v for z in flat(e)] if isinstance(v, list) else [v]


def close(a, b, rtol):
    return len(a) == len(b) and all(
        (math.isnan(p) and math.isnan(q)) or abs(p - q) <= rtol * max(1.0, abs(q)) for p, q in zip(a, b)
    )


failures = []
for name, (inp, f) in cases.items():
    x = D[inp].clone().requires_grad_(True)
    y = f(x)
    w = (torch.arange(y.numel()).reshape(y.shape) + 1) * 0.1
    (y * w).sum().backward()
    ours = J['losses'][name]
    if not close(flat(ours['y']), flat(y.detach().tolist()), 1e-9):
        failures.append(f"{name}: values {flat(ours['y'])[:6]} vs torch {flat(y.detach().tolist())[:6]}")
    elif not close(flat(ours['g']), flat(x.grad.tolist()), 1e-9):
        failures.append(f"{name}: gradient {flat(ours['g'])[:6]} vs torch {flat(x.grad.tolist())[:6]}")

G1 = [[0.3, -1.2], [2.5, 0.4]]
G2 = [1.5, -0.2, 0.7]
U = torch.nn.utils
clip_cases = {
 'norm2': lambda ps: U.clip_grad_norm_(ps, 1.0), 'norm1': lambda ps: U.clip_grad_norm_(ps, 2.0, norm_type=1),
 'normInf': lambda ps: U.clip_grad_norm_(ps, 0.5, norm_type=math.inf), 'norm3': lambda ps: U.clip_grad_norm_(ps, 1.5, norm_type=3),
 'normBelow': lambda ps: U.clip_grad_norm_(ps, 100.0), 'value': lambda ps: U.clip_grad_value_(ps, 0.5),
}
for name, f in clip_cases.items():
    ps = []
    for g in (G1, G2):
        p = torch.zeros(torch.tensor(g).shape, requires_grad=True)
        p.grad = torch.tensor(g)
        ps.append(p)
    total = f(ps)
    ours = J['clips'][name]
    if total is not None and not close([ours['total']], [float(total)], 1e-12):
        failures.append(f"clip {name}: total norm {ours['total']} vs torch {float(total)}")
    elif not close(flat(ours['grads']), flat([p.grad.tolist() for p in ps]), 1e-12):
        failures.append(f"clip {name}: gradients {flat(ours['grads'])[:6]} vs torch {flat([p.grad.tolist() for p in ps])[:6]}")

S = torch.optim.lr_scheduler
schedule_cases = {
 'step': lambda o: S.StepLR(o, 3, gamma=0.5), 'stepDefault': lambda o: S.StepLR(o, 4),
 'cosine': lambda o: S.CosineAnnealingLR(o, 7, eta_min=0.01),
 'linear': lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=6), 'linearDefault': lambda o: S.LinearLR(o),
 'sequential': lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=4), S.CosineAnnealingLR(o, 10)], [4]),
 'sequential3': lambda o: S.SequentialLR(o, [S.StepLR(o, 2, gamma=0.5), S.LinearLR(o, start_factor=0.5, total_iters=3), S.CosineAnnealingLR(o, 5)], [5, 12]),
 'chained': lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.5, total_iters=4), S.StepLR(o, 3, gamma=0.8)]),
}
for name, make in schedule_cases.items():
    o = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    s = make(o)
    lrs = [s.get_last_lr()[0]]
    for _ in range(24):
        o.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    if not close(J['schedules'][name], lrs, 1e-12):
        failures.append(f"schedule {name}: {J['schedules'][name][:8]} vs torch {lrs[:8]}")

total = len(cases) + len(clip_cases) + len(schedule_cases)
print(f'{len(cases)} nn loss, {len(clip_cases)} clipping and {len(schedule_cases)} schedule cases against torch {torch.__version__}: '
      f'{total - len(failures)} agree, {len(failures)} differ')
for line in failures:
    print('  ' + line)
sys.exit(1 if failures else 0)
