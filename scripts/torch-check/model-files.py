# The PyTorch side of model-files.mjs: the torch.nn modules equivalent to the examples' models,
# (a) loading jacobi's `layout: 'torch'` files with strict load_state_dict and comparing outputs,
# (b) saving their own state_dict for jacobi to load. Debian has no Python safetensors package, so
# the format (u64 little-endian header length, JSON header, raw little-endian bytes) is read and
# written here. Reads the manifest JSON on stdin; exits 1 on any mismatch.
import json, os, struct, sys

import numpy as np
import torch
from torch import nn

J = json.load(sys.stdin)
DIR, TOL = J['dir'], J['tolerance']
DTYPES = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64, 'BOOL': np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def load_file(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        data = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=np.dtype(DTYPES[e['dtype']]).newbyteorder('<'))
        out[name] = torch.from_numpy(data.reshape(e['shape']).copy())
    return out


def save_file(tensors, path, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        b = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': NAMES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


def iris(config):
    widths = [4, *config['hidden'], 3]
    layers = []
    for i in range(len(widths) - 1):
        layers += [nn.Linear(widths[i], widths[i + 1]), nn.Sigmoid()]
    return nn.Sequential(*layers)


def digits(config):
    c1, c2 = config['channels']
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(c2 * 4, 10))


def digits_batchnorm(_config):
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                         nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


class CharTransformer(nn.Module):
    """packages/examples/src/makemore/model.ts: field names as there, so the state_dicts match."""

    def __init__(self, c):
        super().__init__()
        self.tokenEmbedding = nn.Embedding(c['vocabSize'], c['embedDim'])
        self.positionEmbedding = nn.Embedding(c['context'], c['embedDim'])
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(c['embedDim'], c['heads'], dim_feedforward=c['dimFeedforward'], dropout=c['dropout'],
                                       norm_first=True, batch_first=True) for _ in range(c['layers']))
        self.norm = nn.LayerNorm(c['embedDim'])
        self.head = nn.Linear(c['embedDim'], c['vocabSize'])

    def forward(self, tokens):
        T = tokens.shape[1]
        h = self.tokenEmbedding(tokens) + self.positionEmbedding(torch.arange(T))
        causal = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
        for layer in self.layers:
            h = layer(h, src_mask=causal)
        return self.head(self.norm(h))


BUILD = {'iris': iris, 'digits': digits, 'digits-batchnorm': digits_batchnorm, 'makemore': CharTransformer}
WARMUPS = 5  # training-mode batches before PyTorch saves, so its running statistics differ from jacobi's


def prepare(x):
    return x.long() if x.dtype == torch.int32 else x


def relative_error(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


failures = 0
torch.manual_seed(0)
for case in J['cases']:
    name, config = case['name'], case['config']
    path = lambda kind: os.path.join(DIR, f'{name}.{kind}.safetensors')
    x = prepare(load_file(path('input'))['x'])
    # (a) jacobi → PyTorch.
    model = BUILD[name](config)
    try:
        state = load_file(path('jacobi'))
        model.load_state_dict(state, strict=True)
        model.eval()
        with torch.no_grad():
            error = relative_error(model(x), load_file(path('jacobi-out'))['y'])
        # jacobi ran 3 training batches; its int32 counters must arrive as PyTorch's int64.
        counts = [(t.dtype, t.item()) for n, t in state.items() if n.endswith('num_batches_tracked')]
        # The file lists the tensors in state_dict()'s order (json.loads keeps the header's order).
        same_order = list(state) == list(model.state_dict())
        ok = error <= TOL and all(c == (torch.int64, 3) for c in counts) and same_order
        if not same_order:
            print(f'     {name}: the file\'s order {list(state)} is not state_dict()\'s {list(model.state_dict())}')
        note = f', num_batches_tracked {counts}' if counts else ''
        print(f"{'ok  ' if ok else 'FAIL'} {name}: jacobi → PyTorch (strict load_state_dict), max error {error:.2e} of the largest output{note}")
    except RuntimeError as e:
        ok = False
        print(f'FAIL {name}: jacobi → PyTorch: {e}')
    failures += not ok
    # (b) PyTorch → jacobi: fresh weights, each moved off its initial value, and running statistics.
    model = BUILD[name](config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
        if any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
            model.train()
            for _ in range(WARMUPS):
                model(torch.randn(6, 1, 8, 8))
        model.eval()
        y = model(x)
    save_file(model.state_dict(), path('torch'), {'format': 'pt'})
    counts = [m.num_batches_tracked for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    out = {'y': y}
    if counts:
        out['counts'] = torch.stack(counts).int()
    save_file(out, path('torch-out'))
sys.exit(1 if failures else 0)
