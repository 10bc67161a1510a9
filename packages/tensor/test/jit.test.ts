// jit: tracing, the cache, the printed program, dead code, both replay modes, composition with
// the transforms and the imperative graph, and the programs it refuses to trace.
import { describe, expect, it } from 'vitest';
import {
  AnomalyError,
  ArgumentError,
  TraceError,
  detectAnomaly,
  grad,
  jit,
  jvp,
  log,
  maxPool2d,
  stack,
  take,
  vmap,
  randn,
  rng,
  tanh,
  tensor,
  valueAndGrad,
  vjp,
  type Tensor,
} from '../src/index.js';

const r = rng(3);
const w = randn([3, 2], { rng: r, dtype: 'float64' });
const x = randn([4, 3], { rng: r, dtype: 'float64' });
const f = (a: Tensor, b: Tensor): Tensor => tanh(b.matmul(a)).sum();

/** Counts the calls of `fn`: how often a trace ran it. */
function counted<A extends unknown[], R>(fn: (...a: A) => R): { fn: (...a: A) => R; calls: () => number } {
  let n = 0;
  return {
    fn: (...a: A) => {
      n++;
      return fn(...a);
    },
    calls: () => n,
  };
}

describe('jit', () => {
  it('traces once per signature and replays the same values', () => {
    const c = counted(f);
    const jf = jit(c.fn);
    const want = f(w, x).item();
    expect(jf(w, x).item()).toBe(want);
    expect(jf(w, x).item()).toBe(want);
    expect(jf(w.mul(2), x).item()).toBe(f(w.mul(2), x).item());
    expect(c.calls()).toBe(1);
    expect(jf.cacheSize).toBe(1);
    // A new shape or dtype is a new signature.
    jf(w, x.index({ stop: 2 }));
    jf(w.astype('float32'), x.astype('float32'));
    expect([c.calls(), jf.cacheSize]).toEqual([3, 3]);
  });

  it('keys numbers by value and keeps pytree structure in and out', () => {
    const c = counted((p: { w: Tensor; s: number }, xs: Tensor[]) => ({ y: xs[0]!.matmul(p.w).mul(p.s), n: p.s, z: null }));
    const jf = jit(c.fn);
    const out = jf({ w, s: 2 }, [x]);
    expect(out.n).toBe(2);
    expect(out.z).toBeNull();
    expect(jf({ w, s: 2 }, [x]).y.toArray()).toEqual(x.matmul(w).mul(2).toArray());
    expect(jf({ w, s: 3 }, [x]).y.toArray()).toEqual(x.matmul(w).mul(3).toArray());
    expect(c.calls()).toBe(2);
  });

  it('checks each call against the last signature as a new key would: structure, leaves, numbers', () => {
    const c = counted((p: { w: Tensor; s: number }, xs: Tensor[]) => xs[0]!.matmul(p.w).mul(p.s));
    const jf = jit(c.fn);
    const calls = (...args: Parameters<typeof c.fn>) => {
      jf(...args);
      return c.calls();
    };
    expect(calls({ w, s: 0 }, [x])).toBe(1);
    expect(calls({ w, s: 0 }, [x])).toBe(1);
    expect(calls({ w, s: -0 }, [x])).toBe(2);
    expect(calls({ w, s: Number.NaN }, [x])).toBe(3);
    expect(calls({ w, s: Number.NaN }, [x])).toBe(3);
    expect(calls({ w: w.astype('float32'), s: Number.NaN }, [x.astype('float32')])).toBe(4);
    expect(calls({ w, s: Number.NaN, extra: 1 } as { w: Tensor; s: number }, [x])).toBe(5);
    expect(calls({ w, s: 2 } as unknown as { w: Tensor; s: number }, [x, x])).toBe(6);
    // What a first flattening refuses, a call of the last structure refuses too.
    const getter = Object.defineProperty({ w }, 's', { get: () => 2, enumerable: true }) as { w: Tensor; s: number };
    expect(() => jf(getter, [x, x])).toThrow(ArgumentError);
    const hole = [x, x];
    delete hole[1];
    expect(() => jf({ w, s: 2 }, hole)).toThrow(ArgumentError);
    expect(() => jf({ w, s: 2 }, [x, new Map() as unknown as Tensor])).toThrow(ArgumentError);
    expect(c.calls()).toBe(6);
  });

  it('prints the program and drops what no output needs', () => {
    const jf = jit((a: Tensor, b: Tensor) => {
      b.exp().sum(); // dead
      return f(a, b);
    });
    const lowered = jf.lower(w, x);
    expect(lowered.numEquations).toBe(3);
    expect(lowered.toString()).toBe(
      [
        '{ lambda a:f64[3,2] b:f64[4,3] ;',
        '    c:f64[4,2] = matmul b a',
        '    d:f64[4,2] = tanh c',
        '    e:f64[] = sum {axes=[0,1] keepdims=false} d',
        '  in (e) }',
      ].join('\n'),
    );
  });

  it('composes with grad, valueAndGrad, vjp and jvp in both orders, exactly', () => {
    const g = grad(f)(w, x);
    expect(grad(jit(f))(w, x).toArray()).toEqual(g.toArray());
    const jg = jit(grad(f));
    jg(w, x);
    expect(jg(w, x).toArray()).toEqual(g.toArray());
    const jvg = jit(valueAndGrad(f, { argnums: [0, 1] }));
    jvg(w, x);
    const [value, [gw, gx]] = jvg(w, x);
    expect(value.item()).toBe(f(w, x).item());
    expect(gw!.toArray()).toEqual(g.toArray());
    expect(gx!.toArray()).toEqual(grad(f, { argnums: [1] })(w, x)[0]!.toArray());
    const [, pull] = vjp(jit(f), w, x);
    expect(pull(tensor(1, { dtype: 'float64' }))[0]!.toArray()).toEqual(g.toArray());
    const [, t] = jvp(f, [w, x], [w.mul(0.5), x]);
    expect(jvp(jit(f), [w, x], [w.mul(0.5), x])[1].item()).toBe(t.item());
    // grad of grad through a jitted inner function.
    const h = (a: Tensor) => jit((u: Tensor) => u.sin().mul(u).sum())(a);
    expect(grad(grad(h))(tensor(0.7, { dtype: 'float64' })).item()).toBeCloseTo(2 * Math.cos(0.7) - 0.7 * Math.sin(0.7), 14);
  });

  it('reads captured tensors afresh and feeds the imperative graph of requiresGrad ones', () => {
    const p = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const h = jit((u: Tensor) => u.matmul(p).sum());
    const u = tensor([
      [1, 0],
      [0, 2],
    ]);
    h(u).backward();
    expect(p.grad!.toArray()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    p.grad = null;
    h(u).backward();
    expect(p.grad!.toArray()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    p.assign(
      tensor([
        [0, 0],
        [0, 1],
      ]),
    );
    expect(h(u).item()).toBe(2);
  });

  it('records ops on captured tensors alone, so a replay sees their current values (omnistaging)', () => {
    const p = tensor([1, 2]);
    const q = tensor([1, 1], { requiresGrad: true });
    const h = jit((u: Tensor) => u.add(p.mul(2)).mul(q.exp().log()).sum());
    expect(h(tensor([0, 0])).item()).toBeCloseTo(6, 5);
    p.assign(tensor([3, 4]));
    q.assign(tensor([2, 2]));
    expect(h(tensor([0, 0])).item()).toBeCloseTo(28, 5);
    h(tensor([0, 0])).backward();
    expect(q.grad!.toArray()).toEqual([6, 8]);
  });

  it('records stopGradient, so a differentiated replay cuts the derivative where f does', () => {
    const f2 = (u: Tensor) => u.mul(u.detach()).sum();
    const jf2 = jit(f2);
    const u = tensor([3, -1], { dtype: 'float64' });
    jf2(u);
    expect(grad(jf2)(u).toArray()).toEqual(grad(f2)(u).toArray());
    expect(grad(jf2)(u).toArray()).toEqual([3, -1]);
  });

  it('refuses backward() inside a traced function', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    expect(() =>
      jit((u: Tensor) => {
        u.mul(p).sum().backward();
        return u;
      })(tensor([1, 1])),
    ).toThrow(TraceError);
    expect(p.grad).toBeNull();
  });

  it('replays through the interpreter in anomaly mode, which then sees each primitive', () => {
    const jl = jit((a: Tensor) => log(a).sum());
    const ok = tensor([1, 2]);
    jl(ok);
    expect(() => detectAnomaly(() => jl(tensor([1, -1])))).toThrow(AnomalyError);
    expect(Number.isNaN(jl(tensor([1, -1])).item())).toBe(true);
  });

  it('refuses to trace value reads, random draws and assign, and leaves no trace open', () => {
    const leaf = tensor([1, 2]);
    const cases: [string, (a: Tensor) => Tensor, RegExp][] = [
      ['item', (a) => a.mul(a.sum().item()), /reads the values/],
      ['toArray', (a) => tensor(a.toArray() as number[]), /reads the values/],
      ['nonzero', (a) => a.greater(0).nonzero(), /reads the values/],
      ['randn', (a) => a.add(randn([2])), /cannot draw random numbers/],
      [
        'assign',
        (a) => {
          leaf.assign(a);
          return a;
        },
        /cannot change tensors in place/,
      ],
    ];
    for (const [name, fn, message] of cases) {
      expect(() => jit(fn)(tensor([1, 2])), name).toThrow(TraceError);
      expect(() => jit(fn)(tensor([1, 2])), name).toThrow(message);
    }
    // After the failures nothing is traced: plain code reads values and draws numbers again.
    expect(tensor([1, 2]).sum().item()).toBe(3);
    expect(randn([2]).shape).toEqual([2]);
    expect(String(jit((a: Tensor) => a)(tensor([5])))).toContain('5');
  });

  it('takes at traced positions, checking their range each time the program runs', () => {
    const jt = jit((a: Tensor, i: Tensor) => a.take(i, 0));
    const a = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const i = tensor([2, -1, 0], { dtype: 'int32' });
    expect(jt(a, i).toArray()).toEqual(a.take([2, -1, 0], 0).toArray());
    expect(jt(a, tensor([0, 1, 1], { dtype: 'int32' })).toArray()).toEqual(a.take([0, 1, 1], 0).toArray());
    expect(jt.lower(a, i).toString()).toContain('takeIndexed {op=take axis=0 negativeWraps=true blocks=1}');
    expect(() => jt(a, tensor([0, 3, 0], { dtype: 'int32' }))).toThrow(ArgumentError);
    expect(() => jt(a, tensor([0, -4, 0], { dtype: 'int32' }))).toThrow(/index -4 \(entry 1\) is out of range for axis 0 of size 3/);
    const g = grad((u: Tensor) => jt(u, tensor([2, 2, 0], { dtype: 'int32' })).sum())(a.astype('float64'));
    expect(g.toArray()).toEqual([
      [1, 1],
      [0, 0],
      [2, 2],
    ]);
  });

  it('traces max pooling: eager values, and the gradient at the first arg-max (ties too)', () => {
    const a = randn([2, 3, 7, 6], { rng: rng(5), dtype: 'float64' });
    const tie = tensor(
      [
        [
          [
            [1, 1, 0],
            [1, 1, 0],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    for (const opts of [
      { kernelSize: 2 },
      { kernelSize: 3, stride: 2, padding: 1 },
      { kernelSize: [2, 3], dilation: [2, 1], stride: 2, ceilMode: true },
    ]) {
      for (const u of [a, tie]) {
        if (u === tie && opts.kernelSize !== 2) continue;
        const loss = (v: Tensor) => maxPool2d(v, opts).sin().sum();
        const jl = jit(grad(loss));
        jl(u);
        expect(jl(u).toArray(), JSON.stringify(opts)).toEqual(grad(loss)(u).toArray());
        const jm = jit((v: Tensor) => maxPool2d(v, opts));
        jm(u);
        expect(jm(u).toArray()).toEqual(maxPool2d(u, opts).toArray());
      }
    }
    expect(
      jit((v: Tensor) => maxPool2d(v, { kernelSize: 2 }))
        .lower(tie)
        .toString(),
    ).toContain('equal');
  });

  it('prints a traced tensor as traced instead of showing trace-time numbers', () => {
    let shown = '';
    jit((a: Tensor) => {
      shown = String(a.mul(2));
      return a;
    })(tensor([1, 2]));
    expect(shown).toBe('tensor(<traced by jit>, shape=[2], dtype=float32)');
  });

  it('checks its arguments', () => {
    expect(() => jit(42 as unknown as () => Tensor)).toThrow(ArgumentError);
    expect(() => jit((a: Tensor) => a)(new Map() as unknown as Tensor)).toThrow(/jit/);
    expect(() => jit(() => 'no tensor' as unknown as Tensor)()).toThrow(/jit/);
  });
});

describe('take at traced positions under vmap', () => {
  const table = randn([5, 3], { rng: rng(8), dtype: 'float64' });
  const positions = tensor(
    [
      [4, 0, -1],
      [2, 2, 1],
    ],
    { dtype: 'int32' },
  );
  const loop = (f: (i: number) => Tensor) => stack([f(0), f(1)]);

  it('per-example positions into one table, and into per-example tables, with their gradients', () => {
    const byRow = vmap((i: Tensor) => take(table, i, 0))(positions);
    expect(byRow.toArray()).toEqual(loop((b) => table.take(positions.index(b).toArray() as number[], 0)).toArray());
    const tables = stack([table, table.mul(2)]);
    const own = vmap((t: Tensor, i: Tensor) => take(t, i, 0))(tables, positions);
    expect(own.toArray()).toEqual(loop((b) => tables.index(b).take(positions.index(b).toArray() as number[], 0)).toArray());
    const perExample = vmap(
      grad((t: Tensor, i: Tensor) => take(t, i, 0).square().sum()),
      { inAxes: [null, 0] },
    )(table, positions);
    expect(perExample.toArray()).toEqual(
      loop((b) =>
        grad((t: Tensor) =>
          t
            .take(positions.index(b).toArray() as number[], 0)
            .square()
            .sum(),
        )(table),
      ).toArray(),
    );
    expect(() => vmap((i: Tensor) => take(table, i, 0))(tensor([[0], [5]], { dtype: 'int32' }))).toThrow(
      /out of range for axis 0 of size 5/,
    );
  });
});
