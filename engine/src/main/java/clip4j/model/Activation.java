package clip4j.model;

import clip4j.ClipException;

/** The MLP activation (clip-spec §2): OpenAI models use QuickGELU, LAION open_clip models exact-erf GELU. */
public enum Activation {
    QUICK_GELU("quick_gelu"), GELU("gelu");

    public final String key;

    Activation(String key) {
        this.key = key;
    }

    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.key.equals(s)) return a;
        }
        throw new ClipException("unknown activation '" + s + "' (expected quick_gelu or gelu)");
    }
}
