/*
 * Quorum baseline: LMAX Disruptor one-producer/one-consumer throughput.
 *
 * One producer (the main thread) publishes N longs into a 65536-entry ring of
 * mutable LongEvent slots with ProducerType.SINGLE and YieldingWaitStrategy;
 * one consumer (a BatchEventProcessor driven by an EventHandler) adds them up
 * and releases a latch when it has seen the last sequence of the iteration.
 * Each iteration is timed from the first claim to the latch release; the sum
 * is checked against N(N-1)/2 so a lost or repeated event fails the run.
 *
 * Modes:
 *   single - next() / get() / publish(seq) per event (the 1P1C figure);
 *   batch  - next(B) / get() x B / publish(lo, hi), B events per claim,
 *            reported under its own baseline name.
 *
 * Usage: java -cp disruptor.jar:. OneToOneThroughput
 *            [--messages N] [--iterations K] [--ring R] [--mode single|batch]
 *            [--batch B]
 * Output: one JSON object on stdout; one line per iteration and a summary on
 * stderr. Pin the JVM with taskset; Java has no per-thread affinity API.
 */

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import com.lmax.disruptor.util.DaemonThreadFactory;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

public final class OneToOneThroughput {

    /** The ring slot: one mutable long, reused for the life of the ring. */
    static final class LongEvent {
        long value;
    }

    /**
     * Sums the values it sees; counts the latch down at the iteration's last
     * sequence. The fields are set by the producer before it publishes the
     * iteration's first event, so publishing makes them visible here.
     */
    static final class SummingHandler implements EventHandler<LongEvent> {
        long sum;
        long lastSequence = -1;
        CountDownLatch done;

        void arm(long lastSequence, CountDownLatch done) {
            this.sum = 0;
            this.lastSequence = lastSequence;
            this.done = done;
        }

        @Override
        public void onEvent(LongEvent event, long sequence, boolean endOfBatch) {
            sum += event.value;
            if (sequence == lastSequence) {
                done.countDown();
            }
        }
    }

    private static long parseLong(String option, String text, long min) {
        try {
            long v = Long.parseLong(text.replace("_", ""));
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        System.err.println("OneToOneThroughput: " + option + " expects an integer >= " + min
                + ", got '" + text + "'");
        System.exit(2);
        return 0;
    }

    private static String loadAverage() {
        try {
            String[] f = new String(Files.readAllBytes(Paths.get("/proc/loadavg"))).trim().split("\\s+");
            return f[0];
        } catch (Exception e) {
            return "null";
        }
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static void main(String[] args) throws Exception {
        long messages = 100_000_000L;
        int iterations = 7;
        int ring = 65536;
        boolean batchMode = false;
        int batch = 10;

        for (int i = 0; i < args.length; i++) {
            String o = args[i];
            if (o.equals("-h") || o.equals("--help")) {
                System.out.println("usage: OneToOneThroughput [--messages N] [--iterations K] [--ring R]"
                        + " [--mode single|batch] [--batch B]");
                return;
            }
            if (i + 1 >= args.length) {
                System.err.println("OneToOneThroughput: unknown option or missing value: " + o);
                System.exit(2);
            }
            String v = args[++i];
            switch (o) {
                case "--messages":
                    messages = parseLong(o, v, 1);
                    break;
                case "--iterations":
                    iterations = (int) parseLong(o, v, 1);
                    break;
                case "--ring":
                    ring = (int) parseLong(o, v, 1);
                    if (Integer.bitCount(ring) != 1) {
                        System.err.println("OneToOneThroughput: --ring must be a power of two, got " + ring);
                        System.exit(2);
                    }
                    break;
                case "--mode":
                    if (v.equals("single")) {
                        batchMode = false;
                    } else if (v.equals("batch")) {
                        batchMode = true;
                    } else {
                        System.err.println("OneToOneThroughput: --mode expects single or batch, got '" + v + "'");
                        System.exit(2);
                    }
                    break;
                case "--batch":
                    batch = (int) parseLong(o, v, 1);
                    break;
                default:
                    System.err.println("OneToOneThroughput: unknown option " + o);
                    System.exit(2);
            }
        }
        if (batchMode) {
            if (batch > ring) {
                System.err.println("OneToOneThroughput: --batch " + batch + " exceeds the ring size " + ring);
                System.exit(2);
            }
            messages -= messages % batch;   // whole batches only
            if (messages == 0) {
                messages = batch;
            }
        }

        String loadAtStart = loadAverage();
        SummingHandler handler = new SummingHandler();
        Disruptor<LongEvent> disruptor = new Disruptor<>(LongEvent::new, ring,
                DaemonThreadFactory.INSTANCE, ProducerType.SINGLE, new YieldingWaitStrategy());
        disruptor.handleEventsWith(handler);
        RingBuffer<LongEvent> rb = disruptor.start();

        final long expectedSum = messages * (messages - 1) / 2;
        double[] mops = new double[iterations];
        for (int it = 0; it < iterations; it++) {
            CountDownLatch done = new CountDownLatch(1);
            handler.arm(rb.getCursor() + messages, done);

            long t0 = System.nanoTime();
            if (!batchMode) {
                for (long v = 0; v < messages; v++) {
                    long seq = rb.next();
                    rb.get(seq).value = v;
                    rb.publish(seq);
                }
            } else {
                for (long v = 0; v < messages; v += batch) {
                    long hi = rb.next(batch);
                    long lo = hi - (batch - 1);
                    long x = v;
                    for (long s = lo; s <= hi; s++) {
                        rb.get(s).value = x++;
                    }
                    rb.publish(lo, hi);
                }
            }
            done.await();
            long elapsed = System.nanoTime() - t0;

            if (handler.sum != expectedSum) {
                System.err.println("OneToOneThroughput: iteration " + (it + 1) + " summed " + handler.sum
                        + ", expected " + expectedSum + " - events were lost or repeated");
                System.exit(1);
            }
            mops[it] = messages / (elapsed / 1e3);   // messages per microsecond = M ops/s
            System.err.printf(Locale.ROOT, "  iteration %d: %.1f M ops/s (%.3f s)%n", it + 1, mops[it], elapsed / 1e9);
        }
        disruptor.shutdown();

        // Summary: best of all; median of the last min(5, K) (the first ones warm the JIT).
        double best = Arrays.stream(mops).max().getAsDouble();
        int tail = Math.min(5, iterations);
        double[] last = Arrays.copyOfRange(mops, iterations - tail, iterations);
        Arrays.sort(last);
        double median = tail % 2 == 1 ? last[tail / 2] : (last[tail / 2 - 1] + last[tail / 2]) / 2;

        String name = batchMode ? "disruptor_1p1c_batch" : "disruptor_1p1c";
        StringBuilder json = new StringBuilder();
        json.append("{\"baseline\":").append(jsonString(name))
            .append(",\"ring\":").append(ring)
            .append(",\"wait\":\"yielding\"")
            .append(",\"producer\":\"single\"")
            .append(",\"publish\":").append(jsonString(batchMode ? "next(n)/publish(lo,hi)" : "next()/publish(seq)"));
        if (batchMode) {
            json.append(",\"batch\":").append(batch);
        }
        json.append(",\"messages\":").append(messages)
            .append(",\"iterations\":").append(iterations)
            .append(",\"best_mops\":").append(String.format(Locale.ROOT, "%.1f", best))
            .append(",\"median_mops\":").append(String.format(Locale.ROOT, "%.1f", median))
            .append(",\"median_of_last\":").append(tail)
            .append(",\"iteration_mops\":[");
        for (int i = 0; i < iterations; i++) {
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", mops[i]));
        }
        String disruptorVersion = System.getProperty("disruptor.version", "unknown");
        String cpus = System.getProperty("quorum.cpus", "unpinned");
        json.append("]")
            .append(",\"cpus\":").append(jsonString(cpus))
            .append(",\"disruptor_version\":").append(jsonString(disruptorVersion))
            .append(",\"java_version\":").append(jsonString(System.getProperty("java.version")))
            .append(",\"java_vm\":").append(jsonString(System.getProperty("java.vm.name")))
            .append(",\"loadavg_1m_at_start\":").append(loadAtStart)
            .append("}");
        System.out.println(json);
        System.out.flush();
        System.err.printf(Locale.ROOT, "%s: ring %d, yielding, %d messages x %d iterations: best %.1f M ops/s,"
                + " median of last %d %.1f M ops/s (Disruptor %s, Java %s, cpus %s)%n",
                name, ring, messages, iterations, best, tail, median, disruptorVersion,
                System.getProperty("java.version"), cpus);
    }
}
