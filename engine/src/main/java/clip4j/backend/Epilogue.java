package clip4j.backend;

/**
 * What {@link Backend#linear} does with y = x·Wᵀ + b before it is stored, fused into the product where the backend
 * can: the MLP's activation (upstream clip/model.py {@code QuickGELU}, or {@code nn.GELU}), the residual add of
 * {@code ResidualAttentionBlock.forward} (out ← out + y), a ResNet's ReLU after a convolution (out ← max(y, 0)), or
 * the end of its {@code Bottleneck.forward} (out ← max(out + y, 0), out holding the identity branch).
 */
public enum Epilogue {
    NONE, QUICK_GELU, GELU, RESIDUAL, RELU, RESIDUAL_RELU;

    /** Whether out's old content is an input (the residual epilogues). */
    public boolean accumulates() {
        return this == RESIDUAL || this == RESIDUAL_RELU;
    }
}
