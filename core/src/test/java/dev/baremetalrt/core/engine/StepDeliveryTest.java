package dev.baremetalrt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StepDeliveryTest {
    @Test
    void actionsOfTheOwnerWaitForTheHandOverAndRunInOrderOnTheDeliveryThread() throws Exception {
        StepDelivery delivery = new StepDelivery("test-model");
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread owner = Thread.ofPlatform().start(() -> {
            delivery.ownedBy(Thread.currentThread());
            delivery.run(() -> seen.add("a"));
            delivery.run(() -> {
                throw new IllegalStateException("one broken action");
            });
            delivery.run(() -> seen.add("b"));
            delivery.run(() -> {
                ranOn.set(Thread.currentThread());
                done.complete(null);
            });
            seen.add("before hand-over"); // nothing ran yet
            delivery.handOver();
        });
        done.get(10, TimeUnit.SECONDS);
        owner.join();
        assertEquals(List.of("before hand-over", "a", "b"), seen, "in order, after the hand-over, past the one that threw");
        assertNotSame(owner, ranOn.get());
        assertTrue(ranOn.get().getName().startsWith("brt-delivery-test-model"));
        delivery.shutdown(5);
    }

    @Test
    void actionsOfOtherThreadsRunAtOnceAndAfterShutdownTheHandOverRunsThemInline() throws Exception {
        StepDelivery delivery = new StepDelivery("test-model");
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        delivery.run(() -> ranOn.set(Thread.currentThread()));
        assertSame(Thread.currentThread(), ranOn.get(), "not the owner: at once");
        assertFalse(delivery.defer(() -> {}));

        delivery.ownedBy(Thread.currentThread());
        assertTrue(delivery.defer(() -> ranOn.set(null)));
        delivery.shutdown(5);
        delivery.handOver();
        assertEquals(null, ranOn.get(), "a step that outlived close still completes what it raised");
    }
}
