package dev.jconv.cuda.vendor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingTest {
    private static final Setting FLAG = new Setting("jconv.test.flag", "JCONV_TEST_FLAG", false, "a test flag");

    @Test
    void thePropertyWinsOverTheEnvironmentWhichWinsOverTheDefault() {
        assertFalse(FLAG.value(Map.<String, String>of()::get, Map.<String, String>of()::get));
        assertTrue(FLAG.value(Map.<String, String>of()::get, Map.of("JCONV_TEST_FLAG", "1")::get));
        assertFalse(FLAG.value(Map.of("jconv.test.flag", "false")::get, Map.of("JCONV_TEST_FLAG", "1")::get));
        assertTrue(FLAG.value(Map.of("jconv.test.flag", " ON ")::get, Map.<String, String>of()::get));
        assertFalse(FLAG.value(Map.<String, String>of()::get, Map.of("JCONV_TEST_FLAG", "")::get), "blank: default");
    }

    @Test
    void aBadValueNamesTheSettingAndWhatIsAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FLAG.value(Map.<String, String>of()::get, Map.of("JCONV_TEST_FLAG", "maybe")::get));
        assertEquals("JCONV_TEST_FLAG='maybe' is not a valid setting for a test flag: use 1 or 0 (true/false)", e.getMessage());
        assertEquals("JCONV_TEST_FLAG=1 (or -Djconv.test.flag=true)", FLAG.howToEnable());
    }
}
