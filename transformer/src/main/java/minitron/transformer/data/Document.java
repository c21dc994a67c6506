package minitron.transformer.data;

/** One document of a dataset: where it came from ("file.txt", "file.jsonl:12", "brown:ca01") and its text. */
public record Document(String source, String text) {
}
