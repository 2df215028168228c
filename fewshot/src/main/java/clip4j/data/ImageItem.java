package clip4j.data;

import clip4j.image.RawImage;

/** One labelled image of a dataset: where it comes from, how to decode it, and a hash of its content. */
public interface ImageItem {
    /** A stable display name (file path, or dataset:split:index). */
    String id();

    int label();

    RawImage load();

    /** SHA-256 of the encoded bytes (files) or of the pixels (IDX), hex; part of the feature-store key. */
    String contentHash();
}
