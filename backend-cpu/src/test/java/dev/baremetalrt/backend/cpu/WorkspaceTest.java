package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WorkspaceTest {
    @Test
    void reusesAnArrayForEqualOrSmallerSizes() {
        Workspace work = new Workspace();
        float[] first = work.floats(Workspace.Slot.Q, 100);
        assertEquals(100, first.length);
        assertSame(first, work.floats(Workspace.Slot.Q, 100));
        assertSame(first, work.floats(Workspace.Slot.Q, 10));
        assertNotSame(first, work.floats(Workspace.Slot.K, 10), "each slot has its own array");
    }

    @Test
    void growsWhenAskedForMore() {
        Workspace work = new Workspace();
        float[] small = work.floats(Workspace.Slot.GATE, 10);
        float[] large = work.floats(Workspace.Slot.GATE, 1000);
        assertNotSame(small, large);
        assertEquals(1000, large.length);
        assertSame(large, work.floats(Workspace.Slot.GATE, 500));
    }

    @Test
    void doesNotKeepArraysAboveTheRetainLimit() {
        Workspace work = new Workspace();
        float[] kept = work.floats(Workspace.Slot.UP, 64);
        float[] huge = work.floats(Workspace.Slot.UP, Workspace.RETAIN_FLOATS + 1);
        assertEquals(Workspace.RETAIN_FLOATS + 1, huge.length);
        assertSame(kept, work.floats(Workspace.Slot.UP, 64), "the small array stays; the huge one was not kept");
    }

    @Test
    void chunksHaveTheRequestedCountAndSize() {
        Workspace work = new Workspace();
        float[][] chunks = work.chunks(3, 16);
        assertTrue(chunks.length >= 3);
        assertTrue(chunks[0].length >= 16 && chunks[2].length >= 16);
        assertSame(chunks, work.chunks(2, 16));
        float[][] wider = work.chunks(2, 32);
        assertTrue(wider.length >= 2 && wider[1].length >= 32);
    }
}
