package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import java.math.BigInteger;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * Extreme parameters (sizes, strides, dilations and paddings drawn up to 2^31 - 1, edges favored) against a model of
 * PyTorch's output-shape rules in arbitrary precision: the validator accepts exactly what the model accepts, with
 * the model's output size, and names the model's sizes when it refuses; nothing wraps. Where the tensors are small
 * enough to hold, {@code cpu} and {@code cpu-reference} run the geometry and agree. Seeded by {@link PropertySeed}.
 */
@AddLifecycleHook(value = PropertySeed.class, propagateTo = PropagationMode.DIRECT_DESCENDANTS)
class ExtremeShapePropertyTest {
    static final int TRIES = 3000;
    private static final CpuBackend CPU = new CpuBackend(2, 0);
    private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);

    record Draw(int batch, int channels, int height, int width, int outChannels, int kh, int kw, ConvParams params) {
        int[] input() {
            return new int[] {batch, channels, height, width};
        }

        int[] weight() {
            return new int[] {outChannels, channels, kh, kw};
        }
    }

    @Property(tries = TRIES)
    void validatorAgreesWithTheArbitraryPrecisionModel(@ForAll("draws") Draw d) {
        String modelRefusal = modelRefusal(d);
        if (modelRefusal != null) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ConvValidator.checkForward(d.input(), d.weight(), null, d.params()), d.toString());
            assertTrue(e.getMessage().startsWith(modelRefusal), d + ": expected '" + modelRefusal + "...', got '"
                    + e.getMessage() + "'");
            Statistics.collect("refused: " + modelRefusal.replaceAll("[(:\\d].*", "").trim());
            return;
        }
        ConvGeometry g = ConvValidator.checkForward(d.input(), d.weight(), null, d.params());
        BigInteger[] out = modelOutput(d);
        assertEquals(out[0].intValueExact(), g.outHeight(), d.toString());
        assertEquals(out[1].intValueExact(), g.outWidth(), d.toString());
        BigInteger elements = BigInteger.valueOf(d.batch() * (long) d.outChannels()).multiply(out[0]).multiply(out[1]);
        assertEquals(elements.min(BigInteger.valueOf(Long.MAX_VALUE)).longValue(), g.outputElements(), d.toString());
        long inputElements = (long) d.batch() * d.channels() * d.height() * d.width();
        boolean small = inputElements <= 4096 && g.outputElements() <= 4096;
        if (small) {
            AgainstReference.check(CPU, new AgainstReference.Case(d.input(), d.weight(), false, d.params(), inputElements));
        }
        Statistics.collect(small ? "accepted, computed on cpu and cpu-reference" : "accepted, shape only");
    }

    /** The start of the message PyTorch's rules give, or null when the convolution is valid. */
    private static String modelRefusal(Draw d) {
        ConvParams p = d.params();
        if (p.padding().kind() == Padding.Kind.SAME && p.isStrided()) {
            return "padding='same' is not supported for strided convolutions";
        }
        BigInteger[][] pads = {sides(p, p.padding().height(), p.dilationH(), d.kh()),
            sides(p, p.padding().width(), p.dilationW(), d.kw())};
        int[] sizes = {d.height(), d.width()};
        for (int axis = 1; axis >= 0; axis--) { // PyTorch's F.pad checks width first
            BigInteger size = BigInteger.valueOf(sizes[axis]);
            BigInteger largest = pads[axis][0].max(pads[axis][1]);
            if (p.paddingMode() == PaddingMode.REFLECT && largest.compareTo(size) >= 0) {
                return "Argument #";
            }
            if (p.paddingMode() == PaddingMode.CIRCULAR && largest.compareTo(size) > 0) {
                return "Padding value causes wrapping around more than once.";
            }
        }
        BigInteger[] padded = new BigInteger[2];
        BigInteger[] effective = {effective(p.dilationH(), d.kh()), effective(p.dilationW(), d.kw())};
        for (int axis = 0; axis < 2; axis++) {
            padded[axis] = BigInteger.valueOf(sizes[axis]).add(pads[axis][0]).add(pads[axis][1]);
        }
        if (padded[0].compareTo(effective[0]) < 0 || padded[1].compareTo(effective[1]) < 0) {
            return "Calculated padded input size per channel: (" + padded[0] + " x " + padded[1] + "). Kernel size: ("
                    + effective[0] + " x " + effective[1] + "). Kernel size can't be greater than actual input size";
        }
        BigInteger[] out = modelOutput(d);
        if (out[0].compareTo(INT_MAX) > 0 || out[1].compareTo(INT_MAX) > 0) {
            return "Calculated output size per channel: (" + out[0] + " x " + out[1] + ")";
        }
        for (BigInteger[] axis : pads) {
            if (axis[0].max(axis[1]).compareTo(INT_MAX) > 0) {
                return "padding='same' with dilation";
            }
        }
        return null;
    }

    private static BigInteger[] modelOutput(Draw d) {
        ConvParams p = d.params();
        BigInteger[] out = new BigInteger[2];
        int[] sizes = {d.height(), d.width()};
        int[] k = {d.kh(), d.kw()};
        int[] dil = {p.dilationH(), p.dilationW()};
        int[] stride = {p.strideH(), p.strideW()};
        int[] explicit = {p.padding().height(), p.padding().width()};
        for (int axis = 0; axis < 2; axis++) {
            BigInteger[] pad = sides(p, explicit[axis], dil[axis], k[axis]);
            BigInteger padded = BigInteger.valueOf(sizes[axis]).add(pad[0]).add(pad[1]);
            out[axis] = padded.subtract(effective(dil[axis], k[axis])).divide(BigInteger.valueOf(stride[axis]))
                    .add(BigInteger.ONE);
        }
        return out;
    }

    private static BigInteger effective(int dilation, int k) {
        return BigInteger.valueOf(dilation).multiply(BigInteger.valueOf(k - 1)).add(BigInteger.ONE);
    }

    private static BigInteger[] sides(ConvParams p, int explicit, int dilation, int k) {
        return switch (p.padding().kind()) {
            case EXPLICIT -> new BigInteger[] {BigInteger.valueOf(explicit), BigInteger.valueOf(explicit)};
            case VALID -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO};
            case SAME -> {
                BigInteger total = BigInteger.valueOf(dilation).multiply(BigInteger.valueOf(k - 1));
                BigInteger before = total.shiftRight(1);
                yield new BigInteger[] {before, total.subtract(before)};
            }
        };
    }

    // ---- draws ----

    /** Small values, powers of two near 2^31 and their neighbours, and anything up to 2^31 - 1. */
    private static Arbitrary<Integer> extreme(int smallMax) {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(1, smallMax)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1 << 30, (1 << 30) + 1,
                        (1 << 30) - 1, 1 << 29, 65536, 46341, 100_000, 20_000)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, Integer.MAX_VALUE)));
    }

    @Provide
    Arbitrary<Draw> draws() {
        List<Arbitrary<Integer>> parts = List.of(
                Arbitraries.integers().between(1, 2), // batch
                Arbitraries.integers().between(1, 3), // channels
                extreme(12), extreme(12),              // height, width
                Arbitraries.integers().between(1, 3), // out channels
                Arbitraries.of(1, 2, 3, 5), Arbitraries.of(1, 2, 3, 5), // kernel
                extreme(4), extreme(4),                // stride
                extreme(3), extreme(3),                // dilation
                Arbitraries.integers().between(0, 9),  // padding kind: 0-6 explicit, 7 same, 8 valid, 9 explicit 0
                extreme(3), extreme(3),                // explicit padding
                Arbitraries.integers().between(0, 3)); // padding mode
        return Combinators.combine(parts).as(v -> {
            Padding padding = switch (v.get(11)) {
                case 7 -> Padding.SAME;
                case 8 -> Padding.VALID;
                case 9 -> Padding.of(0);
                default -> Padding.of(v.get(12) - 1, v.get(13) - 1);
            };
            int[] stride = padding.kind() == Padding.Kind.SAME && v.get(7) % 3 == 0 ? new int[] {1, 1}
                    : new int[] {v.get(7), v.get(8)};
            ConvParams p = new ConvParams(stride[0], stride[1], padding, v.get(9), v.get(10), 1,
                    PaddingMode.values()[v.get(14)]);
            return new Draw(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5), v.get(6), p);
        });
    }
}
