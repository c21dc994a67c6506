package minitron.tensor;

/** Elementwise functions of one argument. The derivative of each is written beside it. */
public enum UnaryOp {
    NEG,        // -x                      d/dx = -1
    EXP,        // e^x                     d/dx = e^x
    LOG,        // ln x                    d/dx = 1/x
    SQRT,       // sqrt x                  d/dx = 1 / (2 sqrt x)
    RSQRT,      // 1/sqrt x                d/dx = -1/2 x^(-3/2)
    RECIPROCAL, // 1/x                     d/dx = -1/x^2
    SQUARE,     // x^2                     d/dx = 2x
    ABS,        // |x|                     d/dx = sign x
    SIGMOID,    // 1/(1+e^-x)              d/dx = s(1-s)
    SILU,       // x * sigmoid(x)          d/dx = s(1 + x(1-s))
    TANH,       // tanh x                  d/dx = 1 - tanh^2
    RELU;       // max(x, 0)               d/dx = [x > 0]

    /** The scalar definition, used by the reference backend and by tests. */
    public double apply(double x) {
        return switch (this) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case RECIPROCAL -> 1.0 / x;
            case SQUARE -> x * x;
            case ABS -> Math.abs(x);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
            case SILU -> x / (1.0 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case RELU -> x <= 0 ? 0.0 : x; // NaN stays NaN, as torch.relu
        };
    }
}
