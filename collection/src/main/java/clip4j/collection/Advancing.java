package clip4j.collection;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** An iterator whose next element a subclass computes on demand: {@link #advance} returns it, or null at the end. */
abstract class Advancing<T> implements Iterator<T> {
    private T ready;
    private boolean done;

    /** The next element, or null when there is none. */
    abstract T advance();

    @Override
    public final boolean hasNext() {
        if (ready == null && !done) {
            ready = advance();
            done = ready == null;
        }
        return ready != null;
    }

    @Override
    public final T next() {
        if (!hasNext()) throw new NoSuchElementException();
        T t = ready;
        ready = null;
        return t;
    }
}
