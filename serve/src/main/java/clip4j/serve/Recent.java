package clip4j.serve;

import java.util.LinkedHashMap;
import java.util.Map;

/** The most recently used entries, up to a count (a LinkedHashMap in access order), safe to share between threads. */
final class Recent<K, V> {
    private final Map<K, V> map;

    Recent(int kept) {
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> e) {
                return size() > kept;
            }
        };
    }

    synchronized V get(K key) {
        return map.get(key);
    }

    synchronized void put(K key, V value) {
        map.put(key, value);
    }
}
