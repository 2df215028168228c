package clip4j.backend;

/**
 * erf in double, accurate to about 1e-15 (the JDK has none), for the exact GELU of PyTorch's {@code nn.GELU}
 * (docs/forward-pass.md#activations):
 * the Maclaurin series below |x| = 2, the continued fraction of erfc above.
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private Erf() {
    }

    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r;
        if (a < 2.0) {
            double x2 = a * a;
            double term = a;
            double sum = a;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
            }
            r = TWO_OVER_SQRT_PI * sum;
        } else {
            r = 1.0 - erfcContinuedFraction(a);
        }
        return x < 0 ? -r : r;
    }

    /** erfc(a) for a ≥ 2 by the Laplace continued fraction, evaluated with the modified Lentz method. */
    private static double erfcContinuedFraction(double a) {
        if (a > 27) return 0.0;
        // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
        double tiny = 1e-300;
        double f = a;
        double c = a;
        double d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n * 0.5;
            d = a + an * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = a + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
    }
}
