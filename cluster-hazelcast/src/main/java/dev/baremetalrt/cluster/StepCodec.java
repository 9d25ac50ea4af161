package dev.baremetalrt.cluster;

import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.TransportException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary form of step batches and results on the event bus, little-endian:
 * <pre>
 * batch:  'B' version dtype count, then per step: id, start, logits(0 last, 1 all), kind(0 tokens, 1 hidden),
 *         tokens: n, ids | hidden: tensor
 * result: 'R' version count, then per output: id, tensor
 * tensor: format rank dims... values in that {@link WireFormat} (F32, F16, BF16 or Q8_0)
 * id:     length, UTF-8 bytes
 * </pre>
 * Hidden states travel in the batch's wire format (F16 halves the bytes per hop, Q8_0 takes 0.27 of
 * them); logits always travel as F32. Malformed input is a {@link TransportException}.
 */
final class StepCodec {
    private static final byte VERSION = 2;
    private static final int MAX_ID_BYTES = 1024;

    private StepCodec() {}

    static byte[] encodeBatch(StepBatch batch, WireFormat hiddenFormat) {
        Writer w = new Writer();
        w.b('B').b(VERSION).b((byte) hiddenFormat.ordinal()).i(batch.steps().size());
        for (SessionStep step : batch.steps()) {
            w.id(step.sessionId()).i(step.startPosition()).b(step.logits() == SessionStep.Logits.ALL ? 1 : 0);
            if (step.tokens() != null) {
                int[] tokens = step.tokens();
                w.b(0).i(tokens.length);
                for (int t : tokens) {
                    w.i(t);
                }
            } else {
                w.b(1).tensor(step.hidden(), hiddenFormat);
            }
        }
        return w.bytes();
    }

    static StepBatch decodeBatch(byte[] bytes) {
        Reader r = new Reader(bytes);
        try {
            r.expect('B');
            r.format();
            int count = r.count(1 << 16);
            List<SessionStep> steps = new ArrayList<>(count);
            for (int s = 0; s < count; s++) {
                String id = r.id();
                int start = r.i();
                SessionStep.Logits logits = r.b() == 1 ? SessionStep.Logits.ALL : SessionStep.Logits.LAST;
                int kind = r.b();
                if (kind == 0) {
                    int[] tokens = new int[r.count(bytes.length / 4)];
                    for (int i = 0; i < tokens.length; i++) {
                        tokens[i] = r.i();
                    }
                    steps.add(SessionStep.ofTokens(id, start, tokens, logits));
                } else if (kind == 1) {
                    steps.add(SessionStep.ofHidden(id, start, r.tensor(), logits));
                } else {
                    throw new TransportException("malformed step batch: step kind " + kind);
                }
            }
            r.end();
            return new StepBatch(steps);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new TransportException("malformed step batch: " + (e.getMessage() == null ? "truncated" : e.getMessage()));
        }
    }

    static byte[] encodeResult(StepResult result) {
        Writer w = new Writer();
        w.b('R').b(VERSION).i(result.outputs().size());
        for (StepResult.Output o : result.outputs()) {
            w.id(o.sessionId()).tensor(o.tensor(), WireFormat.F32);
        }
        return w.bytes();
    }

    static StepResult decodeResult(byte[] bytes) {
        Reader r = new Reader(bytes);
        try {
            r.expect('R');
            int count = r.count(1 << 16);
            List<StepResult.Output> outputs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                outputs.add(new StepResult.Output(r.id(), r.tensor()));
            }
            r.end();
            return new StepResult(outputs);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new TransportException("malformed step result: " + (e.getMessage() == null ? "truncated" : e.getMessage()));
        }
    }

    /** Grows as it writes. */
    private static final class Writer {
        private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Writer b(int v) {
            room(1);
            buf.put((byte) v);
            return this;
        }

        Writer i(int v) {
            room(4);
            buf.putInt(v);
            return this;
        }

        Writer id(String id) {
            byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
            i(utf8.length);
            room(utf8.length);
            buf.put(utf8);
            return this;
        }

        Writer tensor(TensorPayload t, WireFormat format) {
            int[] shape = t.shape();
            b(format.ordinal()).i(shape.length);
            for (int d : shape) {
                i(d);
            }
            byte[] raw = format.encode(t);
            room(raw.length);
            buf.put(raw);
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        }
    }

    private static final class Reader {
        private final ByteBuffer buf;

        Reader(byte[] bytes) {
            buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        void expect(char kind) {
            byte k = buf.get();
            byte v = buf.get();
            if (k != kind || v != VERSION) {
                throw new IllegalArgumentException("expected '%c' version %d, got %d version %d".formatted(kind, VERSION, k, v));
            }
        }

        int b() {
            return buf.get() & 0xFF;
        }

        int i() {
            return buf.getInt();
        }

        int count(int max) {
            int n = buf.getInt();
            if (n < 0 || n > max) {
                throw new IllegalArgumentException("count " + n + " out of range");
            }
            return n;
        }

        WireFormat format() {
            int f = b();
            if (f >= WireFormat.values().length) {
                throw new IllegalArgumentException("unknown wire format " + f);
            }
            return WireFormat.values()[f];
        }

        String id() {
            int n = count(MAX_ID_BYTES);
            byte[] utf8 = new byte[n];
            buf.get(utf8);
            return new String(utf8, StandardCharsets.UTF_8);
        }

        TensorPayload tensor() {
            WireFormat format = format();
            int rank = count(8);
            int[] shape = new int[rank];
            long elements = 1;
            for (int i = 0; i < rank; i++) {
                shape[i] = count(Integer.MAX_VALUE);
                elements *= shape[i];
                if (elements > buf.remaining()) { // also keeps the product far from overflowing
                    throw new IllegalArgumentException("tensor of shape %s is larger than the message".formatted(java.util.Arrays.toString(shape)));
                }
            }
            long bytes = format.bytesFor(elements);
            if (bytes > buf.remaining()) {
                throw new IllegalArgumentException("tensor of %d bytes but %d remain".formatted(bytes, buf.remaining()));
            }
            byte[] raw = new byte[(int) bytes];
            buf.get(raw);
            return format.decode(shape, raw);
        }

        void end() {
            if (buf.hasRemaining()) {
                throw new IllegalArgumentException(buf.remaining() + " bytes after the end");
            }
        }
    }
}
