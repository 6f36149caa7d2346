package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.TestFiles;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade that turns no visitor away, with two real processes: the new one listens on the
 * same ports ({@code --reuse-port}) while the old one drains. Clients open a new connection
 * for every request, all through the handover.
 */
class UpgradeIT {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /** The kernel hands a closing listener's not yet accepted connections to another of its port (Linux 5.14). */
    private static final Path MIGRATE_REQUESTS = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

    @TempDir
    Path root;
    private String migrateBefore;

    @BeforeEach
    void galleries() throws IOException {
        Files.writeString(Files.createDirectory(root.resolve("small")).resolve("a.txt"), "hello");
        TestFiles.sparse(Files.createDirectory(root.resolve("big")).resolve("v.bin"), 64L << 20);
    }

    /** As the package sets it (docs/deploy.md): without it the kernel resets what a closing listener held. */
    @BeforeEach
    void migrateRequests() throws IOException {
        assumeTrue(Files.exists(MIGRATE_REQUESTS), "needs Linux 5.14 or later (net.ipv4.tcp_migrate_req)");
        migrateBefore = Files.readString(MIGRATE_REQUESTS).strip();
        if (!migrateBefore.equals("1")) {
            assumeTrue(Files.isWritable(MIGRATE_REQUESTS), "needs net.ipv4.tcp_migrate_req=1, or root to set it");
            Files.writeString(MIGRATE_REQUESTS, "1");
        }
    }

    @AfterEach
    void restoreMigrateRequests() throws IOException {
        if (migrateBefore != null && !migrateBefore.equals("1")) {
            Files.writeString(MIGRATE_REQUESTS, migrateBefore);
        }
    }

    @Test
    void newProcessOnTheSamePorts_oldOneDrains_noConnectionRefusedOrReset() throws Exception {
        int port = freePort();
        int adminPort = freePort();
        try (ServiceProcess old = start(port, adminPort, "--reuse-port");
             ClientLoop clients = new ClientLoop(port);
             RawHttp running = RawHttp.connect(port, 16 * 1024)) {
            running.send("GET /archive/big/ HTTP/1.1\r\nHost: x\r\n\r\n"); // on the old process: the only one yet
            RawHttp.Head head = running.readHead();
            long received = running.skip(1 << 20);
            clients.awaitAnswers(20);

            try (ServiceProcess next = start(port, adminPort, "--reuse-port")) {
                clients.awaitAnswers(clients.answered() + 20);
                old.signal("TERM");
                old.awaitLog("draining: no longer accepting");
                received += running.skip(Long.MAX_VALUE);
                assertThat(old.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                clients.awaitAnswers(clients.answered() + 50); // the new process alone

                assertThat(clients.failures()).as("requests refused, reset or cut through the handover").isEmpty();
                assertThat(received).as("the download under way finished on the old process")
                        .isEqualTo(head.contentLength());
                assertThat(old.process().exitValue()).isZero();
                assertThat(old.log()).anyMatch(line -> line.contains("GET /archive/small/"));
                assertThat(next.log()).anyMatch(line -> line.contains("GET /archive/small/"));
            }
        }
    }

    @Test
    void withoutReusePort_aSecondProcessNamesTheAddressItCannotListenOn() throws Exception {
        int port = freePort();
        try (ServiceProcess first = start(port, freePort())) {
            Process second = command(port, freePort()).redirectErrorStream(true).start();
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(second.exitValue()).isNotZero();
            assertThat(new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("cannot listen on 127.0.0.1:" + port + " (--port (env PORT)): ")
                    .containsIgnoringCase("address already in use");
        }
    }

    private ServiceProcess start(int port, int adminPort, String... more) throws Exception {
        return ServiceProcess.start(command(port, adminPort, more));
    }

    private ProcessBuilder command(int port, int adminPort, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--path", root.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort),
                "--shutdown-timeout", "20"));
        args.addAll(List.of(more));
        return ServiceProcess.command(JAVA, Map.of(), args.toArray(String[]::new));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Two clients asking for a small archive again and again, each time on a new connection. */
    private static final class ClientLoop implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger answered = new AtomicInteger();
        private final Queue<String> failures = new ConcurrentLinkedQueue<>();
        private final List<Thread> threads;

        ClientLoop(int port) {
            threads = List.of(new Thread(() -> ask(port)), new Thread(() -> ask(port)));
            threads.forEach(Thread::start);
        }

        private void ask(int port) {
            while (running.get()) {
                try {
                    RawHttp.Response response = RawHttp.exchange(port,
                            "GET /archive/small/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    if (response.code() == 200) {
                        answered.incrementAndGet();
                    } else {
                        failures.add("status " + response.code());
                    }
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            }
        }

        int answered() {
            return answered.get();
        }

        void awaitAnswers(int count) throws InterruptedException {
            for (int i = 0; i < 600 && answered.get() < count; i++) {
                Thread.sleep(50);
            }
            assertThat(answered.get()).as("answers so far, failures: " + failures).isGreaterThanOrEqualTo(count);
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
        }
    }
}
