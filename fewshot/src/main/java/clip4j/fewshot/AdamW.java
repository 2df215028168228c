package clip4j.fewshot;

/**
 * PyTorch's AdamW (decoupled weight decay, bias-corrected moments, eps outside the sqrt) over a list of parameter
 * tensors, with the per-iteration cosine schedule of CosineAnnealingLR(T_max = total steps, eta_min 0).
 */
public final class AdamW {
    private final float[][] params;
    private final double[][] m, v;
    private final double lr, eps, weightDecay, beta1 = 0.9, beta2 = 0.999;
    private final long totalSteps;
    private long step;

    public AdamW(float[][] params, double lr, double eps, double weightDecay, long totalSteps) {
        this.params = params;
        this.lr = lr;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.totalSteps = Math.max(1, totalSteps);
        m = new double[params.length][];
        v = new double[params.length][];
        for (int i = 0; i < params.length; i++) {
            m[i] = new double[params[i].length];
            v[i] = new double[params[i].length];
        }
    }

    /** The learning rate the next step uses: lr·(1 + cos(π·t/T))/2. */
    public double currentLr() {
        return lr * 0.5 * (1 + StrictMath.cos(Math.PI * Math.min(step, totalSteps) / totalSteps));
    }

    /** One update with gradients shaped like the parameters. */
    public void step(double[][] grads) {
        double a = currentLr();
        step++;
        double bc1 = 1 - StrictMath.pow(beta1, step), bc2 = 1 - StrictMath.pow(beta2, step);
        for (int p = 0; p < params.length; p++) {
            float[] w = params[p];
            double[] g = grads[p], mp = m[p], vp = v[p];
            for (int i = 0; i < w.length; i++) {
                double x = w[i] * (1 - a * weightDecay);
                mp[i] = beta1 * mp[i] + (1 - beta1) * g[i];
                vp[i] = beta2 * vp[i] + (1 - beta2) * g[i] * g[i];
                x -= a * (mp[i] / bc1) / (Math.sqrt(vp[i] / bc2) + eps);
                w[i] = (float) x;
            }
        }
    }
}
