package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Epilogue;
import clip4j.io.Tensor;

/**
 * A ResNet convolution with its BatchNorm folded in (upstream clip/model.py {@code nn.Conv2d} followed by {@code
 * nn.BatchNorm2d}; {@link BatchNormFold}): weight is the stored [out, k, k, in] viewed as the [out, k·k·in] matrix of
 * the product over NHWC patches, bias [out].
 */
public record Conv2d(Tensor weight, float[] bias, int kernel, int stride, int padding) {
    /** The convolution named prefix ("visual.layer1.0.conv2") of a model file. */
    static Conv2d load(ModelFile f, String prefix, int stride, int padding) {
        Tensor w = f.tensor(prefix + ".weight");
        long[] s = w.shape(); // [out, k, k, in]
        Tensor matrix = new Tensor(w.name(), w.dtype(), new long[]{s[0], s[1] * s[2] * s[3]}, w.data());
        return new Conv2d(matrix, f.vector(prefix + ".bias"), Math.toIntExact(s[1]), stride, padding);
    }

    public int outChannels() {
        return Math.toIntExact(weight.shape()[0]);
    }

    /** The output side for an input side. */
    int outSize(int side) {
        return (side + 2 * padding - kernel) / stride + 1;
    }

    /** x [batch, h, w, in] → out [batch, oh, ow, out], then the epilogue. */
    void forward(Backend be, float[] x, int batch, int h, int w, float[] out, Epilogue epilogue) {
        int in = Math.toIntExact(weight.shape()[1] / ((long) kernel * kernel));
        be.conv2d(x, batch, h, w, in, weight, kernel, bias, stride, padding, out, epilogue);
    }
}
