package clip4j.collection;

import java.util.Iterator;

/** A collection's items in input order ({@link Inputs}: images; {@link TextInputs}: texts), closed when read. */
public interface Items extends Iterator<Item>, AutoCloseable {
    @Override
    void close();
}
