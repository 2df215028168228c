package clip4j.convert.pickle;

import clip4j.ClipException;
import clip4j.io.DType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The allow-list of pickle globals for torch checkpoints and TorchScript module trees (docs/checkpoints.md#pickles),
 * and what REDUCE, NEWOBJ, BUILD and persistent ids make of them, as PyTorch's torch/_utils.py
 * ({@code _rebuild_tensor_v2}) and torch/serialization.py ({@code persistent_load}) define them. Nothing is ever looked
 * up by reflection.
 */
public final class Globals {
    /** A resolved, allowed global. */
    public record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A storage: raw bytes in the archive's data/&lt;key&gt; record. */
    public record StorageRef(DType dtype, String key, long numel) {
    }

    /** A tensor view on a storage (torch._utils._rebuild_tensor_v2). */
    public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** A TorchScript module object: its class and attributes. */
    public record ScriptObject(String className, Map<Object, Object> attributes) {
    }

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16), Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));

    public Global resolve(String module, String name) {
        boolean ok = switch (module) {
            case "torch" -> STORAGES.containsKey(name) || name.equals("Size");
            case "torch._utils" -> name.equals("_rebuild_tensor_v2") || name.equals("_rebuild_tensor_v3")
                    || name.equals("_rebuild_parameter");
            case "collections" -> name.equals("OrderedDict");
            case "torch.jit._pickle" -> name.startsWith("build_") || name.equals("restore_type_tag");
            default -> module.equals("__torch__") || module.startsWith("__torch__.");
        };
        if (!ok) throw new ClipException("refusing pickle global '" + module + "." + name + "' (not a tensor, state dict or module tree)");
        return new Global(module, name);
    }

    public Object call(Object fn, Object[] args) {
        if (!(fn instanceof Global g)) throw new ClipException("corrupt pickle: REDUCE on a " + Unpickler.describe(fn));
        return switch (g.qualified()) {
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3" -> {
                if (args.length < 4 || !(args[0] instanceof StorageRef s)) throw new ClipException("corrupt pickle: bad tensor record");
                yield new TensorRef(s, (Long) args[1], longs(args[2]), longs(args[3]));
            }
            case "torch._utils._rebuild_parameter" -> args[0];
            case "collections.OrderedDict" -> new LinkedHashMap<>();
            case "torch.Size" -> args.length == 0 ? new Object[0] : args[0];
            case "torch.jit._pickle.restore_type_tag" -> args[0];
            default -> {
                if (g.module().equals("torch.jit._pickle")) yield args.length == 0 ? List.of() : args[0];
                throw new ClipException("refusing to call pickle global '" + g.qualified() + "'");
            }
        };
    }

    public Object newObject(Object cls, Object[] args) {
        if (cls instanceof Global g && g.module().startsWith("__torch__")) {
            return new ScriptObject(g.qualified(), new LinkedHashMap<>());
        }
        throw new ClipException("refusing to construct pickle object of " + (cls instanceof Global g ? g.qualified() : Unpickler.describe(cls)));
    }

    @SuppressWarnings("unchecked")
    public void build(Object target, Object state) {
        if (target instanceof ScriptObject o) {
            if (state instanceof Map<?, ?> m) o.attributes().putAll((Map<Object, Object>) m);
            return;
        }
        if (target instanceof Map<?, ?>) return; // OrderedDict's __dict__ (e.g. _metadata): not needed
        throw new ClipException("refusing BUILD on a " + Unpickler.describe(target));
    }

    public Object persistentLoad(Object pid) {
        if (pid instanceof Object[] t && t.length >= 5 && "storage".equals(t[0]) && t[1] instanceof Global g
                && g.module().equals("torch") && STORAGES.containsKey(g.name()) && t[2] instanceof String key && t[4] instanceof Long n) {
            if (n < 0) throw new ClipException("corrupt pickle: negative storage size");
            return new StorageRef(STORAGES.get(g.name()), key, n);
        }
        throw new ClipException("corrupt pickle: unknown persistent id");
    }

    private static long[] longs(Object o) {
        Object[] t = o instanceof List<?> l ? l.toArray() : (Object[]) o;
        long[] r = new long[t.length];
        for (int i = 0; i < r.length; i++) r[i] = (Long) t[i];
        return r;
    }
}
