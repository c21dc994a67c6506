package minitron.transformer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StrictJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void oneValueWithWhiteSpaceAroundIt() throws Exception {
        assertEquals(1, StrictJson.readOne(JSON, " \t\r\n{\"a\": 1}\n  \r\n\t").get("a").asInt());
        assertEquals(3, StrictJson.readOne(JSON, "[1, 2, 3]").size());
        assertTrue(StrictJson.readOne(JSON, "").isMissingNode());
        assertTrue(StrictJson.readOne(JSON, " \n ").isMissingNode());
    }

    @Test
    void anythingAfterTheValueIsRefusedWhereItStarts() {
        StrictJson.ExtraDataException e =
                assertThrows(StrictJson.ExtraDataException.class, () -> StrictJson.readOne(JSON, "{\"a\": 1}}"));
        assertEquals("extra data after the JSON value: \"}\"", e.getOriginalMessage());
        assertEquals(1, e.getLocation().getLineNr());
        assertEquals(9, e.getLocation().getColumnNr());

        e = assertThrows(StrictJson.ExtraDataException.class,
                () -> StrictJson.readOne(JSON, "{\n  \"a\": 1\n}\n\n  {\"b\": 2, \"c\": 3, \"d\": 4}"));
        assertEquals(5, e.line());
        assertEquals(3, e.column());
        assertEquals("{\"b\": 2, \"c\": 3, \"d\"...", e.excerpt());

        e = assertThrows(StrictJson.ExtraDataException.class, () -> StrictJson.readOne(JSON, "1 2"));
        assertEquals("2", e.excerpt());
        // one line, for a one-line error message
        e = assertThrows(StrictJson.ExtraDataException.class, () -> StrictJson.readOne(JSON, "{}\n}\n\n"));
        assertEquals("}", e.excerpt());
        e = assertThrows(StrictJson.ExtraDataException.class, () -> StrictJson.readOne(JSON, "{} x\u0001y\r\nz"));
        assertEquals("x?y", e.excerpt());
    }

    @Test
    void aBrokenValueIsJacksonsOwnError() {
        JsonParseException e = assertThrows(JsonParseException.class, () -> StrictJson.readOne(JSON, "{\"a\": }"));
        assertEquals(false, e instanceof StrictJson.ExtraDataException);
    }
}
