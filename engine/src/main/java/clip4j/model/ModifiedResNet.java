package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Epilogue;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Upstream clip/model.py {@code ModifiedResNet}: the stem (three 3×3 convolutions, the first of stride 2, each with
 * BatchNorm and ReLU, then a 2×2 average pool), four stages of {@link Bottleneck}s, and the {@link AttentionPool2d}.
 * Activations are NHWC (a pixel's channels contiguous, so a 1×1 convolution is a plain product); the BatchNorms are
 * folded into the convolutions in the model file.
 */
public record ModifiedResNet(Conv2d conv1, Conv2d conv2, Conv2d conv3, List<Bottleneck> blocks, AttentionPool2d attnpool,
                             int imageSize) implements VisionTower {
    private static final Workspace.Buffer INPUT = Workspace.buffer("resnet.input"), STEM = Workspace.buffer("resnet.stem"),
            A = Workspace.buffer("resnet.a"), B = Workspace.buffer("resnet.b");

    public static ModifiedResNet load(ModelFile f) {
        ClipConfig c = f.config();
        List<Bottleneck> blocks = new ArrayList<>();
        for (ResNetLayout.Block b : ResNetLayout.blocks(c)) blocks.add(Bottleneck.load(f, b));
        return new ModifiedResNet(Conv2d.load(f, "visual.conv1", 2, 1), Conv2d.load(f, "visual.conv2", 1, 1),
                Conv2d.load(f, "visual.conv3", 1, 1), List.copyOf(blocks), AttentionPool2d.load(f, c.visionHeads()), c.imageSize());
    }

    @Override
    public List<Tensor> matrices() {
        List<Tensor> m = new ArrayList<>(List.of(conv1.weight(), conv2.weight(), conv3.weight()));
        for (Bottleneck b : blocks) m.addAll(b.matrices());
        m.addAll(attnpool.matrices());
        return m;
    }

    /** The product of activation dimensions, an error past an array's size. */
    static int size(int batch, int h, int w, int c) {
        return Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(batch, h), w), c);
    }

    @Override
    public void forward(Backend be, Workspace ws, List<float[]> images, float[] out) {
        checkImages(images);
        int batch = images.size(), r = imageSize;
        // the preprocessed [3, R, R] images as NHWC [batch, R, R, 3]
        float[] x = ws.floats(INPUT, size(batch, r, r, 3));
        for (int b = 0; b < batch; b++) {
            float[] px = images.get(b);
            for (int ch = 0; ch < 3; ch++) {
                for (int i = 0; i < r * r; i++) x[(b * r * r + i) * 3 + ch] = px[ch * r * r + i];
            }
        }
        // stem: x = relu(bn(conv(x))) three times, then avgpool(2)
        int h = conv1.outSize(r);
        float[] s1 = ws.floats(STEM, size(batch, h, h, conv1.outChannels())), s2 = ws.floats(A, size(batch, h, h, conv2.outChannels()));
        conv1.forward(be, x, batch, r, r, s1, Epilogue.RELU);
        conv2.forward(be, s1, batch, h, h, s2, Epilogue.RELU);
        float[] s3 = ws.floats(STEM, size(batch, h, h, conv3.outChannels()));
        conv3.forward(be, s2, batch, h, h, s3, Epilogue.RELU);
        float[] cur = ws.floats(A, size(batch, h / 2, h / 2, conv3.outChannels()));
        be.avgPool2d(s3, batch, h, h, conv3.outChannels(), 2, cur);
        h /= 2;
        // x = self.layer1(x) … self.layer4(x): a block with a downsample branch writes to the other buffer
        boolean inA = true;
        for (Bottleneck block : blocks) {
            int oh = h / block.stride();
            float[] spare = block.downsample() == null ? null
                    : ws.floats(inA ? B : A, size(batch, oh, oh, block.conv3().outChannels()));
            float[] next = block.forward(be, ws, cur, batch, h, h, spare);
            if (next != cur) inA = !inA;
            cur = next;
            h = oh;
        }
        attnpool.forward(be, ws, cur, batch, h, out);
    }
}
