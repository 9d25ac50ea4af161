package dev.baremetalrt.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\\\"\"], \"b\": {}, \"c\": []} ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(true, a.get(2));
        assertNull(a.get(4));
        assertEquals("xé\n\"", a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(1.0000000000000000199e30, Json.parse("1000000000000000019884624838656"));
    }

    @Test
    void malformedInputIsAClearError() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\" 1}", "{'a': 1}", "[1 2]", "\"abc", "tru", "01x", "{\"a\":1}}", "[\"\\q\"]",
                "[" + "[".repeat(300) + "]".repeat(301), "1e999", "-", "\"\\u12\"", "\"a\u0001\"")) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad), bad);
            assertEquals(true, e.getMessage().startsWith("malformed JSON at offset"), e.getMessage());
        }
    }

    @Test
    void randomMutationsNeverEscapeAsOtherExceptions() {
        String doc = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}, \"x\": [1.5, null, true]}";
        Random r = new Random(11);
        for (int i = 0; i < 2000; i++) {
            char[] c = doc.toCharArray();
            for (int k = 0; k < 1 + r.nextInt(3); k++) {
                String alphabet = "{}[]\",:0-e.\\ x";
                c[r.nextInt(c.length)] = alphabet.charAt(r.nextInt(alphabet.length()));
            }
            try {
                Json.parse(new String(c));
            } catch (JsonException expected) {
                // fine
            } catch (RuntimeException | StackOverflowError e) {
                fail("mutation escaped: " + new String(c), e);
            }
        }
    }

    @Test
    void typedReadsNameTheKey() {
        Map<String, Object> obj = Json.parseObject("{\"n\": \"seven\", \"big\": 99}", "config.json");
        JsonException e = assertThrows(JsonException.class, () -> JsonValues.integer(obj, "n", 0, 10, "config.json"));
        assertEquals("config.json: 'n' must be an integer, got a string", e.getMessage());
        assertThrows(JsonException.class, () -> JsonValues.integer(obj, "big", 0, 10, "config.json"));
        assertThrows(JsonException.class, () -> JsonValues.string(obj, "missing", "config.json"));
    }
}
