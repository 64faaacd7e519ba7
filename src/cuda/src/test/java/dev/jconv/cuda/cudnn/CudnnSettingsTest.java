package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CudnnSettingsTest {

    @Test
    void defaultsAreHeuristicNondeterministicStrictFp32() {
        assertEquals(CudnnSettings.DEFAULTS, CudnnSettings.from(Map.<String, String>of()::get, Map.<String, String>of()::get));
        String text = CudnnSettings.DEFAULTS.describe();
        assertTrue(text.contains("heuristic (cudnnGetConvolutionForwardAlgorithm_v7; JCONV_CUDNN_BENCHMARK=1"), text);
        assertTrue(text.contains("strict fp32 (CUDNN_FMA_MATH; JCONV_CUDNN_TF32=1"), text);
    }

    @Test
    void environmentAndPropertiesTurnEachSettingOn() {
        CudnnSettings s = CudnnSettings.from(Map.of("jconv.cudnn.tf32", "true")::get,
                Map.of("JCONV_CUDNN_BENCHMARK", "1", "JCONV_CUDNN_DETERMINISTIC", "yes")::get);
        assertEquals(new CudnnSettings(true, true, true), s);
        assertTrue(s.describe().contains("benchmark (cudnnFindConvolutionForwardAlgorithmEx once per shape, cached)"));
        assertTrue(s.describe().contains("deterministic algorithms only"));
    }

    @Test
    void aBadValueIsRejectedWithTheSettingsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudnnSettings.from(Map.<String, String>of()::get, Map.of("JCONV_CUDNN_BENCHMARK", "fast")::get));
        assertTrue(e.getMessage().startsWith("JCONV_CUDNN_BENCHMARK='fast'"), e.getMessage());
    }
}
