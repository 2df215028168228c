package clip4j.backend;

import clip4j.ClipException;

import java.util.ArrayList;
import java.util.List;

/**
 * How the CPU backend's packed GEMM ({@link VectorGemm}) blocks its work, in BLIS's terms (Van Zee and van de Geijn,
 * "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015): the register micro-tile of {@code mr} rows
 * by {@code nr} vectors of columns, the K block {@code kc} (a weight micro-panel of kc × nr vectors is streamed per
 * micro-tile), the row block {@code mc} (input rows swept against one packed K block, a multiple of mr), and
 * {@code nc}, the column tiles of one thread handled together per K block; and how the threads share the work:
 * the rows are cut into at least {@code mt} parts (whole mr-row groups; more when the columns give under two tiles
 * per thread, and one per thread for an input too large to share packed) and the column tiles of each part are shared statically
 * (mt = 1: every thread sweeps all rows against its own columns and reads only its share of the weights; more parts:
 * each thread reads more of the weights but fewer input rows). The best values depend on the machine (registers,
 * cache sizes, FMA ports, cores), so {@link GemmTuner} times candidates.
 */
public record GemmPlan(int mr, int nr, int kc, int mc, int nc, int mt) {
    /** A plan whose threads split only the columns. */
    public GemmPlan(int mr, int nr, int kc, int mc, int nc) {
        this(mr, nr, kc, mc, nc, 1);
    }

    public GemmPlan {
        if (!VectorMicroKernels.hasKernel(mr, nr)) throw new ClipException("no " + mr + "x" + nr + " GEMM micro-kernel");
        if (kc < 16 || kc > 1 << 16) throw new ClipException("GEMM K block must be 16..65536, not " + kc);
        if (mc < mr || mc % mr != 0 || mc > 1 << 16) throw new ClipException("GEMM row block must be a multiple of " + mr + ", not " + mc);
        if (nc < 1 || nc > 1024) throw new ClipException("GEMM column tiles per group must be 1..1024, not " + nc);
        if (mt < 1 || mt > 1024) throw new ClipException("GEMM row parts must be 1..1024, not " + mt);
    }

    /** "8x2 kc768 mc96 nc8", with " mt2" when the threads split the rows too. */
    @Override
    public String toString() {
        return mr + "x" + nr + " kc" + kc + " mc" + mc + " nc" + nc + (mt > 1 ? " mt" + mt : "");
    }

    /** The inverse of {@link #toString()}; a one-line error for anything else. */
    public static GemmPlan parse(String s) {
        var m = java.util.regex.Pattern.compile("(\\d{1,2})x(\\d) kc(\\d{1,5}) mc(\\d{1,5}) nc(\\d{1,4})(?: mt(\\d{1,4}))?").matcher(s.strip());
        if (!m.matches()) throw new ClipException("not a GEMM plan (like \"8x2 kc768 mc96 nc8\"): " + s);
        return new GemmPlan(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), m.group(6) == null ? 1 : Integer.parseInt(m.group(6)));
    }

    /**
     * Vector registers the accumulators, the nr weight vectors and one broadcast need: a tile that needs more than the
     * CPU has spills to the stack in its inner loop.
     */
    public int registers() {
        return mr * nr + nr + 1;
    }

    /**
     * The plan used without tuning, from what is known for free: 32 vector registers when the JVM's preferred width
     * is 512 bits (AVX-512), else 16 (AVX2), and the L2 share a K block of the weights should fit.
     */
    public static GemmPlan seed(int registers) {
        return registers >= 32 ? new GemmPlan(8, 2, 768, 96, 8) : new GemmPlan(4, 2, 768, 96, 8);
    }

    /**
     * The micro-tile shapes worth timing with this many vector registers, the seed's first: those whose accumulators,
     * weight vectors and broadcast fit, three at most: the JIT needs 0.1–0.4 s to compile each, and the tuner has 2 s.
     */
    public static List<GemmPlan> shapes(int registers) {
        GemmPlan base = seed(registers);
        // with 16, C2 spilled 6x2 and 4x3 (half speed under -XX:UseAVX=2); 5x2 and 3x3 it keeps in registers
        int[][] all = registers >= 32 ? new int[][]{{8, 2}, {12, 2}, {8, 3}} : new int[][]{{4, 2}, {5, 2}, {3, 3}};
        List<GemmPlan> out = new ArrayList<>();
        out.add(base);
        for (int[] s : all) {
            GemmPlan p = new GemmPlan(s[0], s[1], base.kc, roundUp(base.mc, s[0]), base.nc);
            if (p.registers() <= registers && !out.contains(p)) out.add(p);
        }
        return out;
    }

    /** The K blocks, row blocks and column tiles per group the tuner tries. */
    static final int[] KCS = {256, 384, 512, 768, 1024}, MCS = {48, 96, 192, 400}, NCS = {2, 4, 8, 16};

    /**
     * The row parts worth timing for this many threads: 1 and the divisors of the thread count (so that the threads
     * form a grid of row parts by column shares), at most four of them, the largest ones.
     */
    public static List<Integer> rowParts(int threads) {
        List<Integer> out = new ArrayList<>(List.of(1));
        for (int d = Math.min(threads, 1024); d > 1 && out.size() < 4; d--) if (threads % d == 0) out.add(d);
        return out;
    }

    /**
     * Every plan the tuner may reach with this many registers and threads: its tile shapes by its K blocks, row blocks,
     * column tiles and row parts.
     */
    public static List<GemmPlan> space(int registers, int threads) {
        List<GemmPlan> out = new ArrayList<>();
        for (GemmPlan shape : shapes(registers)) {
            for (int kc : KCS) for (int mc : MCS) for (int nc : NCS) for (int mt : rowParts(threads)) out.add(shape.withKc(kc).withMc(mc).withNc(nc).withMt(mt));
        }
        return out;
    }

    /** v rounded up to a multiple of mr. */
    static int roundUp(int v, int mr) {
        return (v + mr - 1) / mr * mr;
    }

    public GemmPlan withKc(int v) {
        return new GemmPlan(mr, nr, v, mc, nc, mt);
    }

    public GemmPlan withMc(int v) {
        return new GemmPlan(mr, nr, kc, roundUp(v, mr), nc, mt);
    }

    public GemmPlan withNc(int v) {
        return new GemmPlan(mr, nr, kc, mc, v, mt);
    }

    public GemmPlan withMt(int v) {
        return new GemmPlan(mr, nr, kc, mc, nc, v);
    }
}
