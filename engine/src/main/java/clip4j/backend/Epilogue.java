package clip4j.backend;

/**
 * What {@link Backend#linear} does with y = x·Wᵀ + b before it is stored, fused into the product where the backend
 * can: the MLP's activation (upstream clip/model.py {@code QuickGELU}, or {@code nn.GELU}), or the residual add of
 * {@code ResidualAttentionBlock.forward} (out ← out + y).
 */
public enum Epilogue {
    NONE, QUICK_GELU, GELU, RESIDUAL
}
