package clip4j.convert.pickle;

import clip4j.ClipException;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader (protocols 2–5, the opcodes of CPython Lib/pickle.py) that never executes anything
 * (docs/checkpoints.md#pickles). It knows the opcodes that
 * torch.save and TorchScript write; every GLOBAL goes through {@link Globals}, an allow-list, and anything
 * else (os.system, builtins.eval, …) stops the read with an error. REDUCE and NEWOBJ only ever build
 * plain Java data: maps, lists, tuples ({@code Object[]}), and the records of {@link Globals}.
 */
public final class Unpickler {
    private static final Object MARK = new Object();
    private static final int MAX_STACK = 1 << 20;
    /** Memo entries and open marks a pickle may make: a torch data.pkl uses thousands; each costs ~50 bytes of heap. */
    private static final int MAX_MEMO = 1 << 20, MAX_MARKS = 1 << 16;

    private final ByteBuffer in;
    private final Globals globals;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Integer, Object> memo = new HashMap<>();

    private Unpickler(byte[] data, Globals globals) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.globals = globals;
    }

    public static Object load(byte[] data, Globals globals) {
        try {
            return new Unpickler(data, globals).run();
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new ClipException("corrupt pickle: it ends early or refers outside itself");
        } catch (ClassCastException e) {
            throw new ClipException("corrupt pickle: an opcode found the wrong kind of value");
        } catch (ClipException e) {
            throw e;
        } catch (StackOverflowError e) {
            throw new ClipException("corrupt pickle: its values nest or refer to themselves too deeply");
        } catch (RuntimeException e) {
            // whatever else a malformed pickle can provoke is still a malformed pickle, said in one line
            throw new ClipException("corrupt pickle (" + e.getClass().getSimpleName() + ")");
        }
    }

    private Object run() {
        while (true) {
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = in.get() & 0xff;
                    if (v < 2 || v > 5) throw new ClipException("unsupported pickle protocol " + v);
                }
                case 0x95 -> in.getLong(); // FRAME: length only
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> {
                    if (marks.size() >= MAX_MARKS) throw new ClipException("corrupt pickle: too many open marks");
                    marks.add(stack.size());
                }
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'q' -> memoPut(in.get() & 0xff, peek());
                case 'r' -> memoPut(in.getInt(), peek());
                case 0x94 -> memoPut(memo.size(), peek());
                case 'h' -> push(memoGet(in.get() & 0xff));
                case 'j' -> push(memoGet(in.getInt()));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.getInt());
                case 'K' -> push((long) (in.get() & 0xff));
                case 'M' -> push((long) (in.getShort() & 0xffff));
                case 0x8a -> push(longN(in.get() & 0xff));
                case 0x8b -> push(longN(length(in.getInt())));
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // 8-byte big-endian double
                case 'X' -> push(utf8(length(in.getInt())));
                case 0x8c -> push(utf8(in.get() & 0xff));
                case 0x8d -> push(utf8(length(in.getLong())));
                case 'T' -> push(latin1(length(in.getInt())));
                case 'U' -> push(latin1(in.get() & 0xff));
                case 'B' -> push(bytes(length(in.getInt())));
                case 'C' -> push(bytes(in.get() & 0xff));
                case 0x8e, 0x96 -> push(bytes(length(in.getLong())));
                case ')' -> push(new Object[0]);
                case 't' -> push(popMark().toArray());
                case 0x85 -> push(new Object[]{pop()});
                case 0x86 -> {
                    Object b = pop(), a = pop();
                    push(new Object[]{a, b});
                }
                case 0x87 -> {
                    Object c = pop(), b = pop(), a = pop();
                    push(new Object[]{a, b, c});
                }
                case ']' -> push(new ArrayList<>());
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>());
                case 's' -> {
                    Object v = pop(), k = pop();
                    map(peek()).put(hashable(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    Map<Object, Object> m = map(peek());
                    for (int i = 0; i + 1 < items.size(); i += 2) m.put(hashable(items.get(i)), items.get(i + 1));
                }
                case 0x8f -> push(new HashSet<>());
                case 0x90 -> {
                    List<Object> items = popMark();
                    if (!(peek() instanceof java.util.Set<?>)) throw new ClipException("corrupt pickle: ADDITEMS to a " + describe(peek()));
                    for (Object item : items) ((java.util.Set<Object>) peek()).add(hashable(item));
                }
                case 0x91 -> {
                    java.util.Set<Object> set = new HashSet<>();
                    for (Object item : popMark()) set.add(hashable(item));
                    push(set);
                }
                case 'c' -> push(globals.resolve(line(), line()));
                case 0x93 -> {
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new ClipException("corrupt pickle: STACK_GLOBAL needs a module and a name");
                    }
                    push(globals.resolve(m, n));
                }
                case 'R' -> {
                    Object args = pop(), fn = pop();
                    push(globals.call(fn, (Object[]) args));
                }
                case 0x81 -> {
                    Object args = pop(), cls = pop();
                    push(globals.newObject(cls, (Object[]) args));
                }
                case 0x92 -> {
                    pop();
                    Object args = pop(), cls = pop();
                    push(globals.newObject(cls, (Object[]) args));
                }
                case 'b' -> {
                    Object state = pop();
                    globals.build(peek(), state);
                }
                case 'Q' -> push(globals.persistentLoad(pop()));
                default -> throw new ClipException(String.format("pickle opcode 0x%02x is not allowed", op));
            }
        }
    }

    /**
     * Python refuses lists, dicts and sets as dict keys and set items ("unhashable type"); so does this reader, also
     * because hashing a list that contains itself would recurse without end (Java's hashCode has no cycle check).
     */
    private static Object hashable(Object k) {
        if (k instanceof List<?> || k instanceof Map<?, ?> || k instanceof java.util.Set<?> || k instanceof Globals.ScriptObject) {
            throw new ClipException("corrupt pickle: unhashable key or set item (a " + describe(k) + ")");
        }
        return k;
    }

    private int length(long n) {
        if (n < 0 || n > in.remaining()) throw new ClipException("corrupt pickle: a length runs past the end");
        return (int) n;
    }

    private void memoPut(int k, Object v) {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(k)) throw new ClipException("corrupt pickle: more than " + MAX_MEMO + " memo entries");
        memo.put(k, v);
    }

    private Object memoGet(int k) {
        if (!memo.containsKey(k)) throw new ClipException("corrupt pickle: memo key " + k + " unset");
        return memo.get(k);
    }

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) throw new ClipException("corrupt pickle: stack too deep");
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) throw new ClipException("corrupt pickle: stack underflow");
        Object o = stack.removeLast();
        if (o == MARK) throw new ClipException("corrupt pickle: unexpected mark");
        return o;
    }

    private Object peek() {
        if (stack.isEmpty()) throw new ClipException("corrupt pickle: stack underflow");
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw new ClipException("corrupt pickle: no mark");
        int m = marks.removeLast();
        if (m > stack.size()) throw new ClipException("corrupt pickle: bad mark");
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new ClipException("corrupt pickle: APPEND to a " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> map(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw new ClipException("corrupt pickle: SETITEM on a " + describe(o));
    }

    static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private Object longN(int n) {
        byte[] b = bytes(n);
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = b[n - 1 - i];
        if (n == 0) return 0L;
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private String latin1(int n) {
        return new String(bytes(n), StandardCharsets.ISO_8859_1);
    }

    private String line() {
        StringBuilder b = new StringBuilder();
        while (true) {
            byte c = in.get();
            if (c == '\n') return b.toString();
            if (b.length() > 256) throw new ClipException("corrupt pickle: GLOBAL name too long");
            b.append((char) (c & 0xff));
        }
    }
}
