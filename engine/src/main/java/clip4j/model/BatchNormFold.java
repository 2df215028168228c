package clip4j.model;

import clip4j.ClipException;
import clip4j.io.SafetensorsWriter.FloatSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Folds each BatchNorm of a ResNet image tower (upstream clip/model.py {@code ModifiedResNet}, torch {@code
 * nn.BatchNorm2d} at inference: (y − running_mean)/√(running_var + eps)·weight + bias, eps 1e-5) into the
 * convolution before it, for our model file: with s = weight/√(running_var + eps), the convolution's weight becomes
 * W·s per output channel and gains the bias bias − running_mean·s, both computed in double from the stored values
 * and rounded once to f32. The weight is also moved from torch's [out, in, kh, kw] to our [out, kh, kw, in].
 * Upstream rounds twice per output (the convolution, then the normalisation, each in f32); the folded model rounds the
 * scaled weights instead, which moves outputs by fp32 rounding (docs/forward-pass.md#resnet-image-tower).
 */
public final class BatchNormFold {
    /** torch's BatchNorm2d default, which every CLIP ResNet uses. */
    public static final double EPS = 1e-5;

    private BatchNormFold() {
    }

    /**
     * Our image-tower tensors (names and shapes of {@link WeightSchema}) from upstream's (names and shapes of
     * {@link ResNetLayout#upstream}), which {@code tensor} yields by name; the attention pool is passed through.
     * A BatchNorm whose variance is negative, or any of whose statistics is not finite, is an error (a damaged
     * checkpoint), not a NaN model.
     */
    public static Map<String, ModelFileWriter.Source> fold(ClipConfig c, Function<String, FloatSource> tensor) {
        Map<String, ModelFileWriter.Source> out = new LinkedHashMap<>();
        for (ResNetLayout.Conv v : ResNetLayout.convs(c)) {
            int o = v.out(), in = v.in(), k = v.kernel();
            double[] scale = new double[o];
            float[] bias = new float[o];
            FloatSource gamma = tensor.apply(v.bn() + ".weight"), beta = tensor.apply(v.bn() + ".bias"),
                    mean = tensor.apply(v.bn() + ".running_mean"), var = tensor.apply(v.bn() + ".running_var");
            for (int j = 0; j < o; j++) {
                double vj = var.get(j), gj = gamma.get(j), bj = beta.get(j), mj = mean.get(j);
                if (!(vj >= 0) || Double.isInfinite(vj)) throw new ClipException(v.bn() + ".running_var[" + j + "] is " + vj + ", not a variance");
                if (!Double.isFinite(gj) || !Double.isFinite(bj) || !Double.isFinite(mj)) {
                    throw new ClipException(v.bn() + "[" + j + "] is not finite (weight " + gj + ", bias " + bj + ", mean " + mj + ")");
                }
                scale[j] = gj / Math.sqrt(vj + EPS);
                bias[j] = (float) (bj - mj * scale[j]);
            }
            FloatSource w = tensor.apply(v.name() + ".weight");
            // ours [o, ky, kx, i] ← torch [o, i, ky, kx]
            FloatSource folded = idx -> {
                int i = (int) (idx % in), kx = (int) (idx / in % k), ky = (int) (idx / in / k % k), oc = (int) (idx / ((long) in * k * k));
                return (float) (w.get((((long) oc * in + i) * k + ky) * k + kx) * scale[oc]);
            };
            out.put(v.name() + ".weight", new ModelFileWriter.Source(new long[]{o, k, k, in}, folded));
            out.put(v.name() + ".bias", new ModelFileWriter.Source(new long[]{o}, j -> bias[(int) j]));
        }
        Map<String, long[]> pool = new LinkedHashMap<>();
        ResNetLayout.attnpool(c, pool);
        for (Map.Entry<String, long[]> e : pool.entrySet()) out.put(e.getKey(), new ModelFileWriter.Source(e.getValue(), tensor.apply(e.getKey())));
        return out;
    }
}
