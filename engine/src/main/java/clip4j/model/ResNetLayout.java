package clip4j.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of upstream clip/model.py {@code ModifiedResNet} from its config, as its constructor builds it: the stem's
 * three 3×3 convolutions (3 → width/2 → width/2 → width, the first with stride 2), then four stages of
 * {@code Bottleneck}s with 1, 2, 4, 8 × width planes (stride 1, 2, 2, 2 in each stage's first block; expansion 4), a
 * block having a downsample branch when it strides or changes the channel count; then {@code AttentionPool2d}.
 * Every convolution is followed by a BatchNorm, which our model file folds into the convolution's weight and bias.
 */
public final class ResNetLayout {
    private ResNetLayout() {
    }

    /** One Bottleneck: its name prefix ("visual.layer2.0."), input channels, planes, stride, and a downsample branch. */
    public record Block(String prefix, int inplanes, int planes, int stride, boolean downsample) {
        public int outplanes() {
            return 4 * planes;
        }
    }

    /** A convolution and the BatchNorm after it, in upstream names: out × in channels, kernel × kernel. */
    public record Conv(String name, String bn, int out, int in, int kernel) {
    }

    public static List<Block> blocks(ClipConfig c) {
        List<Block> out = new ArrayList<>();
        int inplanes = c.visionWidth();
        for (int s = 0; s < 4; s++) {
            int planes = c.visionWidth() << s;
            for (int i = 0; i < c.resnetLayers()[s]; i++) {
                int stride = i == 0 && s > 0 ? 2 : 1;
                out.add(new Block("visual.layer" + (s + 1) + "." + i + ".", inplanes, planes, stride, stride > 1 || inplanes != 4 * planes));
                inplanes = 4 * planes;
            }
        }
        return out;
    }

    /** Every convolution with its BatchNorm, in the order of the forward pass. */
    public static List<Conv> convs(ClipConfig c) {
        int w = c.visionWidth();
        List<Conv> out = new ArrayList<>(List.of(new Conv("visual.conv1", "visual.bn1", w / 2, 3, 3),
                new Conv("visual.conv2", "visual.bn2", w / 2, w / 2, 3), new Conv("visual.conv3", "visual.bn3", w, w / 2, 3)));
        for (Block b : blocks(c)) {
            String p = b.prefix();
            out.add(new Conv(p + "conv1", p + "bn1", b.planes(), b.inplanes(), 1));
            out.add(new Conv(p + "conv2", p + "bn2", b.planes(), b.planes(), 3));
            out.add(new Conv(p + "conv3", p + "bn3", b.outplanes(), b.planes(), 1));
            if (b.downsample()) out.add(new Conv(p + "downsample.0", p + "downsample.1", b.outplanes(), b.inplanes(), 1));
        }
        return out;
    }

    /** The attention pool's tensors (the same in upstream's state dict and in our file). */
    static void attnpool(ClipConfig c, Map<String, long[]> m) {
        long embed = c.visionEmbed();
        m.put("visual.attnpool.positional_embedding", new long[]{c.visionTokens(), embed});
        for (String p : new String[]{"q_proj", "k_proj", "v_proj"}) {
            m.put("visual.attnpool." + p + ".weight", new long[]{embed, embed});
            m.put("visual.attnpool." + p + ".bias", new long[]{embed});
        }
        m.put("visual.attnpool.c_proj.weight", new long[]{c.embedDim(), embed});
        m.put("visual.attnpool.c_proj.bias", new long[]{c.embedDim()});
    }

    /**
     * The image tower's tensors in upstream's state dict: conv weights [out, in, k, k] without bias, and each
     * BatchNorm's weight, bias, running_mean and running_var [out] (num_batches_tracked, unused at inference, left out).
     */
    public static Map<String, long[]> upstream(ClipConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Conv v : convs(c)) {
            m.put(v.name() + ".weight", new long[]{v.out(), v.in(), v.kernel(), v.kernel()});
            for (String s : BN_PARTS) m.put(v.bn() + "." + s, new long[]{v.out()});
        }
        attnpool(c, m);
        return m;
    }

    /** A BatchNorm's tensors. */
    public static final List<String> BN_PARTS = List.of("weight", "bias", "running_mean", "running_var");
}
