// The seed's backpropagation, written out with the plain-array matrix helper: no tensor op of
// the library is used here, so the library's derivatives are compared against an independent
// derivation.
//
//   Z₁ = X₀W₁ + b₁   X₁ = f₁(Z₁)
//   Z₂ = X₁W₂ + b₂   X₂ = f₂(Z₂)
//   Z₃ = X₂W₃ + b₃   X₃ = f₃(Z₃)        E = ½‖X₃ − T‖²
//
//   δ₃ = (X₃ − T) ∘ f₃'(Z₃)     ∂E/∂W₃ = X₂ᵀδ₃   ∂E/∂b₃ = column sums of δ₃
//   δ₂ = δ₃W₃ᵀ ∘ f₂'(Z₂)         ∂E/∂W₂ = X₁ᵀδ₂   ∂E/∂b₂ = column sums of δ₂
//   δ₁ = δ₂W₂ᵀ ∘ f₁'(Z₁)         ∂E/∂W₁ = X₀ᵀδ₁   ∂E/∂b₁ = column sums of δ₁
import { activations, type ActivationName } from './activations.js';
import * as M from './matrix.js';
import type { Matrix } from './matrix.js';

export interface LayerValues {
  /** [in, out] */
  readonly weight: Matrix;
  /** [out], or null for a layer without bias */
  readonly bias: number[] | null;
  readonly activation: ActivationName;
}

export interface SeedBackprop {
  /** X₀, X₁, X₂, X₃ */
  readonly xs: Matrix[];
  /** Z₁, Z₂, Z₃ (the pre-activations XᵢWᵢ₊₁ + bᵢ₊₁), index 0 is Z₁ */
  readonly zs: Matrix[];
  /** δ₁, δ₂, δ₃ */
  readonly deltas: Matrix[];
  /** ∂E/∂W₁, ∂E/∂W₂, ∂E/∂W₃ */
  readonly dWeights: Matrix[];
  /** ∂E/∂b₁, ∂E/∂b₂, ∂E/∂b₃ (null for layers without bias) */
  readonly dBiases: (number[] | null)[];
  /** E = ½‖X₃ − T‖² */
  readonly loss: number;
  /** The rounding-error scales of dWeights, dBiases and loss (see `errorScales`). */
  readonly scales: { dWeights: Matrix[]; dBiases: (number[] | null)[]; loss: number };
}

export function seedBackprop(layers: readonly LayerValues[], x0: Matrix, t: Matrix): SeedBackprop {
  // Forward: Zᵢ = Xᵢ₋₁Wᵢ (+ bᵢ), Xᵢ = fᵢ(Zᵢ).
  const xs: Matrix[] = [x0];
  const zs: Matrix[] = [];
  for (const layer of layers) {
    const xw = M.matmul(xs[xs.length - 1]!, layer.weight);
    const z = layer.bias === null ? xw : M.addRow(xw, layer.bias);
    zs.push(z);
    xs.push(M.map(z, activations[layer.activation].f));
  }
  const out = xs[xs.length - 1]!;
  // Backward: δ_L = (X_L − T) ∘ f_L'(Z_L); δᵢ = δᵢ₊₁Wᵢ₊₁ᵀ ∘ fᵢ'(Zᵢ).
  const deltas: Matrix[] = new Array(layers.length);
  let upstream = M.zipWith(out, t, (x, y) => x - y); // ∂E/∂X_L = X_L − T
  for (let i = layers.length - 1; i >= 0; i--) {
    const df = M.map(zs[i]!, activations[layers[i]!.activation].df);
    deltas[i] = M.zipWith(upstream, df, (g, d) => g * d);
    upstream = M.matmul(deltas[i]!, M.transpose(layers[i]!.weight)); // ∂E/∂Xᵢ₋₁ = δᵢWᵢᵀ
  }
  // ∂E/∂Wᵢ = Xᵢ₋₁ᵀδᵢ and ∂E/∂bᵢ = Σ_rows δᵢ.
  const dWeights = layers.map((layer, i) => M.matmul(M.transpose(xs[i]!, layer.weight.length), deltas[i]!));
  const dBiases = layers.map((layer, i) => (layer.bias === null ? null : M.columnSums(deltas[i]!, layer.weight[0]!.length)));
  const scales = errorScales(layers, xs, zs, t);
  return { xs, zs, deltas, dWeights, dBiases, loss: M.halfSquaredError(out, t), scales };
}

/**
 * A first-order bound on rounding errors: the same forward and backward passes on magnitudes,
 * every product and sum replaced by the product and sum of absolute values, each f(z) by |f(z)|
 * plus sup|f'|·(the magnitude of z), each f'(z) by |f'(z)| plus its own computation error plus
 * sup|f''|·(the magnitude of z). The rounding error of any correct float implementation of
 * the formulas is a small multiple of the unit roundoff times these scales, so the properties
 * compare |computed − reference| with rtol × scale element by element.
 * NOTE: a plain relative error would be meaningless where a result cancels to nearly zero
 * (X₃ − T with X₃ ≈ T, or Σ over rows of terms of both signs), and f' = 1 − tanh²(z) or
 * σ(z)(1 − σ(z)) computed from the layer's output (as autodiff libraries do) has an absolute
 * error of about one roundoff, a large relative error where tanh or σ saturates.
 */
function errorScales(layers: readonly LayerValues[], xs: readonly Matrix[], zs: readonly Matrix[], t: Matrix) {
  const abs = (m: Matrix) => M.map(m, Math.abs);
  const xScales: Matrix[] = [abs(xs[0]!)];
  const zScales: Matrix[] = [];
  layers.forEach((layer, i) => {
    const xw = M.matmul(xScales[i]!, abs(layer.weight));
    const z = layer.bias === null ? xw : M.addRow(xw, layer.bias.map(Math.abs));
    zScales.push(z);
    const { lipschitz } = activations[layer.activation];
    xScales.push(M.zipWith(abs(xs[i + 1]!), z, (x, zs) => x + lipschitz * zs));
  });
  let upstream = M.zipWith(xScales[layers.length]!, abs(t), (x, y) => x + y);
  const loss = M.halfSquaredError(
    upstream,
    M.map(upstream, () => 0),
  );
  const deltas: Matrix[] = new Array(layers.length);
  for (let i = layers.length - 1; i >= 0; i--) {
    const { df, dfError, curvature } = activations[layers[i]!.activation];
    const s = M.zipWith(zs[i]!, zScales[i]!, (z, zs) => Math.abs(df(z)) + dfError + curvature * zs);
    deltas[i] = M.zipWith(upstream, s, (g, d) => g * d);
    upstream = M.matmul(deltas[i]!, M.transpose(abs(layers[i]!.weight)));
  }
  const dWeights = layers.map((layer, i) => M.matmul(M.transpose(xScales[i]!, layer.weight.length), deltas[i]!));
  const dBiases = layers.map((layer, i) => (layer.bias === null ? null : M.columnSums(deltas[i]!, layer.weight[0]!.length)));
  return { dWeights, dBiases, loss };
}

/** The smallest |z| over the pre-activations of kinked activations (Infinity if none). */
export function kinkMargin(layers: readonly LayerValues[], zs: readonly Matrix[]): number {
  let margin = Infinity;
  layers.forEach((layer, i) => {
    if (!activations[layer.activation].kinked) return;
    for (const row of zs[i]!) for (const z of row) margin = Math.min(margin, Math.abs(z));
  });
  return margin;
}
