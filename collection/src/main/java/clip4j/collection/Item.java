package clip4j.collection;

import java.nio.file.Path;

/**
 * One image of a collection, in input order: a file (path) or a tar shard's member (its bytes, read as the shard was
 * streamed), or, where it could not even be read, the reason (error). key names it in the metadata: the file's path as
 * given, or the member's name; source is the tar shard, null for a file.
 */
public record Item(String key, String source, Path path, byte[] bytes, String error) {
    static Item file(Path p) {
        return new Item(p.toString(), null, p, null, null);
    }

    static Item member(String tar, String name, byte[] bytes) {
        return new Item(name, tar, null, bytes, null);
    }

    static Item failed(String key, String source, String error) {
        return new Item(key, source, null, null, error);
    }
}
