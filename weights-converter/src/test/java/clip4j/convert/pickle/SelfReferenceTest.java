package clip4j.convert.pickle;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: tiny pickles holding a list that contains itself, used where Java would hash or print it (a dict
 * key, a set item, NEWOBJ's class, a persistent id), once ended in a StackOverflowError with a 1024-line trace.
 */
class SelfReferenceTest {
    /** PROTO 2, then a list that appends itself: ] q0 h0 a. */
    private static final String SELF = "\u0080\u0002]q\u0000h\u0000a";

    @ParameterizedTest
    @ValueSource(strings = {
            "}" + "]q\u0000h\u0000a" + "Ns.",                  // dict[self] = None (SETITEM)
            "}(" + "]q\u0000h\u0000a" + "Nu.",                 // SETITEMS
            "\u008f(" + "]q\u0000h\u0000a" + "\u0090.",        // set.add(self) (ADDITEMS)
            "(" + "]q\u0000h\u0000a" + "\u0091.",              // frozenset([self])
            "]q\u0000h\u0000a" + ")\u0081.",                   // NEWOBJ with self as the class
            "(X\u0007\u0000\u0000\u0000storagectorch\nFloatStorage\n]q\u0000h\u0000aX\u0003\u0000\u0000\u0000cpuK\u0004tQ.", // persistent id, self as key
            "c__torch__\nM\n)\u0081q\u0000}X\u0001\u0000\u0000\u0000ah\u0000sbh\u0000\u0085}h\u0000Ns."}) // a module holding itself, as a key
    void aListThatHoldsItselfIsAOneLineError(String body) {
        byte[] pkl = ("\u0080\u0002" + body).getBytes(StandardCharsets.ISO_8859_1);
        ClipException e = assertThrows(ClipException.class, () -> Unpickler.load(pkl, new Globals()));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("corrupt pickle") || e.getMessage().startsWith("refusing"), e.getMessage());
    }

    @Test
    void aSelfListAloneIsHarmless() {
        byte[] pkl = (SELF + ".").getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(Unpickler.load(pkl, new Globals()) instanceof java.util.List<?>);
    }
}
