package clip4j.fewshot;

import clip4j.ClipException;

/** The few-shot methods of the fewshot command. */
public enum Method {
    ZERO_SHOT("zero-shot"), TIP("tip"), TIP_F("tip-f"), CLIP_ADAPTER("clip-adapter"), META("meta");

    public final String key;

    Method(String key) {
        this.key = key;
    }

    public static Method parse(String s) {
        for (Method m : values()) if (m.key.equals(s)) return m;
        throw new ClipException("unknown method '" + s + "' (zero-shot, tip, tip-f, clip-adapter, meta)");
    }
}
