package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Epilogue;
import clip4j.backend.Workspace;

/**
 * Upstream clip/model.py {@code Bottleneck}: 1×1 conv, 3×3 conv, the anti-aliasing average pool when it strides, 1×1
 * conv to 4× the planes, added to the identity (through {@code downsample}: average pool, 1×1 conv, when the block
 * strides or changes the channel count), then ReLU. Every conv's BatchNorm is folded in ({@link Conv2d}); the ReLUs
 * and the residual add run in the products' epilogues.
 */
public record Bottleneck(Conv2d conv1, Conv2d conv2, Conv2d conv3, Conv2d downsample, int stride) {
    private static final Workspace.Buffer T1 = Workspace.buffer("bottleneck.conv1"), T2 = Workspace.buffer("bottleneck.conv2"),
            POOLED = Workspace.buffer("bottleneck.avgpool"), IDENTITY = Workspace.buffer("bottleneck.identity");

    static Bottleneck load(ModelFile f, ResNetLayout.Block b) {
        String p = b.prefix();
        return new Bottleneck(Conv2d.load(f, p + "conv1", 1, 0), Conv2d.load(f, p + "conv2", 1, 1), Conv2d.load(f, p + "conv3", 1, 0),
                b.downsample() ? Conv2d.load(f, p + "downsample.0", 1, 0) : null, b.stride());
    }

    public java.util.List<clip4j.io.Tensor> matrices() {
        var m = new java.util.ArrayList<>(java.util.List.of(conv1.weight(), conv2.weight(), conv3.weight()));
        if (downsample != null) m.add(downsample.weight());
        return m;
    }

    /**
     * forward(x) on x [batch, h, w, in]: the result [batch, h/stride, w/stride, 4·planes] in x itself when there is no
     * downsample branch (the identity is x), else in spare, which must hold it. Returns the array holding the result.
     */
    float[] forward(Backend be, Workspace ws, float[] x, int batch, int h, int w, float[] spare) {
        int planes = conv1.outChannels(), oh = h / stride, ow = w / stride;
        // out = relu1(bn1(conv1(x))); out = relu2(bn2(conv2(out))); out = avgpool(out)
        int in = Math.toIntExact(conv1.weight().shape()[1]);
        float[] t1 = ws.floats(T1, ModifiedResNet.size(batch, h, w, planes)), t2 = ws.floats(T2, ModifiedResNet.size(batch, h, w, planes));
        conv1.forward(be, x, batch, h, w, t1, Epilogue.RELU);
        conv2.forward(be, t1, batch, h, w, t2, Epilogue.RELU);
        float[] pooled = t2;
        if (stride > 1) {
            pooled = ws.floats(POOLED, ModifiedResNet.size(batch, oh, ow, planes));
            be.avgPool2d(t2, batch, h, w, planes, stride, pooled);
        }
        // identity = downsample(x); out = relu3(bn3(conv3(out)) + identity)
        float[] out = x;
        if (downsample != null) {
            float[] id = x;
            if (stride > 1) {
                id = ws.floats(IDENTITY, ModifiedResNet.size(batch, oh, ow, in));
                be.avgPool2d(x, batch, h, w, in, stride, id);
            }
            out = spare;
            downsample.forward(be, id, batch, oh, ow, out, Epilogue.NONE);
        }
        conv3.forward(be, pooled, batch, oh, ow, out, Epilogue.RESIDUAL_RELU);
        return out;
    }
}
