/**
 * Define-by-run reverse-mode automatic differentiation on {@link minitron.tensor.Tensor}s.
 *
 * <p>A {@link minitron.autograd.Var} holds a value and, after {@link minitron.autograd.Var#backward()}, a
 * gradient. Every op computes its value with {@link minitron.tensor.Ops} on the current backend
 * ({@link minitron.autograd.Autograd}) and records a closure that maps the gradient of its output to the gradients
 * of its inputs; {@link minitron.autograd.NoGrad} turns recording off.
 *
 * <h2>The primitives and their gradients (g = d loss / d out)</h2>
 * <pre>
 * op                      forward                       backward
 * add(a, b)               a + b  (broadcast)            sumTo(g, a), sumTo(g, b)
 * sub(a, b)               a - b                         sumTo(g, a), -sumTo(g, b)
 * mul(a, b)               a * b                         sumTo(g b, a), sumTo(g a, b)
 * div(a, b)               a / b                         sumTo(g / b, a), sumTo(-g out / b, b)
 * scale(a, c), addScalar  a c, a + c                    g c, g
 * neg, exp, log           -a, e^a, ln a                 -g, g out, g / a
 * sqrt, rsqrt, square     a^1/2, a^-1/2, a^2            g / (2 out), -g out / (2 a), 2 g a
 * sigmoid, silu           s, a s                        g s (1 - s), g s (1 + a (1 - s))
 * matmul(a, b)            a @ b  (batch broadcast)      sumTo(g @ b^T, a), sumTo(a^T @ g, b)
 * linear(x, W)            x @ W^T, W (out, in)          g @ W, g^T @ x
 * reshape/permute/...     views                         the inverse view of g
 * slice, concat           window, join                  g into a zero tensor, windows of g
 * expand                  stride-0 view                 sumTo(g, a)
 * sum(a, axis)            sum along axis                g broadcast back along axis
 * embedding(table, ids)   table[ids]                    scatter-add of g rows by id
 * </pre>
 * Composites (mean, linear with bias) are built from these and need no backward of their own.
 *
 * <h2>Fused ops</h2>
 * {@link minitron.autograd.Normalization#rmsNorm rmsNorm}, {@link minitron.autograd.Attention#rope rope},
 * {@link minitron.autograd.Attention#attention causal GQA attention}, {@link minitron.autograd.Activations swiglu,
 * softmax, logSoftmax}, {@link minitron.autograd.Losses cross-entropy and KL divergence} call one backend kernel
 * forward and one backward. Each is defined by its composition of primitives in
 * {@link minitron.autograd.Composite}, and tested against it (forward and gradients) and against PyTorch.
 *
 * <p>Gradients are checked against finite differences by {@link minitron.autograd.GradCheck}; optimizers, gradient
 * clipping and learning-rate schedules are in {@link minitron.autograd.optim}.
 */
package minitron.autograd;
