package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.Epilogue;

/**
 * The MLP activation (upstream clip/model.py {@code QuickGELU}, or PyTorch's exact {@code nn.GELU};
 * docs/forward-pass.md#activations): OpenAI models use QuickGELU, LAION open_clip models exact-erf GELU.
 */
public enum Activation {
    QUICK_GELU("quick_gelu"), GELU("gelu");

    public final String key;

    Activation(String key) {
        this.key = key;
    }

    /** The linear epilogue that applies it. */
    public Epilogue epilogue() {
        return this == QUICK_GELU ? Epilogue.QUICK_GELU : Epilogue.GELU;
    }

    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.key.equals(s)) return a;
        }
        throw new ClipException("unknown activation '" + s + "' (expected quick_gelu or gelu)");
    }
}
