package clip4j.collection;

import java.nio.file.Path;

/**
 * One item of a collection, in input order: an image file (path), a tar shard's image member (its bytes, read as the
 * shard was streamed), a text (a table's cell), or, where it could not even be read, the reason (error). key names it
 * in the metadata: the file's path as given, the member's name, or the text's row in its table; source is the tar
 * shard or the table, null for a file.
 */
public record Item(String key, String source, Path path, byte[] bytes, String text, String error) {
    static Item file(Path p) {
        return new Item(p.toString(), null, p, null, null, null);
    }

    static Item member(String tar, String name, byte[] bytes) {
        return new Item(name, tar, null, bytes, null, null);
    }

    static Item text(String table, String key, String text) {
        return new Item(key, table, null, null, text, null);
    }

    static Item failed(String key, String source, String error) {
        return new Item(key, source, null, null, null, error);
    }
}
