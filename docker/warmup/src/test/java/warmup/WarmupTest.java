package warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** One real test so surefire resolves its JUnit platform provider and launcher at image build time. */
class WarmupTest {
    @Test
    void surefireRunsJupiter() {
        assertEquals(42, Warmup.answer());
    }
}
