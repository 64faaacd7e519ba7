package dev.jconv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LayerSpecTest {

    @Test
    void parsesTheTenFieldsAndKeepsTheTextVerbatim() {
        LayerSpec s = LayerSpec.parse("8, 64,56,56,64,3,1,1,1,1");
        assertEquals("8, 64,56,56,64,3,1,1,1,1", s.text());
        assertEquals(8, s.batch());
        assertEquals(64, s.inChannels());
        assertEquals(2.0 * 8 * 64 * 56 * 56 * 64 * 9, s.flops());
    }

    @Test
    void flopsFollowTheIssueFormula() {
        // 2 * N * K * Hout * Wout * (C / G) * R * R with Hout = Wout = 112 for 7x7 stride 2 padding 3 on 224
        assertEquals(2.0 * 64 * 112 * 112 * 3 * 49, LayerSpec.parse("1,3,224,224,64,7,2,3,1,1").flops());
        assertEquals(2.0 * 32 * 112 * 112 * 9, LayerSpec.parse("1,32,112,112,32,3,1,1,1,32").flops());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1,2,3|layer '1,2,3' must be 10 comma-separated integers N,C,H,W,K,R,S,P,D,G, got 3 values",
        "1,64,56,56,64,3,1,1,1,1,1|layer '1,64,56,56,64,3,1,1,1,1,1' must be 10 comma-separated integers N,C,H,W,K,R,S,P,D,G, got 11 values",
        "1,64,56,x,64,3,1,1,1,1|layer '1,64,56,x,64,3,1,1,1,1': W must be an integer, got 'x'",
        "1,64,56,56,64,3,0,1,1,1|layer '1,64,56,56,64,3,0,1,1,1': S must be positive, got 0",
        "1,64,56,56,64,3,1,-1,1,1|layer '1,64,56,56,64,3,1,-1,1,1': P must be non-negative, got -1",
        "1,64,56,56,64,3,1,1,1,3|layer '1,64,56,56,64,3,1,1,1,3': Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [64, 21, 3, 3] instead",
        "1,3,4,4,8,5,1,0,1,1|layer '1,3,4,4,8,5,1,0,1,1': Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater than actual input size",
    })
    void badSpecsSayWhatIsWrong(String spec, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse(spec));
        assertEquals(message, e.getMessage());
    }

    @Test
    void everySuiteLayerIsValidAndSuitesAreNamed() {
        for (String name : Suites.names()) {
            assertEquals(false, Suites.layers(name).isEmpty(), name);
        }
        assertEquals(23, Suites.layers("resnet50").size());
        assertEquals(7, Suites.layers("target").size());
        assertEquals(9, Suites.layers("vgg16").size());
        assertEquals(10, Suites.layers("deeplab").size());
        assertTrue(Suites.layers("deeplab").stream().filter(l -> l.kernel() > 1).allMatch(l -> l.dilation() > 1));
        assertEquals("unknown suite 'vgg', expected one of [resnet50, mobilenetv2, seeds, target, vgg16, deeplab]",
                assertThrows(IllegalArgumentException.class, () -> Suites.layers("vgg")).getMessage());
    }
}
