// The seed's activations f and their derivatives f', written out by hand (the reference).
// relu and leakyRelu have a kink at 0, where f' does not exist; the properties keep their
// inputs away from it (see `kinkMargin`).

export type ActivationName = 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';
export const activationNames: readonly ActivationName[] = ['identity', 'sigmoid', 'tanh', 'relu', 'leakyRelu'];

/** The negative-side slope of leakyRelu (the value @jacobi/nn uses by default). */
export const LEAKY_SLOPE = 0.01;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export interface Activation {
  readonly f: (z: number) => number;
  /** f'(z), the derivative of f at z. */
  readonly df: (z: number) => number;
  /** Whether f has a kink at 0 (inputs must stay away from it). */
  readonly kinked: boolean;
  /** The absolute error, in units of roundoff, of f' computed from f's output (sup |f'|). */
  readonly dfError: number;
  /** sup |f'|: how much an error in z moves f(z). */
  readonly lipschitz: number;
  /** sup |f''|: how much an error in z moves f'(z). */
  readonly curvature: number;
}

export const activations: Record<ActivationName, Activation> = {
  // f(z) = z, f'(z) = 1
  identity: { f: (z) => z, df: () => 1, kinked: false, dfError: 0, lipschitz: 1, curvature: 0 },
  // σ(z) = 1/(1+e⁻ᶻ), σ'(z) = σ(z)(1 − σ(z))
  sigmoid: { f: sigmoid, df: (z) => sigmoid(z) * (1 - sigmoid(z)), kinked: false, dfError: 0.25, lipschitz: 0.25, curvature: 0.1 },
  // tanh'(z) = 1 − tanh²(z)
  tanh: { f: Math.tanh, df: (z) => 1 - Math.tanh(z) ** 2, kinked: false, dfError: 1, lipschitz: 1, curvature: 0.77 },
  // relu(z) = max(z, 0), relu'(z) = 1 for z > 0 and 0 for z < 0
  relu: { f: (z) => Math.max(z, 0), df: (z) => (z > 0 ? 1 : 0), kinked: true, dfError: 0, lipschitz: 1, curvature: 0 },
  // leakyRelu(z) = z for z > 0 and αz for z < 0; its derivative is 1 or α
  leakyRelu: {
    f: (z) => (z > 0 ? z : LEAKY_SLOPE * z),
    df: (z) => (z > 0 ? 1 : LEAKY_SLOPE),
    kinked: true,
    dfError: 0,
    lipschitz: 1,
    curvature: 0,
  },
};
