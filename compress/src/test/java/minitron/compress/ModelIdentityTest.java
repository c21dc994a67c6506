package minitron.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Scores of another model are refused naming the config fields that differ, not printing both files. */
class ModelIdentityTest {
    @Test
    void configDifferencesNameTheFields() {
        String scores = "{\"hidden_size\": 192, \"num_attention_heads\": 6, \"rope_theta\": 10000.0}";
        String model = "{\"hidden_size\": 192, \"num_attention_heads\": 4, \"torch_dtype\": \"float32\"}";
        assertEquals("num_attention_heads: scores 6, model 4; rope_theta: scores 10000.0, model absent; "
                + "torch_dtype: scores absent, model \"float32\"", ModelIdentity.configDifferences(scores, model));
        assertEquals("the same fields, other formatting",
                ModelIdentity.configDifferences("{\"a\": 1}", "{ \"a\" : 1 }"));
    }
}
