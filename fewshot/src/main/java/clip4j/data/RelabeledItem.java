package clip4j.data;

import clip4j.image.RawImage;

/** An item of one dataset given the label of the same class name in another dataset's class order. */
record RelabeledItem(ImageItem inner, int label) implements ImageItem {
    @Override
    public String id() {
        return inner.id();
    }

    @Override
    public RawImage load() {
        return inner.load();
    }

    @Override
    public String contentHash() {
        return inner.contentHash();
    }
}
