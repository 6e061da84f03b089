package convbench.nets;

import convbench.engine.MetaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry: names, aliases, case, suggestions; net construction and input sizes. */
class NetsTest {
    @Test
    void names() {
        assertEquals(List.of("alexnet", "alexnet-conv", "vgg16", "inception3", "resnet50", "resnet101", "resnet152", "resnet200"),
                Nets.names());
    }

    @ParameterizedTest
    @CsvSource({
            "alexnet, alexnet", "AlexNet, alexnet",
            "alexnet-conv, alexnet-conv", "alexnet_conv, alexnet-conv", "ALEXNET-CONV, alexnet-conv", "alexnetconv, alexnet-conv",
            "vgg, vgg16", "vgg16, vgg16", "vgg_16, vgg16", "VGG-16, vgg16",
            "inception3, inception3", "inception_v3, inception3", "inceptionv3, inception3", "Inception-V3, inception3",
            "resnet50, resnet50", "resnet_v2_50, resnet50", "resnet50_v2, resnet50",
            "resnet101, resnet101", "resnet_v2_101, resnet101",
            "resnet152, resnet152", "resnet152_v2, resnet152", "resnet_v2_152, resnet152", "ResNet-152, resnet152",
            "resnet200, resnet200", "' resnet_v2_200 ', resnet200"})
    void aliasesAndCase(String asked, String canonical) {
        assertEquals(canonical, Nets.spec(asked).name());
    }

    @Test
    void unknownNameSuggestsTheClosest() {
        UnknownNetException e = assertThrows(UnknownNetException.class, () -> Nets.spec("alexnt"));
        assertEquals(List.of("alexnet"), e.suggestions());
        assertEquals("unknown net 'alexnt' (did you mean alexnet?); the known nets are alexnet, alexnet-conv, vgg16, inception3, "
                + "resnet50, resnet101, resnet152, resnet200", e.getMessage());
        assertEquals(List.of("resnet152"), Nets.suggest("resnet125"));
        assertEquals(List.of("resnet50", "resnet101", "resnet152", "resnet200"), Nets.suggest("resnet"));
        assertEquals(List.of("resnet101", "resnet200"), Nets.suggest("resnet201"));
        assertEquals(List.of("vgg16"), Nets.suggest("vgg19"));
        assertEquals(List.of("inception3"), Nets.suggest("incepton_v3"));
        assertEquals(List.of("alexnet-conv"), Nets.suggest("alexnet-cnv"));
        assertEquals(List.of(), Nets.suggest("mobilenet"));
        UnknownNetException none = assertThrows(UnknownNetException.class, () -> Nets.create("mobilenet", new MetaBackend(), 10, 224, 0));
        assertEquals("unknown net 'mobilenet'; the known nets are alexnet, alexnet-conv, vgg16, inception3, resnet50, resnet101, "
                + "resnet152, resnet200", none.getMessage());
        assertTrue(Nets.find("nope").isEmpty());
        assertTrue(Nets.find(null).isEmpty());
    }

    @Test
    void editDistance() {
        assertEquals(0, Nets.editDistance("vgg16", "vgg16"));
        assertEquals(1, Nets.editDistance("vgg16", "vgg19"));
        assertEquals(3, Nets.editDistance("kitten", "sitting"));
        assertEquals(5, Nets.editDistance("", "abcde"));
        assertEquals(1, Nets.editDistance("resnet125", "resnet152"), "a swap of neighbours costs 1");
    }

    @Test
    void specsMakeTheirNets() {
        MetaBackend meta = new MetaBackend();
        for (Nets.Spec s : Nets.all()) {
            try (Net n = s.create(meta, 0)) {
                assertEquals(s.name(), n.name());
                assertEquals(s.defaultImageSize(), n.imageSize());
                assertEquals(s.defaultImageSize(), n.defaultImageSize());
                assertEquals(1000, n.classes());
                assertFalse(n.description().isBlank());
                assertEquals(n.description(), s.description());
                assertTrue(n.description().contains("seed " + s.seedDocument()), n.description());
            }
        }
        assertEquals(299, Nets.spec("inception_v3").defaultImageSize());
        assertInstanceOf(ResNetV2.class, Nets.create("resnet_v2_101", meta, 5, 64, 0));
        assertEquals(101, ((ResNetV2) Nets.create("resnet101", meta, 5, 64, 0)).depth());
        assertThrows(IllegalArgumentException.class, () -> new ResNetV2(34, meta, 0));
        assertThrows(IllegalArgumentException.class, () -> Nets.create("vgg16", meta, 0, 224, 0));
        assertThrows(IllegalArgumentException.class, () -> Nets.create("vgg16", meta, 10, 0, 0));
    }

    @ParameterizedTest
    @CsvSource({"alexnet-conv, 57", "alexnet, 57", "inception3, 75", "vgg16, 1", "resnet50, 1"})
    void smallestImageSize(String name, int min) {
        try (Net n = Nets.create(name, new MetaBackend(), 10, Nets.spec(name).defaultImageSize(), 0)) {
            assertEquals(min, n.minImageSize());
            assertFalse(n.fits(min - 1));
            for (int s = min; s < min + 40; s++) assertTrue(n.fits(s), name + " at " + s);
        }
        if (min > 1) {
            ImageSizeException e = assertThrows(ImageSizeException.class, () -> Nets.create(name, new MetaBackend(), 10, min - 1, 0));
            assertEquals(min, e.minSize());
            assertEquals("image size " + (min - 1) + " is too small for " + name + ": the smallest it takes is " + min
                    + " (use an image size of " + min + " or more)", e.getMessage());
        }
    }
}
