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
        // torchvision VGG-16 at batch 1: its 13 convolutions, 9 distinct (all 3x3, stride 1, padding 1).
        SUITES.put("vgg16", List.of(
                "1,3,224,224,64,3,1,1,1,1",
                "1,64,224,224,64,3,1,1,1,1",
                "1,64,112,112,128,3,1,1,1,1",
                "1,128,112,112,128,3,1,1,1,1",
                "1,128,56,56,256,3,1,1,1,1",
                "1,256,56,56,256,3,1,1,1,1",
                "1,256,28,28,512,3,1,1,1,1",
                "1,512,28,28,512,3,1,1,1,1",
                "1,512,14,14,512,3,1,1,1,1"));
        // DeepLabv3 on a ResNet-50 at 513x513, batch 1: the dilated (atrous) layers. Output stride 16 gives
        // 33x33 features: layer4's 3x3 at dilation 2 and its multi-grid rates 4 and 8, ASPP's 1x1, its 3x3
        // at rates 6, 12, 18 and the 1x1 projection of the five branches; output stride 8 gives 65x65:
        // layer3's 3x3 at dilation 2 and ASPP at rate 24.
        SUITES.put("deeplab", List.of(
                "1,512,33,33,512,3,1,2,2,1",
                "1,512,33,33,512,3,1,4,4,1",
                "1,512,33,33,512,3,1,8,8,1",
                "1,2048,33,33,256,1,1,0,1,1",
                "1,2048,33,33,256,3,1,6,6,1",
                "1,2048,33,33,256,3,1,12,12,1",
                "1,2048,33,33,256,3,1,18,18,1",
                "1,1280,33,33,256,1,1,0,1,1",
                "1,256,65,65,256,3,1,2,2,1",
                "1,2048,65,65,256,3,1,24,24,1"));
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
