package dev.jconv.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Named lists of layers for {@code jconv bench --suite NAME}. */
public final class Suites {
    private Suites() {}

    private static final Map<String, List<String>> SUITES = new LinkedHashMap<>();

    static {
        // torchvision ResNet-50 (v1.5, stride on the 3x3), its distinct convolutions at batch 1.
        SUITES.put("resnet50", List.of(
                "1,3,224,224,64,7,2,3,1,1",
                "1,64,56,56,64,1,1,0,1,1",
                "1,64,56,56,64,3,1,1,1,1",
                "1,64,56,56,256,1,1,0,1,1",
                "1,256,56,56,64,1,1,0,1,1",
                "1,256,56,56,128,1,1,0,1,1",
                "1,128,56,56,128,3,2,1,1,1",
                "1,128,28,28,512,1,1,0,1,1",
                "1,256,56,56,512,1,2,0,1,1",
                "1,512,28,28,128,1,1,0,1,1",
                "1,128,28,28,128,3,1,1,1,1",
                "1,512,28,28,256,1,1,0,1,1",
                "1,256,28,28,256,3,2,1,1,1",
                "1,256,14,14,1024,1,1,0,1,1",
                "1,512,28,28,1024,1,2,0,1,1",
                "1,1024,14,14,256,1,1,0,1,1",
                "1,256,14,14,256,3,1,1,1,1",
                "1,1024,14,14,512,1,1,0,1,1",
                "1,512,14,14,512,3,2,1,1,1",
                "1,512,7,7,2048,1,1,0,1,1",
                "1,1024,14,14,2048,1,2,0,1,1",
                "1,2048,7,7,512,1,1,0,1,1",
                "1,512,7,7,512,3,1,1,1,1"));
        // torchvision MobileNetV2 at batch 1: the stem, then per stage the depthwise 3x3 and the pointwise
        // expansions/projections around it (distinct layers only).
        SUITES.put("mobilenetv2", List.of(
                "1,3,224,224,32,3,2,1,1,1",
                "1,32,112,112,32,3,1,1,1,32",
                "1,32,112,112,16,1,1,0,1,1",
                "1,16,112,112,96,1,1,0,1,1",
                "1,96,112,112,96,3,2,1,1,96",
                "1,96,56,56,24,1,1,0,1,1",
                "1,24,56,56,144,1,1,0,1,1",
                "1,144,56,56,144,3,1,1,1,144",
                "1,144,56,56,24,1,1,0,1,1",
                "1,144,56,56,144,3,2,1,1,144",
                "1,144,28,28,32,1,1,0,1,1",
                "1,32,28,28,192,1,1,0,1,1",
                "1,192,28,28,192,3,1,1,1,192",
                "1,192,28,28,32,1,1,0,1,1",
                "1,192,28,28,192,3,2,1,1,192",
                "1,192,14,14,64,1,1,0,1,1",
                "1,64,14,14,384,1,1,0,1,1",
                "1,384,14,14,384,3,1,1,1,384",
                "1,384,14,14,64,1,1,0,1,1",
                "1,384,14,14,96,1,1,0,1,1",
                "1,96,14,14,576,1,1,0,1,1",
                "1,576,14,14,576,3,1,1,1,576",
                "1,576,14,14,96,1,1,0,1,1",
                "1,576,14,14,576,3,2,1,1,576",
                "1,576,7,7,160,1,1,0,1,1",
                "1,160,7,7,960,1,1,0,1,1",
                "1,960,7,7,960,3,1,1,1,960",
                "1,960,7,7,160,1,1,0,1,1",
                "1,960,7,7,320,1,1,0,1,1",
                "1,320,7,7,1280,1,1,0,1,1"));
        // The layers of the seed articles in /work/shared/seeds (batch 1 where an article leaves it open).
        SUITES.put("seeds", List.of(
                "1,3,28,28,16,3,1,1,1,1",
                "1,16,28,28,64,3,2,1,1,1",
                "1,3,28,28,32,3,1,1,1,1",
                "1,32,14,14,64,3,1,1,1,1",
                "1,3,32,32,6,3,1,0,1,1",
                "1,3,10,10,16,3,1,0,1,1",
                "4,1,20,20,32,5,2,2,1,1",
                "1,64,32,32,128,3,1,1,2,1",
                "2,3,32,32,16,3,1,1,1,1",
                "2,3,32,32,16,3,2,1,1,1",
                "2,3,32,32,16,3,1,0,1,1",
                "8,3,28,28,64,5,1,2,1,1"));
        // The speed goal of issue 3, measured against PyTorch by benchmarks/pytorch_side_by_side.py.
        SUITES.put("target", List.of(
                "1,64,56,56,64,3,1,1,1,1",
                "8,64,56,56,64,3,1,1,1,1",
                "1,256,56,56,64,1,1,0,1,1",
                "1,3,224,224,64,7,2,3,1,1",
                "1,512,7,7,512,3,1,1,1,1",
                "1,32,112,112,32,3,1,1,1,32",
                "1,64,56,56,64,3,1,2,2,1"));
    }

    /** The suite names, in the order {@code --help} lists them. */
    public static List<String> names() {
        return List.copyOf(SUITES.keySet());
    }

    /** The layers of a suite; an unknown name is an error listing the known ones. */
    public static List<LayerSpec> layers(String name) {
        List<String> specs = SUITES.get(name);
        if (specs == null) {
            throw new IllegalArgumentException("unknown suite '" + name + "', expected one of " + names());
        }
        return specs.stream().map(LayerSpec::parse).toList();
    }
}
