/**
 * Tokenizers: text to token ids and back. {@link dev.baremetalrt.core.tokenizer.SentencePieceTokenizer}
 * implements SentencePiece BPE as llama.cpp does for {@code tokenizer.ggml.model=llama} (score-ordered
 * merges, byte fallback, the dummy-prefix space). Decoding goes through a
 * {@link dev.baremetalrt.core.tokenizer.StreamingDecoder}, which holds back incomplete UTF-8 sequences so
 * that streamed text never contains half a character.
 */
package dev.baremetalrt.core.tokenizer;
