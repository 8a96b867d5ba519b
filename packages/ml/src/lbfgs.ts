/**
 * Limited-memory BFGS with a backtracking (Armijo) line search: the optimiser scikit-learn's
 * LogisticRegression uses by default, enough for smooth convex losses like regularised log-loss.
 */
export interface LbfgsOptions {
  maxIterations?: number
  /** Stop when the gradient's max-norm falls below this (sklearn's `tol` is on the projected gradient too). */
  tolerance?: number
  memory?: number
  onIteration?: (info: { iteration: number; loss: number; gradientNorm: number }) => void
}

export interface LbfgsResult {
  x: Float64Array
  loss: number
  iterations: number
  converged: boolean
}

/** `evaluate` writes the gradient into `gradient` and returns the loss at `x`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number

const dot = (a: Float64Array, b: Float64Array): number => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}
const maxNorm = (a: Float64Array): number => {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!))
  return max
}

export function minimizeLbfgs(
  evaluate: Objective,
  start: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const { maxIterations = 500, tolerance = 1e-6, memory = 10 } = options
  const n = start.length
  let x = Float64Array.from(start)
  let gradient = new Float64Array(n)
  let loss = evaluate(x, gradient)
  const history: Array<{ s: Float64Array; y: Float64Array; rho: number }> = []
  const direction = new Float64Array(n)
  const alpha = new Float64Array(memory)
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const gradientNorm = maxNorm(gradient)
    options.onIteration?.({ iteration, loss, gradientNorm })
    if (gradientNorm < tolerance) return { x, loss, iterations: iteration - 1, converged: true }
    // Two-loop recursion: direction = -H * gradient.
    direction.set(gradient)
    for (let k = history.length - 1; k >= 0; k--) {
      const { s, y, rho } = history[k]!
      alpha[k] = rho * dot(s, direction)
      for (let i = 0; i < n; i++) direction[i]! -= alpha[k]! * y[i]!
    }
    const last = history[history.length - 1]
    const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.max(1, maxNorm(gradient))
    for (let i = 0; i < n; i++) direction[i]! *= gamma
    for (let k = 0; k < history.length; k++) {
      const { s, y, rho } = history[k]!
      const beta = rho * dot(y, direction)
      for (let i = 0; i < n; i++) direction[i]! += s[i]! * (alpha[k]! - beta)
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i]!
    let slope = dot(gradient, direction)
    if (slope >= 0) {
      // Not a descent direction (curvature went wrong): restart from steepest descent.
      history.length = 0
      for (let i = 0; i < n; i++) direction[i] = -gradient[i]!
      slope = dot(gradient, direction)
    }
    let step = 1
    const next = new Float64Array(n)
    const nextGradient = new Float64Array(n)
    let nextLoss = Infinity
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) next[i] = x[i]! + step * direction[i]!
      nextLoss = evaluate(next, nextGradient)
      if (nextLoss <= loss + 1e-4 * step * slope) break
      step /= 2
    }
    if (!(nextLoss < loss) && !(nextLoss <= loss)) return { x, loss, iterations: iteration, converged: false }
    const s = new Float64Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      s[i] = next[i]! - x[i]!
      y[i] = nextGradient[i]! - gradient[i]!
    }
    const sy = dot(s, y)
    if (sy > 1e-12) {
      history.push({ s, y, rho: 1 / sy })
      if (history.length > memory) history.shift()
    }
    const improvement = loss - nextLoss
    x = next
    gradient = nextGradient
    loss = nextLoss
    if (improvement >= 0 && improvement <= 1e-15 * Math.max(1, Math.abs(loss))) {
      return { x, loss, iterations: iteration, converged: maxNorm(gradient) < tolerance * 100 }
    }
  }
  return { x, loss, iterations: maxIterations, converged: maxNorm(gradient) < tolerance }
}
