package dev.baremetalrt.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text, one piece at a time. Bytes of a UTF-8 sequence split across
 * tokens (byte-fallback tokens, byte-level BPE) are held back until the sequence is complete; invalid
 * bytes become U+FFFD. Not thread-safe: one per stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean atStart;

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.atStart = tokenizer.stripsLeadingSpace();
    }

    /** Adds a token; returns the text that is now complete (possibly empty). */
    public String accept(int token) {
        byte[] piece = tokenizer.pieceBytes(token);
        if (piece.length == 0) {
            return "";
        }
        int from = 0;
        if (atStart && pending.size() == 0) {
            atStart = false;
            if (piece[0] == ' ') {
                from = 1;
            }
        }
        pending.write(piece, from, piece.length - from);
        byte[] bytes = pending.toByteArray();
        int complete = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is held back, with U+FFFD for an incomplete sequence at the end. */
    public String flush() {
        String rest = new String(pending.toByteArray(), StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /** Length of the longest prefix that does not end inside a possibly-valid incomplete UTF-8 sequence. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // Look back at most 3 bytes for the start of a multi-byte sequence.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (need > back && need > 1) {
                return n - back; // lead byte whose sequence is not complete yet
            }
            return n;
        }
        return n;
    }
}
