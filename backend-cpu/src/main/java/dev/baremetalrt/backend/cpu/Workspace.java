package dev.baremetalrt.backend.cpu;

/**
 * The scratch arrays of one shard's forward pass, reused from step to step so that a decode step allocates next to
 * nothing. Allocating them afresh (by arithmetic about 2 MB per step for 8 sessions of the small synthetic model, most
 * of it product outputs) was not only GC work: whenever the young generation had just grown, every new page was a
 * first touch, and on this project's 2-vCPU machine a stretch of such faults (about 70,000 a second) made whole runs
 * of {@code brt bench --batch 8} 3x slower (docs/benchmarks.md, "Seventh round").
 *
 * <p>Only {@link CpuShard#forward} uses it, which is synchronized. An array can be longer than asked for, holds whatever
 * the last step left in it, and callers pass lengths. Arrays above {@link #RETAIN_FLOATS} (the prefill of a long
 * prompt) are handed out but not kept, so a shard does not hold on to its largest prefill's buffers.
 */
final class Workspace {
    /** What an array is for; two live arrays never share a slot. */
    enum Slot { X, XB, Q, K, V, ATT, O, GATE, UP, DOWN, COS, SIN, NORMED, LOGITS }

    /** 16 MB: a decode batch's arrays fit many times over; a 70B model's 512-token prefill does not. */
    static final int RETAIN_FLOATS = 4 << 20;

    private final float[][] arrays = new float[Slot.values().length][];
    private float[][] chunks = new float[0][];

    /** An array of at least {@code size} floats for {@code slot}; its contents are left over from earlier steps. */
    float[] floats(Slot slot, int size) {
        float[] a = arrays[slot.ordinal()];
        if (a != null && a.length >= size) {
            return a;
        }
        a = new float[size];
        if (size <= RETAIN_FLOATS) {
            arrays[slot.ordinal()] = a;
        }
        return a;
    }

    /** {@code count} arrays of {@code size} floats each (transposed input chunks), left over contents. */
    float[][] chunks(int count, int size) {
        if (chunks.length >= count && (count == 0 || chunks[0].length >= size)) {
            return chunks;
        }
        float[][] c = new float[Math.max(count, chunks.length)][size];
        if ((long) c.length * size <= RETAIN_FLOATS) {
            chunks = c;
        }
        return c;
    }
}
