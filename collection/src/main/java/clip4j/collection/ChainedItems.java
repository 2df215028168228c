package clip4j.collection;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Items of several inputs in order: each input opened ({@link #open}) when the one before is read out, and the reader
 * it left in {@link #opened} closed then (or at {@link #close}).
 */
abstract class ChainedItems extends Advancing<Item> implements Items {
    private final Iterator<String> inputs;
    private Iterator<Item> current = Collections.emptyIterator();
    /** What the input being read holds open (a file's reader), or null. */
    AutoCloseable opened;

    ChainedItems(List<String> inputs) {
        this.inputs = List.copyOf(inputs).iterator();
    }

    /** The items of one input; a reader to close afterwards goes into {@link #opened}. */
    abstract Iterator<Item> open(String input);

    @Override
    final Item advance() {
        while (!current.hasNext()) {
            if (!inputs.hasNext()) return null;
            close();
            current = open(inputs.next());
        }
        return current.next();
    }

    @Override
    public final void close() {
        if (opened == null) return;
        try {
            opened.close();
        } catch (Exception ignored) {
            // a reader we only read from
        }
        opened = null;
    }
}
