# The PyTorch side of the cross-check: the same cases as cases.mjs, by name, compared in float64
# (values and the gradient of the weighted sum) to 1e-9 relative. Reads jacobi's JSON on stdin.
import json, math, sys

import torch

torch.set_default_dtype(torch.float64)
X = torch.tensor([[0.3, -1.2, 2.5, -0.7], [1.1, 0.05, -2.2, 0.9], [-0.4, 1.7, 0.6, -1.9]])
F = torch.nn.functional
def sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    """PyTorch 2's scaled_dot_product_attention, as its documentation writes it out."""
    L, S = q.shape[-2], k.shape[-2]
    bias = torch.zeros(L, S)
    if is_causal:
        bias = bias.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))
    if mask is not None:
        bias = bias.masked_fill(~mask, float('-inf')) if mask.dtype == torch.bool else bias + mask
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    return torch.softmax(q @ k.transpose(-2, -1) * s + bias, -1) @ v


BOOL_MASK = torch.tensor([[True, False, True], [False, True, False], [True, True, False]])
img = lambda t: torch.stack([t, t.flip(0) * 0.5, t.roll(1, 1)], 0).reshape(1, 3, 3, 4)
kernel = lambda *shape: torch.arange(math.prod(shape)).sin().reshape(*shape)
cases = {
 'softplus': lambda t: F.softplus(t, 2, 3), 'silu': F.silu, 'logSigmoid': F.logsigmoid, 'elu': lambda t: F.elu(t, 1.5), 'selu': F.selu,
 'celu': lambda t: F.celu(t, 0.7), 'hardSigmoid': F.hardsigmoid, 'hardSwish': F.hardswish, 'mish': F.mish, 'softsign': F.softsign,
 'relu6': lambda t: F.relu6(t*3), 'hardTanh': lambda t: F.hardtanh(t, -0.5, 1), 'gelu': F.gelu, 'geluTanh': lambda t: F.gelu(t, approximate='tanh'),
 'erf': torch.erf, 'erfc': torch.erfc, 'erfinv': lambda t: torch.erfinv(t*0.3), 'atan': torch.atan, 'asinh': torch.asinh, 'expm1': torch.expm1, 'log1p': lambda t: torch.log1p(t.abs()),
 'remainder': lambda t: torch.remainder(t, 0.7), 'fmod': lambda t: torch.fmod(t, -0.7), 'logAddExp': lambda t: torch.logaddexp(t, t.flip(1)), 'hypot': lambda t: torch.hypot(t, t.roll(1, 1)),
 'prod': lambda t: t.prod(1), 'variance': lambda t: t.var(0), 'std': lambda t: t.std(1, unbiased=False), 'norm3': lambda t: torch.linalg.vector_norm(t, 3, dim=1), 'normInf': lambda t: torch.linalg.vector_norm(t, math.inf),
 'cumsum': lambda t: t.cumsum(1), 'cumprod': lambda t: t.cumprod(0), 'logCumSumExp': lambda t: t.logcumsumexp(1), 'cummax': lambda t: t.cummax(1)[0],
 'sortDesc': lambda t: t.sort(1, descending=True)[0], 'topk': lambda t: t.topk(2, 1)[0],
 'padReflect': lambda t: F.pad(t[None], [2, 1, 1, 2], mode='reflect')[0], 'padReplicate': lambda t: F.pad(t[None], [1, 2, 2, 0], mode='replicate')[0], 'padCircular': lambda t: F.pad(t[None, None], [2, 1, 1, 1], mode='circular')[0, 0], 'padConst': lambda t: F.pad(t, [1, 1], value=3.0),
 'tril': lambda t: t.tril(1), 'triu': lambda t: t.triu(-1), 'diagonal': lambda t: t.diagonal(1), 'trace': torch.trace, 'diag': lambda t: torch.diag(torch.diag(t, 0), 1),
 'einsum': lambda t: torch.einsum('ij,kj->ik', t, t*2), 'einsumDiag': lambda t: torch.einsum('ij,ij->j', t, t),
 'tile': lambda t: t.tile((2, 1)), 'repeatInterleave': lambda t: t.repeat_interleave(2, 1), 'rollBoth': lambda t: t.roll((1, -1), (0, 1)), 'movedim': lambda t: t.reshape(3, 2, 2).movedim(0, 2),
 'gather': lambda t: t.gather(1, torch.tensor([[3, 0], [1, 1], [2, 3]])), 'scatterAdd': lambda t: t.scatter_add(0, torch.tensor([[2, 0, 2, 1]]), t[:1]),
 'indexPairs': lambda t: t[[0, 2, 2], [3, 1, 3]],
 'indexApart': lambda t: t.reshape(3, 2, 2)[[0, 2], :, [1, 0]],
 'indexBroadcast': lambda t: t.reshape(3, 2, 2)[:, [1, 0], [[1], [0]]],
 'indexWithInteger': lambda t: t.reshape(3, 2, 2)[[2, 0], 1, [1, 1]],
 'maskedSelect': lambda t: t.masked_select(t > 0), 'take': lambda t: torch.take(t, torch.tensor([[0, 5], [11, 5]])),
 'attention': lambda t: sdpa(t, t.flip(0) * 0.5, t.roll(1, 1)),
 'attentionCausal': lambda t: sdpa(t, t * 0.7, t.flip(1), is_causal=True, scale=0.9),
 'attentionBoolMask': lambda t: sdpa(t, t.roll(1, 0), t, mask=BOOL_MASK),
 'attentionBias': lambda t: sdpa(t.reshape(1, 3, 4), t.flip(0), t * 2, mask=t[:, 0:3].detach()),
 'lerp': lambda t: torch.lerp(t, t.flip(0), 0.3), 'atan2': lambda t: torch.atan2(t, t.roll(1, 0)), 'copysign': lambda t: torch.copysign(t, t.roll(1, 1)),
 # Convolution and pooling, as cases.mjs: img(t) is [1, 3, 3, 4], kernel(shape) is sin(0, 1, …).
 'conv2dPad': lambda t: F.conv2d(img(t), kernel(2, 3, 2, 2), torch.tensor([0.5, -0.5]), padding=1),
 'conv2dStride': lambda t: F.conv2d(img(t), kernel(2, 3, 3, 2), stride=2, dilation=(1, 2), padding=(1, 0)),
 'conv2dGroupsSame': lambda t: F.conv2d(img(t), kernel(6, 1, 2, 2), groups=3, padding='same'),
 'conv2dWeight': lambda t: F.conv2d(img(t * 0 + kernel(3, 4)), t.reshape(1, 3, 2, 2), padding=1, stride=(1, 2)),
 'conv1d': lambda t: F.conv1d(t.reshape(1, 3, 4), kernel(2, 3, 2), padding=1, stride=2),
 'convTranspose2d': lambda t: F.conv_transpose2d(img(t), kernel(3, 2, 2, 3), stride=2, padding=1, output_padding=1),
 'convTranspose2dGroups': lambda t: F.conv_transpose2d(img(t), kernel(3, 2, 3, 2), groups=3, dilation=2, stride=(1, 2)),
 'maxPool2d': lambda t: F.max_pool2d(img(t), 2, stride=1, padding=1),
 'maxPool2dCeil': lambda t: F.max_pool2d(img(t), (2, 3), stride=2, ceil_mode=True),
 'maxPool2dDilation': lambda t: F.max_pool2d(img(t), 2, stride=1, dilation=2, padding=1),
 'maxPool1d': lambda t: F.max_pool1d(t.reshape(1, 3, 4), 3, stride=2, padding=1, ceil_mode=True),
 'avgPool2d': lambda t: F.avg_pool2d(img(t), 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
 'avgPool2dPad': lambda t: F.avg_pool2d(img(t), 2, stride=(1, 2), padding=1, ceil_mode=True),
 'avgPool1d': lambda t: F.avg_pool1d(t.reshape(1, 3, 4), 2, stride=1, padding=1, count_include_pad=False),
 'adaptiveAvgPool2d': lambda t: F.adaptive_avg_pool2d(img(t), (2, 3)),
 'nearestSize': lambda t: F.interpolate(img(t), size=(5, 7)),
 'nearestScale': lambda t: F.interpolate(img(t), scale_factor=(1.5, 0.75)),
 'bilinear': lambda t: F.interpolate(img(t), size=(4, 7), mode='bilinear'),
 'bilinearCorners': lambda t: F.interpolate(img(t), scale_factor=2, mode='bilinear', align_corners=True),
}
J = json.load(sys.stdin)

# NOTE: torch 1.13 computes celu's and hardsigmoid's gradients with float32 constants (1/6 as
# 0.16666667163…), about 1e-8 off the exact value, which jacobi gives: those compare at 1e-7.
GRAD_RTOL = {'celu': 1e-7, 'hardSigmoid': 1e-7}


def flat(v):
    return [z for e in v for z in flat(e)] if isinstance(v, list) else [v]


def close(a, b, rtol):
    return len(a) == len(b) and all(
        (math.isnan(p) and math.isnan(q)) or abs(p - q) <= rtol * max(1.0, abs(q)) for p, q in zip(a, b)
    )


failures = []
for name, f in cases.items():
    t = X.clone().requires_grad_(True)
    y = f(t)
    w = (torch.arange(y.numel()).reshape(y.shape) + 1) * 0.1
    (y * w).sum().backward()
    if not close(flat(J[name]['y']), flat(y.detach().tolist()), 1e-9):
        failures.append(f"{name}: values {flat(J[name]['y'])[:6]} vs torch {flat(y.detach().tolist())[:6]}")
    elif not close(flat(J[name]['g']), flat(t.grad.tolist()), GRAD_RTOL.get(name, 1e-9)):
        failures.append(f"{name}: gradient {flat(J[name]['g'])[:6]} vs torch {flat(t.grad.tolist())[:6]}")
# The dtype cases run with PyTorch's own default float dtype, float32, as jacobi's.
torch.set_default_dtype(torch.float32)
I = torch.tensor([[7, -7, 5], [-3, 1, 12]], dtype=torch.int32)
D = torch.tensor([[3, 3, -2], [2, 5, -5]], dtype=torch.int32)
B = torch.tensor([[True, False, True], [False, False, True]])
F = torch.tensor([[0.5, -1.5, 2], [3, -0.25, 1]])
G = F.double()
dtype_cases = {
 'addID': lambda: I + D, 'mulID': lambda: I * D, 'divID': lambda: I / D, 'floorDivideID': lambda: torch.div(I, D, rounding_mode='floor'),
 'remainderID': lambda: torch.remainder(I, D), 'fmodID': lambda: torch.fmod(I, D), 'powI2': lambda: I ** 2,
 'addI1': lambda: I + 1, 'addI15': lambda: I + 1.5, 'addB1': lambda: B + 1, 'addB15': lambda: B + 1.5, 'addBB': lambda: B + ~B,
 'mulBB': lambda: B * B, 'mulBF': lambda: B * F, 'mulIF': lambda: I * F, 'mulIG': lambda: I * G, 'mulFG': lambda: F * G,
 'greaterIF': lambda: I > F, 'equalBI': lambda: B == I,
 'andID': lambda: I & D, 'orID': lambda: I | D, 'xorID': lambda: I ^ D, 'notI': lambda: ~I, 'notB': lambda: ~B,
 'shiftLeft': lambda: I << 2, 'shiftRight': lambda: I >> 1, 'andBB': lambda: B & ~B,
 'sumB': lambda: B.sum(1), 'sumI': lambda: I.sum(0), 'maxI': lambda: I.amax(1), 'minB': lambda: B.amin(0),
 'argmaxF': lambda: F.argmax(1), 'argminI': lambda: I.argmin(0),
 'whereBIF': lambda: torch.where(B, I, F), 'whereBI1': lambda: torch.where(B, I, torch.tensor(1, dtype=torch.int32)), 'whereB10': lambda: torch.where(B, 1, 0),
 'astypeFI': lambda: F.int(), 'astypeFB': lambda: F.bool(), 'astypeIB': lambda: I.bool(), 'expI': lambda: I.exp(), 'absI': lambda: I.abs(),
 'clampI': lambda: I.clamp(0, 5), 'maximumID': lambda: torch.maximum(I, D), 'minimumBB': lambda: torch.minimum(B, ~B),
 'cumsumB': lambda: B.cumsum(1), 'isnanI': lambda: I.isnan(), 'logicalAndID': lambda: torch.logical_and(I, D - 3),
 'nonzeroB': lambda: B.nonzero(), 'maskedFillI': lambda: I.masked_fill(B, 2.7), 'indexMask': lambda: I[B],
}
# jacobi has no int64: where PyTorch gives int64 (sums, positions, a bool meeting an integer) jacobi gives int32.
NAMES = {torch.bool: 'bool', torch.int32: 'int32', torch.int64: 'int32', torch.float32: 'float32', torch.float64: 'float64'}
dtype_failures = []
for name, f in dtype_cases.items():
    y = f()
    ours = J['__dtypes'][name]
    if ours['dtype'] != NAMES[y.dtype]:
        dtype_failures.append(f"{name}: dtype {ours['dtype']} vs torch {y.dtype}")
    elif not close(flat(ours['y']), [float(v) for v in flat(y.tolist())], 1e-7):
        dtype_failures.append(f"{name}: values {flat(ours['y'])[:6]} vs torch {flat(y.tolist())[:6]}")
failures += dtype_failures
# Layers: jacobi's state dictionaries load unchanged into the torch modules of the same names.
torch.set_default_dtype(torch.float64)
CAUSAL_BLOCKED = torch.ones(3, 3, dtype=torch.bool).triu(1)


def rms_norm(eps):
    class RMSNorm(torch.nn.Module):  # torch 1.13 has no nn.RMSNorm: its formula
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(4))

        def forward(self, x):
            return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * self.weight
    return RMSNorm()


nn = torch.nn
layer_cases = {
 'Linear': (lambda: nn.Linear(4, 3), lambda m, t: m(t)),
 'LayerNorm': (lambda: nn.LayerNorm(4), lambda m, t: m(t)),
 'LayerNorm2': (lambda: nn.LayerNorm([3, 4], eps=1e-3), lambda m, t: m(t)),
 'RMSNorm': (lambda: rms_norm(1e-6), lambda m, t: m(t)),
 'BatchNorm1dTrain': (lambda: nn.BatchNorm1d(3, momentum=0.3), lambda m, t: m(t)),
 'BatchNorm2dEval': (lambda: nn.BatchNorm2d(2).eval(), lambda m, t: m(t)),
 'Embedding': (lambda: nn.Embedding(5, 3, padding_idx=1), lambda m, t: m(torch.tensor([[0, 1, 4, 1], [3, 3, 2, 0]]))),
 'MultiheadAttention': (lambda: nn.MultiheadAttention(4, 2, batch_first=True), lambda m, t: m(t, t * 0.5, t.flip(1), attn_mask=CAUSAL_BLOCKED, need_weights=False)[0]),
 'MultiheadAttentionWeights': (lambda: nn.MultiheadAttention(4, 2, batch_first=True),
                               lambda m, t: m(t, t, t, key_padding_mask=torch.tensor([[False, False, True], [False, True, False]]))[1]),
 'TransformerEncoderLayer': (lambda: nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True), lambda m, t: m(t, src_mask=CAUSAL_BLOCKED)),
 'TransformerEncoderLayerPreNormGelu': (lambda: nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation='gelu', batch_first=True, norm_first=True),
                                        lambda m, t: m(t, src_mask=CAUSAL_BLOCKED)),
}
layer_failures = []
for name, (make, run) in layer_cases.items():
    ours = J['__nn'][name]
    m = make()
    m.load_state_dict({k: torch.tensor(v['data'], dtype=torch.long if k.endswith('num_batches_tracked') else torch.float64).reshape(v['shape'])
                       for k, v in ours['state'].items()})
    t = None if ours['input'] is None else torch.tensor(ours['input']).requires_grad_(True)
    y = run(m, t)
    w = (torch.arange(y.numel()).reshape(y.shape) + 1) * 0.1
    (y * w).sum().backward()
    problems = []
    if not close(flat(ours['y']), flat(y.detach().tolist()), 1e-9):
        problems.append(f"values {flat(ours['y'])[:4]} vs torch {flat(y.detach().tolist())[:4]}")
    if t is not None and not close(flat(ours['gInput']), flat(t.grad.tolist()), 1e-9):
        problems.append(f"input gradient {flat(ours['gInput'])[:4]} vs torch {flat(t.grad.tolist())[:4]}")
    for k, p in m.named_parameters():
        g = None if p.grad is None else flat(p.grad.tolist())
        if (g is None) != (ours['gParams'][k] is None) or (g is not None and not close(ours['gParams'][k], g, 1e-9)):
            problems.append(f"gradient of {k}")
    for k, b in m.named_buffers():
        if not close(ours['buffers'][k], [float(z) for z in flat(b.tolist())], 1e-9):
            problems.append(f"buffer {k} {ours['buffers'][k]} vs torch {flat(b.tolist())}")
    if problems:
        layer_failures.append(f"{name}: {'; '.join(problems)}")
failures += layer_failures
print(f'{len(layer_cases)} layers against torch.nn: {len(layer_cases) - len(layer_failures)} agree, {len(layer_failures)} differ')
print(f'{len(dtype_cases)} dtype cases against torch: {len(dtype_cases) - len(dtype_failures)} agree, {len(dtype_failures)} differ')
print(f'{len(cases)} cases against torch {torch.__version__}: {len(cases) - len(failures) + len(dtype_failures) + len(layer_failures)} agree, {len(failures) - len(dtype_failures) - len(layer_failures)} differ')
for line in failures:
    print('  ' + line)
sys.exit(1 if failures else 0)
