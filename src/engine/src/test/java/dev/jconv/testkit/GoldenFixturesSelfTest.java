package dev.jconv.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import dev.jconv.cpu.ReferenceBackend;
import org.junit.jupiter.api.Test;

/** The conformance kit must be able to fail: broken backends are caught, with a message that says where. */
class GoldenFixturesSelfTest {
    private static final GoldenCase CASE = GoldenFixtures.get("nonsquare_everything");

    @Test
    void aCorrectBackendPasses() {
        GoldenFixtures.checkPlan(CASE, new ReferenceBackend());
    }

    @Test
    void anUnwrittenOutputElementFailsBecauseTheOutputIsPoisoned() {
        ConvBackend skipsLast = misbehaving((real, in, w, b, out) -> {
            float[] full = new float[out.length];
            real.forward(in, w, b, full);
            System.arraycopy(full, 0, out, 0, out.length - 1);
        });
        String m = assertThrows(AssertionError.class, () -> GoldenFixtures.checkPlan(CASE, skipsLast)).getMessage();
        int[] s = CASE.outputShape();
        String last = "[" + (s[0] - 1) + ", " + (s[1] - 1) + ", " + (s[2] - 1) + ", " + (s[3] - 1) + "]";
        assertTrue(m.contains("NaN") && m.contains(last), "should name the unwritten element " + last + ": " + m);
        assertTrue(m.contains("nonsquare_everything"), m);
    }

    @Test
    void anErrorJustBeyondTheToleranceFailsNamingTheCaseTheErrorAndWhere() {
        ConvBackend slightlyOff = misbehaving((real, in, w, b, out) -> {
            real.forward(in, w, b, out);
            out[0] += (float) (1.5 * OutputComparison.tolerance(out));
        });
        String m = assertThrows(AssertionError.class, () -> GoldenFixtures.checkPlan(CASE, slightlyOff)).getMessage();
        assertTrue(m.contains("max |out - ref|") && m.contains("at [0, 0, 0, 0]") && m.contains("tolerance"), m);
        assertTrue(m.contains("stride=(2, 1)") && m.contains("input [2, 4, 9, 7]"), "should give the parameters: " + m);
    }

    @Test
    void anErrorWithinTheTolerancePasses() {
        ConvBackend close = misbehaving((real, in, w, b, out) -> {
            real.forward(in, w, b, out);
            out[0] += (float) (0.5 * OutputComparison.tolerance(out));
        });
        GoldenFixtures.checkPlan(CASE, close);
    }

    @Test
    void aBackendThatWritesIntoItsInputFails() {
        ConvBackend scribbler = misbehaving((real, in, w, b, out) -> {
            real.forward(in, w, b, out);
            in[0] += 1;
        });
        String m = assertThrows(AssertionError.class, () -> GoldenFixtures.checkPlan(CASE, scribbler)).getMessage();
        assertTrue(m.contains("modified its input"), m);
    }

    @Test
    void aBackendThatIsOnlyRightTheFirstTimeFails() {
        int[] calls = {0};
        ConvBackend once = misbehaving((real, in, w, b, out) -> {
            real.forward(in, w, b, out);
            if (++calls[0] > 1) {
                out[out.length / 2] = -out[out.length / 2] - 1;
            }
        });
        String m = assertThrows(AssertionError.class, () -> GoldenFixtures.checkPlan(CASE, once)).getMessage();
        assertTrue(m.contains("run 2"), m);
    }

    private interface Misbehaviour {
        void forward(ConvPlan real, float[] in, float[] w, float[] b, float[] out);
    }

    /** The reference backend with its forward pass replaced by {@code how}. */
    private static ConvBackend misbehaving(Misbehaviour how) {
        return new ConvBackend() {
            @Override
            public String name() {
                return "misbehaving";
            }

            @Override
            public Availability availability() {
                return Availability.yes("a test double");
            }

            @Override
            public ConvPlan plan(ConvGeometry g) {
                ConvPlan real = new ReferenceBackend().plan(g);
                return new ConvPlan() {
                    @Override
                    public ConvGeometry geometry() {
                        return g;
                    }

                    @Override
                    public void forward(float[] in, float[] w, float[] b, float[] out) {
                        how.forward(real, in, w, b, out);
                    }

                    @Override
                    public String describe() {
                        return "misbehaving on purpose";
                    }

                    @Override
                    public long retainedBytes() {
                        return 0;
                    }

                    @Override
                    public void close() {
                        real.close();
                    }
                };
            }
        };
    }
}
